// Integer log2 / exp2 / sqrt / ceil-log (see fixed_math.h).
#include "engine/fixed_math.h"

#include <array>
#include <bit>
#include <cmath>

namespace mabeam::fixed {

namespace {
using u128 = unsigned __int128;

constexpr u128 isqrt128(u128 x) {
  // Digit-by-digit square root, two bits at a time.
  u128 root = 0;
  u128 bit = static_cast<u128>(1) << 126;
  while (bit > x) bit >>= 2;
  while (bit != 0) {
    if (x >= root + bit) {
      x -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return root;
}

// kRoots[k] = 2^(2^-(k+1)) in Q62, truncated: 2^(1/2), 2^(1/4), ..., 2^(2^-32). Each is the
// integer square root of the one before, so the table is defined by integer arithmetic too.
constexpr std::array<std::uint64_t, kQ> make_roots() {
  std::array<std::uint64_t, kQ> t{};
  u128 prev = static_cast<u128>(2) << 62;  // 2.0 in Q62
  for (int k = 0; k < kQ; ++k) {
    prev = isqrt128(prev << 62);
    t[static_cast<std::size_t>(k)] = static_cast<std::uint64_t>(prev);
  }
  return t;
}
constexpr auto kRoots = make_roots();
static_assert(kRoots[0] == 0x5a827999fcef3242ULL, "2^(1/2) in Q62");
}  // namespace

std::uint64_t log2_q32(std::uint64_t x) {
  if (x == 0) return 0;
  const int e = 63 - std::countl_zero(x);
  std::uint64_t m = x << (63 - e);  // the mantissa in [1, 2), Q63
  std::uint64_t frac = 0;
  // Bit by bit: squaring the mantissa doubles its log; a square of 2 or more gives a 1 bit.
  for (int b = kQ - 1; b >= 0; --b) {
    const u128 sq = static_cast<u128>(m) * m;  // in [1, 4), Q126
    if (sq >> 127) {
      m = static_cast<std::uint64_t>(sq >> 64);
      frac |= 1ULL << b;
    } else {
      m = static_cast<std::uint64_t>(sq >> 63);
    }
  }
  return (static_cast<std::uint64_t>(e) << kQ) | frac;
}

std::uint64_t ln_q32(std::uint64_t x) {
  return static_cast<std::uint64_t>((static_cast<u128>(log2_q32(x)) * kLn2Q64) >> 64);
}

std::uint64_t log10_q32(std::uint64_t x) {
  return static_cast<std::uint64_t>((static_cast<u128>(log2_q32(x)) * kLog10of2Q64) >> 64);
}

std::uint64_t mul_exp2_q32(std::uint64_t v, std::uint64_t y_q32) {
  if (v == 0) return 0;
  const std::uint64_t whole = y_q32 >> kQ;
  if (whole >= 64) return UINT64_MAX;
  std::uint64_t m = 1ULL << 62;  // 2^frac in Q62
  for (int k = 0; k < kQ; ++k)
    if ((y_q32 >> (kQ - 1 - k)) & 1) m = static_cast<std::uint64_t>((static_cast<u128>(m) * kRoots[static_cast<std::size_t>(k)]) >> 62);
  const u128 p = static_cast<u128>(v) * m;  // v * 2^frac in Q62, below 2^127
  // v * 2^y = p * 2^whole / 2^62; whole <= 63 here and p < 2^127, so p << 1 fits.
  const auto w = static_cast<int>(whole);
  u128 r = p << 1;
  if (w < 62) {
    const int shift = 62 - w;
    r = (p + (static_cast<u128>(1) << (shift - 1))) >> shift;
  } else if (w == 62) {
    r = p;
  }
  return r > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(r);
}

std::uint64_t isqrt(unsigned __int128 x) { return static_cast<std::uint64_t>(isqrt128(x)); }

std::int64_t to_ppm(double fraction) { return std::llround(fraction * 1e6); }
std::int64_t to_ppb(double fraction) { return std::llround(fraction * 1e9); }

int ceil_log(std::uint64_t n, std::uint64_t base) {
  int k = 0;
  for (u128 p = 1; p < n; p *= base) ++k;
  return k;
}

}  // namespace mabeam::fixed
