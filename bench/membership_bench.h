// Benchmarks of SWIM membership in the simulator (run by `mabeam bench`): failure-detection
// time and false-positive rate at 50 and 500 nodes under 1% loss, message cost per node,
// convergence after a healed partition, and simulator speed for a 100-node SWIM cluster.
// Names are stable so results can be compared across commits.
#pragma once
#include <vector>

#include "bench/sim_bench.h"

namespace mabeam::bench {

// False when a figure could not be measured (a kill not seen by every live node, views that
// do not converge after a heal); the figures measured are kept.
bool bench_membership(std::vector<Figure>& out);

// False downs with the default timers (the `detect` group): `n` SWIM nodes under 1% loss,
// nothing failing, observed for `node_hours` node-hours once every node lists every other
// active. Every down mark is false. Figures: sim_false_downs_<n>_nodes (the count),
// sim_false_downs_node_hours_<n>_nodes, sim_false_downs_per_node_hour_<n>_nodes, and
// sim_suspicions_refuted_per_node_hour_<n>_nodes (suspect marks: what the loss provoked and
// refutation undid). False when the cluster did not form within 120 simulated seconds.
bool bench_false_downs(std::uint32_t n, double node_hours, std::vector<Figure>& out);

}  // namespace mabeam::bench
