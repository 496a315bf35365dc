// Helpers shared by the simulator tests: a tiny scenario-free world of heartbeat nodes,
// and reading a trace's records of one kind.
#pragma once
#include <string>
#include <vector>

#include "engine/node_setup.h"
#include "sim/trace_reader.h"
#include "sim/world.h"

namespace mabeam::test {

inline std::vector<std::string> names(int n) {
  std::vector<std::string> v;
  for (int i = 1; i <= n; ++i) v.push_back("n" + std::to_string(i));
  return v;
}

inline sim::LinkParams fixed_latency(DurationUs d) {
  sim::LinkParams p;
  p.latency.dist = sim::Latency::Dist::fixed;
  p.latency.value = d;
  return p;
}

// A world of n heartbeat nodes (interval 100ms, down after 500ms), all started at 0.
inline std::unique_ptr<sim::World> heartbeat_world(int n, sim::LinkParams net, std::uint64_t seed = 1) {
  NodeSetup setup;
  setup.peers = names(n);
  setup.heartbeat = HeartbeatConfig{ms(100), ms(500)};
  sim::WorldOptions wo;
  wo.seed = seed;
  wo.scenario = "test";
  auto w = std::make_unique<sim::World>(setup.peers, net, wo,
                                        [setup](Node& node, std::uint64_t inc) { install_services(node, setup, inc); });
  for (int i = 0; i < n; ++i) w->start(static_cast<std::uint32_t>(i));
  return w;
}

inline std::vector<sim::TraceRecord> records_of(const std::string& trace, const std::string& ev) {
  auto t = sim::parse_trace_text(trace);
  std::vector<sim::TraceRecord> out;
  if (!t) return out;
  for (auto& r : t->records)
    if (r.ev == ev) out.push_back(r);
  return out;
}

}  // namespace mabeam::test
