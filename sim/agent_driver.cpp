// The simulated clients of the agent service (see agent_driver.h).
#include "sim/agent_driver.h"

#include <cmath>

#include "engine/agents/service.h"

namespace mabeam::sim {

using Verb = ScenarioEvent::Verb;

AgentDriver::AgentDriver(World& world, const Scenario& scenario, std::uint64_t seed)
    : world_(world), scenario_(scenario), seed_(seed) {}

agents::AgentService* AgentDriver::service_at(const std::string& node) {
  const int i = world_.index_of(node);
  if (i < 0) return nullptr;
  SimNode& n = world_.node(static_cast<std::uint32_t>(i));
  if (!n.up() || n.paused()) return nullptr;
  return n.node()->find<agents::AgentService>();
}

void AgentDriver::schedule() {
  for (const auto& e : scenario_.events) {
    if (e.verb != Verb::spawn && e.verb != Verb::send && e.verb != Verb::kill_agent) continue;
    world_.scheduler().at(e.at, [this, &e] { run(e); });
  }
  for (std::size_t i = 0; i < scenario_.workload.size(); ++i) {
    const WorkloadSpec& w = scenario_.workload[i];
    if (w.kind != WorkloadSpec::Kind::messages) continue;
    std::vector<std::string> targets = w.to;
    if (!w.to_type.empty())
      for (const auto& [name, type] : scenario_.agent_names)
        if (type == w.to_type) targets.push_back(name);
    std::vector<std::string> nodes = w.nodes;
    if (nodes.empty())
      for (const auto& n : scenario_.nodes) nodes.push_back(n.name);
    for (const auto& node : nodes) {
      const std::string label = "agents/" + std::to_string(i) + "/" + node;
      streams_.push_back(std::make_unique<Stream>(Stream{i, &w, node, targets, Rng::derived(seed_, label)}));
      Stream* s = streams_.back().get();
      world_.scheduler().at(w.start, [this, s] { next(*s); });
    }
  }
}

void AgentDriver::run(const ScenarioEvent& e) {
  agents::AgentService* svc = service_at(e.node);
  if (!svc) {
    ++unreachable_;
    TraceEvent t(e.verb == Verb::spawn ? "agent_spawn_failed" : "client_unreachable");
    t.with("do", to_string(e.verb));
    if (!e.agent.empty()) t.with("name", e.agent);
    t.with("error", "node " + e.node + " is not running");
    world_.emit_about(e.node, t);
    return;
  }
  ++issued_;
  switch (e.verb) {
    case Verb::spawn: {
      agents::SpawnSpec spec;
      spec.type = e.agent_type;
      spec.name = e.agent;
      spec.state = Bytes(e.state.begin(), e.state.end());
      spec.durable = e.durable;
      spec.placement = e.placement;
      svc->spawn(std::move(spec), [](Result<std::string>) {});  // traced by the service
      return;
    }
    case Verb::send:
      svc->call("scenario", e.target, agents::Payload::json(e.msg), 0, [](const agents::Outcome&) {});
      return;
    case Verb::kill_agent:
      svc->kill("kill", e.agent, e.reason, [this, &e](const agents::Outcome& o) {
        // The exit's arrival is traced where it lands (agent_exit); the client's outcome here.
        TraceEvent t("agent_kill");
        t.with("agent", e.agent).with("reason", e.reason).with("outcome", agents::to_string(o.kind));
        if (!o.error.empty()) t.with("error", o.error);
        world_.emit_about(e.node, t);
      });
      return;
    default: return;
  }
}

void AgentDriver::next(Stream& s) {
  const WorkloadSpec& w = *s.spec;
  const auto gap = static_cast<DurationUs>(s.rng.exponential(mean_gap_us(w.rate)));
  const TimeUs at = world_.now() + std::max<DurationUs>(1, gap);
  if (at >= w.stop || s.targets.empty()) return;
  world_.scheduler().at(at, [this, &s, &w] {
    const std::string& to = s.targets[s.rng.below(s.targets.size())];
    if (agents::AgentService* svc = service_at(s.node)) {
      ++issued_;
      svc->call("w" + std::to_string(s.index), to, agents::Payload::json(w.msg), 0, [](const agents::Outcome&) {});
    } else {
      ++unreachable_;
    }
    next(s);
  });
}

}  // namespace mabeam::sim
