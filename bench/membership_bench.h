// Benchmarks of SWIM membership in the simulator (run by `mabeam bench`): failure-detection
// time and false-positive rate at 50 and 500 nodes under 1% loss, message cost per node,
// convergence after a healed partition, and simulator speed for a 100-node SWIM cluster.
// Names are stable so results can be compared across commits.
#pragma once
#include <vector>

#include "bench/sim_bench.h"

namespace mabeam::bench {

void bench_membership(std::vector<Figure>& out);

}  // namespace mabeam::bench
