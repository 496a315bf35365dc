// Benchmarks of the variables service (run by `mabeam bench`):
// - convergence after a heal: 5 nodes split 2/3 for 10s with writes on both sides; the
//   time from the heal until every live replica holds the final value of every variable
//   (the one its acknowledged writes imply) and keeps it: the earliest time the
//   variables_converged check holds;
// - broadcast efficiency in the setting of Maelstrom's efficient-broadcast challenge
//   (25 nodes, 100 ms links, 100 writes/s in total, every write must reach every node):
//   messages per write, and the median and maximum time until every node has a write.
#pragma once
#include <vector>

#include "bench/sim_bench.h"

namespace mabeam::bench {

// False when a figure could not be measured (replicas that never converge, a broadcast
// that reaches no one); the figures measured are kept.
bool bench_variables(std::vector<Figure>& out);

}  // namespace mabeam::bench
