// The seeded random source every node draws from (xoshiro256**, seeded by splitmix64).
// Distributions are implemented here rather than with <random>'s distributions, whose
// algorithms differ between standard libraries: a seed must replay the same run anywhere.
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
  // Uniform in [0, 1).
  double unit();
  // True with probability p (p <= 0 never draws: a disabled fault costs no randomness).
  bool chance(double p);
  double normal(double mean, double stddev);
  double exponential(double mean);
  double pareto(double scale, double shape);

 private:
  std::uint64_t s_[4]{};
};

std::uint64_t fnv1a64(std::string_view text);

}  // namespace mabeam
