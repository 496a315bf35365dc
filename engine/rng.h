// The seeded random source every node draws from (xoshiro256**, seeded by splitmix64).
// Distributions are implemented here rather than with <random>'s distributions, whose
// algorithms differ between standard libraries, and in integer arithmetic rather than with
// libm's log/cos/pow, whose last bits differ between libm versions and CPUs (fixed_math.h):
// a seed must replay the same run anywhere, so every result here is defined by this code.
#pragma once
#include <cstdint>
#include <string_view>

namespace mabeam {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }
  // The RNG of one node in a run: derived from the run's seed and the node's name.
  static Rng for_node(std::uint64_t run_seed, std::string_view name);
  // A stream derived from a seed and a label (e.g. "network"), independent of the others.
  static Rng derived(std::uint64_t run_seed, std::string_view label) { return for_node(run_seed, label); }

  void reseed(std::uint64_t seed);
  std::uint64_t next();
  // Uniform in [0, n); n > 0. Unbiased (Lemire's multiply-and-reject).
  std::uint64_t below(std::uint64_t n);
  // Uniform in [lo, hi]; lo <= hi.
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // Uniform in [0, 1): a 53-bit integer times 2^-53, exact in IEEE double.
  double unit();
  // True with probability p (p <= 0 never draws: a disabled fault costs no randomness).
  // unit() < p is one exact IEEE comparison, the same on every platform.
  bool chance(double p);
  // Normal with the given mean and standard deviation, rounded to an integer (Marsaglia's
  // polar method in fixed point; a rejected pair draws again, so calls draw 2.55 numbers on
  // average; |deviation| at most 9.3 stddev).
  std::int64_t normal(std::int64_t mean, std::int64_t stddev);
  // Exponential with the given mean (>= 0), rounded: -mean * ln(U) with U of 63 bits in
  // (0, 1], so the tail reaches 43.7 means. mean <= 0 gives 0 (and draws nothing).
  std::int64_t exponential(std::int64_t mean);
  // Pareto with minimum `scale` and shape alpha = shape_micro / 10^6 (P(X > x) =
  // (scale/x)^alpha), rounded, saturating at INT64_MAX: scale * 2^(-log2(U) / alpha).
  std::int64_t pareto(std::int64_t scale, std::int64_t shape_micro);

 private:
  std::uint64_t s_[4]{};
};

std::uint64_t fnv1a64(std::string_view text);

}  // namespace mabeam
