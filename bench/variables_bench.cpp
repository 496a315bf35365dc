// The variables benchmarks (see variables_bench.h). Both build a scenario in code, run it
// in the simulator and measure from its trace, as the checks do (heal convergence runs the
// variables_converged check itself).
#include "bench/variables_bench.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "bench/stats.h"
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

// Time from the heal until every live replica holds the final value of every variable, and
// keeps it: the earliest `by` at which the variables_converged check holds (agreement from
// then on, on the value the acknowledged writes imply). Writes stop at the heal. The check
// holding at `by` holds at any later time, so the earliest candidate is found by bisection
// over the moments a replica's value changed.
bool heal_convergence(std::vector<Figure>& out) {
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
  if (!trace) {
    std::fprintf(stderr, "mabeam bench: variables: heal convergence: %s\n", trace.status().message().c_str());
    return false;
  }
  std::vector<TimeUs> candidates{heal.at};  // the moments a value may have settled
  for (const auto& rec : trace->records)
    if ((rec.ev == "var_apply" || rec.ev == "var_state") && rec.t > heal.at) candidates.push_back(rec.t);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  auto converged_by = [&](TimeUs by) {
    sim::Check c;
    c.check = "variables_converged";
    c.by = by;
    return sim::evaluate_checks({c}, *trace, r.sim_time_us).front();
  };
  if (const auto last = converged_by(candidates.back()); !last.ok) {
    std::fprintf(stderr, "mabeam bench: variables: the replicas never converged after the heal: %s\n", last.detail.c_str());
    return false;
  }
  const auto first = std::partition_point(candidates.begin(), candidates.end(),
                                          [&](TimeUs by) { return !converged_by(by).ok; });
  out.push_back({"variables_heal_convergence_5_nodes", static_cast<double>(*first - heal.at) / 1000.0, "ms"});
  return true;
}

// Maelstrom's efficient broadcast: 25 nodes, 100ms links, 100 writes/s in all. False when
// no write reached every node.
bool broadcast(std::vector<Figure>& out) {
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
  std::vector<double> lat;  // ms
  for (const auto& [k, d] : done) lat.push_back(static_cast<double>(d) / 1000.0);
  const double ops = static_cast<double>(writes.size());
  if (lat.empty()) {
    std::fprintf(stderr, "mabeam bench: variables: broadcast: no write reached all %d nodes\n", kNodes);
    return false;
  }
  out.push_back({"variables_broadcast_25_nodes_writes", ops, "writes"});
  out.push_back({"variables_broadcast_25_nodes_reached_all", static_cast<double>(lat.size()), "writes"});
  out.push_back({"variables_broadcast_25_nodes_msgs_per_op", ops > 0 ? var_msgs / ops : 0, "msgs/op"});
  out.push_back({"variables_broadcast_25_nodes_msgs_per_op_with_membership", ops > 0 ? all_msgs / ops : 0, "msgs/op"});
  out.push_back({"variables_broadcast_25_nodes_latency_median", median(lat), "ms"});
  out.push_back({"variables_broadcast_25_nodes_latency_max", percentile(lat, 1.0), "ms"});
  return true;
}

}  // namespace

bool bench_variables(std::vector<Figure>& out) {
  const bool healed = heal_convergence(out);
  return broadcast(out) && healed;
}

}  // namespace mabeam::bench
