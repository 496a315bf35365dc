// The simulator's benchmarks (run by `mabeam bench`). Each returns figures as
// (name, value, unit); names are stable so results can be compared across commits.
#pragma once
#include <string>
#include <vector>

namespace mabeam::bench {

struct Figure {
  std::string name;
  double value;
  std::string unit;
};

// Schedules and fires timers with about 10^5 events pending (the "hold" model).
void bench_scheduler(std::vector<Figure>& out);
// Simulated seconds per wall second for a heartbeat cluster of 5 and 100 nodes.
void bench_sim_speedup(std::vector<Figure>& out);
// Messages delivered per wall second: N nodes, each round every node sends one 64-byte
// message to a peer drawn at random; the latency model on; about 10^6 messages in all.
void bench_sim_messages(std::vector<Figure>& out);

}  // namespace mabeam::bench
