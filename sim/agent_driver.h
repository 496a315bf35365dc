// The simulated clients of the agent service: issues the scenario's spawn, send and
// kill_agent events and generates its `messages` workloads, as calls on the nodes' agent
// services (engine/agents/service.h), which trace every send, delivery and outcome.
//
// - spawn: on its node (which must be up; otherwise traced as agent_spawn_failed);
// - send: from the client "scenario" of its `from` node, to the agent's name;
// - kill_agent: from the client "kill" of its `from` node, an untrappable exit with the reason;
// - a `messages` workload: on each listed node a client "w<index>" sends `rate` messages per
//   second (exponential gaps, its own random stream Rng::derived(seed, "agents/<index>/<node>")),
//   each to a target drawn from `to` (or from the scenario's agents of `type`). Each client
//   keeps its order per target (one endpoint, one channel per target).
// An operation at a node that is down or paused is not issued (counted): its client could
// not reach the node.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace mabeam::agents {
class AgentService;
}

namespace mabeam::sim {

class AgentDriver {
 public:
  AgentDriver(World& world, const Scenario& scenario, std::uint64_t seed);
  AgentDriver(const AgentDriver&) = delete;
  AgentDriver& operator=(const AgentDriver&) = delete;

  void schedule();
  std::uint64_t issued() const { return issued_; }
  std::uint64_t unreachable() const { return unreachable_; }

 private:
  struct Stream {
    std::size_t index;
    const WorkloadSpec* spec;
    std::string node;
    std::vector<std::string> targets;
    Rng rng;
  };
  void run(const ScenarioEvent& e);
  void next(Stream& s);
  agents::AgentService* service_at(const std::string& node);

  World& world_;
  const Scenario& scenario_;
  std::uint64_t seed_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::uint64_t issued_ = 0, unreachable_ = 0;
};

}  // namespace mabeam::sim
