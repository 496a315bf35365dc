// Implementation of the seeded RNG and its distributions (see rng.h).
#include "engine/rng.h"

#include <climits>

#include "engine/fixed_math.h"

namespace mabeam {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Rng Rng::for_node(std::uint64_t run_seed, std::string_view name) {
  std::uint64_t x = run_seed;
  std::uint64_t mixed = splitmix64(x) ^ fnv1a64(name);
  return Rng(mixed);
}

void Rng::reseed(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n <= 1) return 0;
  unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::int64_t Rng::between(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<std::int64_t>(span == 0 ? next() : below(span));
}

double Rng::unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

bool Rng::chance(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return unit() < p;
}

namespace {
using u128 = unsigned __int128;
// -log2(U) in Q32 for U = x / 2^63, x in [1, 2^63]: at most 63.
std::uint64_t neg_log2_unit63(std::uint64_t x) { return (63ULL << fixed::kQ) - fixed::log2_q32(x); }
std::int64_t saturate(u128 v) { return v > static_cast<u128>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v); }
}  // namespace

std::int64_t Rng::normal(std::int64_t mean, std::int64_t stddev) {
  // Polar method: (a, b) uniform in the unit disc (Q31), s = a^2 + b^2 (Q62); then
  // a / sqrt(s) * sqrt(-2 ln s) is standard normal. One value per call (the second is not
  // kept, so the stream position does not depend on history).
  for (;;) {
    const std::int64_t a = static_cast<std::int64_t>(next() >> 32) - (1LL << 31);
    const std::int64_t b = static_cast<std::int64_t>(next() >> 32) - (1LL << 31);
    const std::uint64_t s = static_cast<std::uint64_t>(a * a) + static_cast<std::uint64_t>(b * b);
    if (s == 0 || s >= (1ULL << 62)) continue;
    const std::uint64_t neg_log2_s = (62ULL << fixed::kQ) - fixed::log2_q32(s);        // Q32
    const u128 r2 = (static_cast<u128>(neg_log2_s) * fixed::kLn2Q64) >> 63;            // -2 ln s, Q32
    const std::uint64_t r = fixed::isqrt(r2 << fixed::kQ);                              // Q32
    const std::uint64_t root_s = fixed::isqrt(s);                                       // Q31, >= 1
    const __int128 z = static_cast<__int128>(a) * r / static_cast<__int128>(root_s);  // Q32
    const __int128 d = (static_cast<__int128>(stddev) * z + (static_cast<__int128>(1) << 31)) >> fixed::kQ;
    return mean + static_cast<std::int64_t>(d);
  }
}

std::int64_t Rng::exponential(std::int64_t mean) {
  if (mean <= 0) return 0;
  const std::uint64_t x = (next() >> 1) + 1;  // U * 2^63, U in (0, 1]
  const u128 neg_ln = (static_cast<u128>(neg_log2_unit63(x)) * fixed::kLn2Q64) >> 64;  // -ln U, Q32
  return saturate((static_cast<u128>(mean) * neg_ln + (static_cast<u128>(1) << 31)) >> fixed::kQ);
}

std::int64_t Rng::pareto(std::int64_t scale, std::int64_t shape_micro) {
  if (scale <= 0) return 0;
  if (shape_micro <= 0) shape_micro = 1;
  const std::uint64_t x = (next() >> 1) + 1;  // U * 2^63, U in (0, 1]
  const u128 y = static_cast<u128>(neg_log2_unit63(x)) * 1000000 / static_cast<u128>(shape_micro);  // Q32
  if (y >= (static_cast<u128>(64) << fixed::kQ)) return INT64_MAX;
  return saturate(fixed::mul_exp2_q32(static_cast<std::uint64_t>(scale), static_cast<std::uint64_t>(y)));
}

}  // namespace mabeam
