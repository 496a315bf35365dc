// The consensus benchmark in the simulator (run by `mabeam bench`, group `consensus_sim`):
// a 5-voter Raft group with a strong variable under a mixed read/write/cas load from every
// node (the workload kind `mixed` at 200 arrivals per second per node; each node's client
// keeps one operation outstanding and skips arrivals while busy, so the load is closed-loop),
// 1-5 ms links, default timers and simulated fsync latency, 60 simulated seconds. Figures: entries committed per simulated second (the distinct log
// indexes a voter applied), operations acknowledged ok per simulated second, the median
// latency of an acknowledged write in simulated milliseconds, and simulated seconds per
// wall second (the median of three runs). The same figures as the real-node consensus
// bench, in the world where they replay.
#pragma once
#include <vector>

#include "bench/sim_bench.h"

namespace mabeam::bench {

// False when nothing was committed or acknowledged.
bool bench_consensus_sim(std::vector<Figure>& out);

}  // namespace mabeam::bench
