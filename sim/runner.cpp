// Running a scenario and reporting on it (see runner.h).
#include "sim/runner.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "engine/consensus/service.h"
#include "engine/duration.h"
#include "sim/agent_driver.h"
#include "sim/history.h"
#include "sim/selectors.h"
#include "sim/sha256.h"
#include "sim/world.h"
#include "sim/workload.h"

namespace mabeam::sim {

namespace {

// add_voter, remove_voter, transfer_leader: carried out at the leader (of the highest term
// among running nodes), traced as `admin` with the outcome; skipped without a leader.
void consensus_admin(World& w, const ScenarioEvent& e, const std::string& node) {
  raft::ConsensusService* leader = nullptr;
  std::string leader_name;
  for (std::uint32_t i = 0; i < w.size(); ++i) {
    SimNode& n = w.node(i);
    if (!n.up() || n.paused()) continue;
    auto* c = n.node()->find<raft::ConsensusService>();
    if (c && c->running() && c->role() == raft::Role::leader && (!leader || c->term() > leader->term())) {
      leader = c;
      leader_name = n.self();
    }
  }
  const char* verb = to_string(e.verb);
  if (!leader) {
    w.emit_global(TraceEvent("fault_ignored").with("fault", verb).with("node", node).with("reason", "no leader"));
    return;
  }
  Status s;
  if (e.verb == ScenarioEvent::Verb::add_voter) s = leader->change_membership(raft::Raft::Change::add_voter, node);
  if (e.verb == ScenarioEvent::Verb::remove_voter) s = leader->change_membership(raft::Raft::Change::remove, node);
  if (e.verb == ScenarioEvent::Verb::transfer_leader) s = leader->transfer_leader(node);
  TraceEvent t("admin");
  t.with("do", verb).with("node", node).with("leader", leader_name).with("ok", s.is_ok());
  if (!s) t.with("error", s.message());
  w.emit_global(t);
}

void script_event(World& w, Selectors& selectors, const ScenarioEvent& e) {
  std::string node;
  std::vector<std::vector<std::string>> groups;
  if (!selectors.resolve(e, node, groups)) return;  // the selector chose no node (traced)
  auto idx = [&](const std::string& name) { return static_cast<std::uint32_t>(w.index_of(name)); };
  using V = ScenarioEvent::Verb;
  switch (e.verb) {
    case V::crash: w.crash(idx(node), e.disk); break;
    case V::restart: w.restart(idx(node)); break;
    case V::pause: w.pause(idx(node), e.duration); break;
    case V::partition: w.partition(groups, e.layer); break;
    case V::partition_oneway: w.partition_oneway(e.from, e.to, e.layer); break;
    case V::heal: w.heal(e.layer); break;
    case V::link:
      for (const auto& f : e.from)
        for (const auto& t : e.to) w.link(f, t, e.latency, e.loss, e.duplicate, e.reorder, e.both_ways);
      break;
    case V::clock_skew: w.clock_skew(idx(node), e.offset, e.drift); break;
    case V::disk_fault: w.disk_fault(idx(node), e.duration); break;
    case V::join: w.join(idx(node)); break;
    case V::leave: w.leave(idx(node)); break;
    case V::add_voter:
    case V::remove_voter:
    case V::transfer_leader: consensus_admin(w, e, node); break;
    case V::write:
    case V::read:
    case V::cas: break;  // issued by the ClientDriver (sim/workload.h)
    case V::spawn:
    case V::send:
    case V::kill_agent: break;  // issued by the AgentDriver (sim/agent_driver.h)
  }
}

}  // namespace

RunResult run_scenario(const Scenario& sc, const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  RunResult r;
  r.scenario = sc.name;
  r.source = sc.source;
  r.seed = options.seed.value_or(sc.seed);

  std::vector<std::string> names;
  for (const auto& n : sc.nodes) names.push_back(n.name);
  NodeSetup setup = sc.setup;
  setup.peers = names;
  WorldOptions wo;
  wo.seed = r.seed;
  wo.scenario = sc.name;
  wo.trace = true;
  wo.trace_messages = sc.trace_messages;
  // Capabilities and resources from the scenario's node objects, gossiped by membership.
  for (const auto& n : sc.nodes)
    if (!n.capabilities.empty() || !n.resources.empty()) setup.node_info[n.name] = swim::NodeInfo{n.capabilities, n.resources, 0.0, 0};
  // The partition guard and the variables service (the guard only when something uses it,
  // so other scenarios' traces do not change).
  setup.variables = sc.variables;
  setup.variables.cluster = names;
  setup.variables.guard =
      std::any_of(sc.expect.begin(), sc.expect.end(), [](const Check& c) { return c.check == "readonly_minority"; });
  // The agent service and the registry, when the scenario has agents.
  if (sc.uses_agents()) setup.agents.enabled = true;
  setup.agents.config.bugs = options.agent_faults;
  World w(names, sc.network, wo, [setup](Node& node, std::uint64_t incarnation) { install_services(node, setup, incarnation); });
  ClientDriver clients(w, sc, r.seed);
  AgentDriver agent_clients(w, sc, r.seed);
  for (const auto& l : sc.links) w.link(l.from, l.to, l.latency, l.loss, l.duplicate, l.reorder, false);
  for (std::uint32_t i = 0; i < w.size(); ++i) w.node(i).disk().set_sync_latency(sc.disk_sync_latency);

  for (std::uint32_t i = 0; i < sc.nodes.size(); ++i)
    if (!sc.nodes[i].starts_by_join) w.scheduler().at(sc.nodes[i].start, [&w, i] { w.start(i); });
  Selectors selectors(w, r.seed);
  for (const auto& e : sc.events) w.scheduler().at(e.at, [&w, &selectors, &e] { script_event(w, selectors, e); });
  clients.schedule();  // write/read events and the workload
  agent_clients.schedule();  // spawn/send/kill_agent events and message workloads

  const TimeUs end = options.until ? std::min(*options.until, sc.duration) : sc.duration;
  w.run_until(end);

  r.sim_time_us = w.now();
  r.choices = selectors.choices();
  r.events = w.scheduler().fired();
  const auto& c = w.counters();
  r.metrics = w.node_metrics();
  r.metrics["messages_sent"] = static_cast<double>(c.sent);
  r.metrics["messages_delivered"] = static_cast<double>(c.delivered);
  r.metrics["messages_dropped_partition"] = static_cast<double>(c.dropped_partition);
  r.metrics["messages_dropped_loss"] = static_cast<double>(c.dropped_loss);
  r.metrics["messages_dropped_node_down"] = static_cast<double>(c.dropped_node_down);
  r.metrics["messages_dropped_decode"] = static_cast<double>(c.dropped_decode);
  r.metrics["messages_duplicated"] = static_cast<double>(c.duplicated);
  if (!sc.workload.empty() || clients.issued() > 0) {
    r.metrics["client_ops_issued"] = static_cast<double>(clients.issued());
    r.metrics["client_ops_unreachable"] = static_cast<double>(clients.unreachable());
    r.metrics["client_ops_skipped_busy_session"] = static_cast<double>(clients.skipped_busy());
  }
  if (sc.uses_agents()) {
    r.metrics["agent_client_ops_issued"] = static_cast<double>(agent_clients.issued());
    r.metrics["agent_client_ops_unreachable"] = static_cast<double>(agent_clients.unreachable());
  }

  std::string trace = w.take_trace();
  r.trace_sha256 = sha256_hex(trace);
  auto parsed = parse_trace_text(trace);
  if (!parsed) {
    r.error = "internal error: the simulator wrote a trace it cannot read back: " + parsed.status().message();
    r.ok = false;
  } else {
    r.checks = evaluate_checks(sc.expect, *parsed, end);
    r.ok = true;
    for (const auto& ch : r.checks) r.ok = r.ok && ch.ok;
  }
  if (options.keep_trace) r.trace = std::move(trace);
  r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start).count();
  return r;
}

std::string replay_command(const RunResult& r) {
  return "mabeam sim " + (r.source.empty() ? std::string("<scenario>") : r.source) + " --seed " + std::to_string(r.seed);
}

std::string report_json(const RunResult& r) {
  nlohmann::ordered_json j;
  j["scenario"] = r.scenario;
  j["seed"] = r.seed;
  j["ok"] = r.ok;
  j["checks"] = nlohmann::ordered_json::array();
  for (const auto& c : r.checks) j["checks"].push_back({{"check", c.check}, {"ok", c.ok}, {"detail", c.detail}});
  j["metrics"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : r.metrics) j["metrics"][k] = v;
  j["trace_sha256"] = r.trace_sha256;
  j["sim_time_us"] = r.sim_time_us;
  j["wall_ms"] = r.wall_ms;
  j["events"] = r.events;
  if (!r.error.empty()) j["error"] = r.error;
  return j.dump(2) + "\n";
}

std::string report_text(const RunResult& r) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "scenario %s, seed %llu: %s simulated in %.1f ms wall, %llu events\n", r.scenario.c_str(),
                static_cast<unsigned long long>(r.seed), format_time(r.sim_time_us).c_str(), r.wall_ms,
                static_cast<unsigned long long>(r.events));
  out += buf;
  std::snprintf(buf, sizeof buf, "messages: %.0f sent, %.0f delivered, %.0f lost, %.0f cut by partitions, %.0f to down nodes\n",
                r.metrics.count("messages_sent") ? r.metrics.at("messages_sent") : 0.0,
                r.metrics.count("messages_delivered") ? r.metrics.at("messages_delivered") : 0.0,
                r.metrics.count("messages_dropped_loss") ? r.metrics.at("messages_dropped_loss") : 0.0,
                r.metrics.count("messages_dropped_partition") ? r.metrics.at("messages_dropped_partition") : 0.0,
                r.metrics.count("messages_dropped_node_down") ? r.metrics.at("messages_dropped_node_down") : 0.0);
  out += buf;
  if (!r.error.empty()) out += "error: " + r.error + "\n";
  std::size_t failed = 0;
  for (const auto& c : r.checks) {
    out += std::string(c.ok ? "  ok    " : "  FAIL  ") + c.check + ": " + c.detail + "\n";
    if (!c.ok) ++failed;
  }
  if (r.checks.empty()) out += "  (no checks)\n";
  out += "trace sha256 " + r.trace_sha256 + "\n";
  if (r.ok) {
    out += "result: ok (" + std::to_string(r.checks.size()) + " checks hold)\n";
  } else {
    out += "result: FAILED (" + std::to_string(failed) + " of " + std::to_string(r.checks.size()) + " checks)\n";
    out += "replay: " + replay_command(r) + "\n";
  }
  return out;
}

}  // namespace mabeam::sim
