// Benchmarks of the partition guard's quorum lease (run by `mabeam bench`, group `guard`):
// what it costs and how fast it acts, at 5, 50 and 500 simulated nodes with the defaults
// (SWIM membership, 1-5 ms links, 1% loss). For each size: guard messages (pulls and their
// answers) per node per second and the entries an answer carries, rescue pulls per
// node-hour, mode flips in steady state (must be 0), and after a cut that leaves
// floor((n-1)/2) nodes on the minority side, the time until each of them is read-only
// (median and max, against the configured lease) and the majority nodes that turned
// read-only (must be 0). Names are stable so results can be compared across commits.
#pragma once
#include <vector>

#include "bench/sim_bench.h"

namespace mabeam::bench {

// False when a figure could not be measured (a minority node never turned read-only, a
// majority node did, or the cluster did not form).
bool bench_guard(std::vector<Figure>& out);

}  // namespace mabeam::bench
