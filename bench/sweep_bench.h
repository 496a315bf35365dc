// Benchmarks of seed exploration (run by `mabeam bench`): seeds per second on one core for
// each scenario family as `mabeam sweep` runs them (membership with gossip:
// scenarios/swim-partition.json and scenarios/swarm-membership.json with --swarm; variables
// with the partition guard: scenarios/variables-partition-2-3.json and
// scenarios/swarm-variables.json with --swarm), and the time and size reduction of
// `mabeam shrink` on the broken examples in tests/data/broken_shrink. The files are read
// from the source tree this binary was built from; a missing one is reported and its
// figures left out (the functions return false).
#pragma once
#include <vector>

#include "bench/sim_bench.h"

namespace mabeam::bench {

bool bench_sweep(std::vector<Figure>& out);
bool bench_shrink(std::vector<Figure>& out);

}  // namespace mabeam::bench
