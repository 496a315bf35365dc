// Integer stand-ins for the libm functions that a decision or a trace needs (log2, log10,
// exp2, square root, ceil-log). std::log, std::exp, std::pow and friends are not required to
// be correctly rounded, and their last bits differ between libm versions and CPUs; a seed
// that fails in CI must replay on a laptop, so nothing in engine/ or sim/ that reaches a
// scheduling decision or a trace uses them. These functions are plain integer arithmetic:
// the same inputs give the same bits with every compiler, standard library and CPU.
//
// Fixed point: "Q32" is a value times 2^32 in an unsigned 64-bit integer.
#pragma once
#include <cstdint>

namespace mabeam::fixed {

constexpr int kQ = 32;                        // fractional bits of a Q32 value
constexpr std::uint64_t kOneQ32 = 1ULL << kQ;  // 1.0 in Q32
// ln(2) and log10(2) times 2^64, truncated.
constexpr std::uint64_t kLn2Q64 = 0xb17217f7d1cf79abULL;
constexpr std::uint64_t kLog10of2Q64 = 0x4d104d427de7fbccULL;

// log2(x) in Q32 for x >= 1, truncated to 32 fractional bits (exact for powers of two);
// x = 0 gives 0.
std::uint64_t log2_q32(std::uint64_t x);
// ln(x) and log10(x) in Q32 for x >= 1 (log2_q32 times the constant, truncated).
std::uint64_t ln_q32(std::uint64_t x);
std::uint64_t log10_q32(std::uint64_t x);
// v * 2^y for y in Q32, rounded to nearest; saturates at UINT64_MAX.
std::uint64_t mul_exp2_q32(std::uint64_t v, std::uint64_t y_q32);
// floor(sqrt(x)).
std::uint64_t isqrt(unsigned __int128 x);
// A fraction (a clock drift of 0.001, a probability) in parts per million or per billion,
// rounded to nearest: one exact IEEE product, then integers only. |fraction| <= 1000.
std::int64_t to_ppm(double fraction);
std::int64_t to_ppb(double fraction);
// The smallest k >= 0 with base^k >= n (base >= 2): ceil(log_base(n)) for n >= 1, 0 for n <= 1.
int ceil_log(std::uint64_t n, std::uint64_t base);

}  // namespace mabeam::fixed
