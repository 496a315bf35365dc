// The variables benchmarks (see variables_bench.h). Both build a scenario in code, run it
// in the simulator and measure from its trace, as the checks do.
#include "bench/variables_bench.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "sim/runner.h"

namespace mabeam::bench {

namespace {

using sim::Scenario;

Scenario cluster(int n, DurationUs latency_fixed, DurationUs duration) {
  Scenario sc;
  sc.name = "bench-variables";
  sc.seed = 1;
  sc.duration = duration;
  for (int i = 1; i <= n; ++i) sc.nodes.push_back(sim::NodeSpec{"n" + std::to_string(i), {}, {}, 0, false});
  for (const auto& node : sc.nodes) {
    sc.setup.peers.push_back(node.name);
    sc.variables.cluster.push_back(node.name);
  }
  sc.network.latency.dist = sim::Latency::Dist::fixed;
  sc.network.latency.value = latency_fixed;
  sc.setup.heartbeat = HeartbeatConfig{ms(200), ms(1000)};
  sc.trace_messages = true;
  return sc;
}

// Time from the heal to the last var_apply that changed a node's value (writes stop at the heal).
void heal_convergence(std::vector<Figure>& out) {
  Scenario sc = cluster(5, ms(3), sec(30));
  sc.trace_messages = false;
  sc.variables.config.anti_entropy_interval = ms(300);
  sc.variables.variables = {{"hits", vars::Consistency::eventual, vars::Resolve::g_counter, "", 3, true},
                            {"tags", vars::Consistency::eventual, vars::Resolve::or_set, "", 3, true},
                            {"hint", vars::Consistency::eventual, vars::Resolve::lww, "", 3, true}};
  for (const auto& v : sc.variables.variables)
    sc.workload.push_back(sim::WorkloadSpec{sim::WorkloadSpec::Kind::writes, v.name, 10, {}, sec(2), sec(20), "", {}, "", ""});
  sim::ScenarioEvent split;
  split.at = sec(10);
  split.verb = sim::ScenarioEvent::Verb::partition;
  split.groups = {{"n1", "n2"}, {"n3", "n4", "n5"}};
  sim::ScenarioEvent heal;
  heal.at = sec(20);
  heal.verb = sim::ScenarioEvent::Verb::heal;
  sc.events = {split, heal};
  sim::RunOptions o;
  const auto r = sim::run_scenario(sc, o);
  auto trace = sim::parse_trace_text(r.trace);
  TimeUs last = heal.at;
  std::map<std::pair<std::string, std::string>, std::string> held;
  for (const auto& rec : trace->records) {
    if (rec.ev != "var_apply") continue;
    auto& v = held[{rec.node, rec.fields.value("var", "")}];
    const std::string now = rec.fields["value"].dump();
    if (now != v && rec.t > heal.at) last = std::max(last, rec.t);
    v = now;
  }
  out.push_back({"variables_heal_convergence_5_nodes", static_cast<double>(last - heal.at) / 1000.0, "ms"});
}

// Maelstrom's efficient broadcast: 25 nodes, 100ms links, 100 writes/s in all.
void broadcast(std::vector<Figure>& out) {
  constexpr int kNodes = 25;
  Scenario sc = cluster(kNodes, ms(100), sec(30));
  sc.variables.config.flush_interval = ms(200);
  sc.variables.config.anti_entropy_interval = sec(2);
  sc.variables.variables = {{"log", vars::Consistency::eventual, vars::Resolve::g_counter, "", kNodes, true}};
  sc.workload.push_back(
      sim::WorkloadSpec{sim::WorkloadSpec::Kind::writes, "log", 100.0 / kNodes, {}, sec(3), sec(23), "", {}, "", ""});
  sim::RunOptions o;
  const auto r = sim::run_scenario(sc, o);
  auto trace = sim::parse_trace_text(r.trace);
  std::map<std::tuple<std::string, std::int64_t>, std::pair<TimeUs, int>> writes;  // dot -> (written, nodes reached)
  std::map<std::tuple<std::string, std::int64_t>, TimeUs> done;
  double var_msgs = 0, all_msgs = 0;
  for (const auto& rec : trace->records) {
    if (rec.ev == "msg_send") {
      const std::string type = rec.fields.value("type", "");
      ++all_msgs;
      if (type == "var_writes" || type == "var_digest") ++var_msgs;
    } else if (rec.ev == "var_write" && rec.fields.value("ok", false)) {
      writes[{rec.node, rec.fields.value("seq", std::int64_t{0})}] = {rec.t, 0};
    } else if (rec.ev == "var_apply") {
      auto key = std::make_tuple(rec.fields.value("origin", ""), rec.fields.value("seq", std::int64_t{0}));
      auto it = writes.find(key);
      if (it == writes.end()) continue;
      if (++it->second.second == kNodes) done[key] = rec.t - it->second.first;
    }
  }
  std::vector<TimeUs> lat;
  for (const auto& [k, d] : done) lat.push_back(d);
  std::sort(lat.begin(), lat.end());
  const double ops = static_cast<double>(writes.size());
  out.push_back({"variables_broadcast_25_nodes_writes", ops, "writes"});
  out.push_back({"variables_broadcast_25_nodes_reached_all", static_cast<double>(lat.size()), "writes"});
  out.push_back({"variables_broadcast_25_nodes_msgs_per_op", ops > 0 ? var_msgs / ops : 0, "msgs/op"});
  out.push_back({"variables_broadcast_25_nodes_msgs_per_op_with_membership", ops > 0 ? all_msgs / ops : 0, "msgs/op"});
  out.push_back({"variables_broadcast_25_nodes_latency_median", lat.empty() ? 0 : lat[lat.size() / 2] / 1000.0, "ms"});
  out.push_back({"variables_broadcast_25_nodes_latency_max", lat.empty() ? 0 : lat.back() / 1000.0, "ms"});
}

}  // namespace

void bench_variables(std::vector<Figure>& out) {
  heal_convergence(out);
  broadcast(out);
}

}  // namespace mabeam::bench
