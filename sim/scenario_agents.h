// The parts of the strict scenario loader for agents (DESIGN.md, "Agents", scenario verbs):
// the verbs spawn, send and kill_agent, the workload kind `messages`, and the cross-checks
// that every agent a scenario refers to (send `to`, kill_agent `agent`, a workload's `to`,
// a "host:NAME" selector, agent_state's `agent`) is one a spawn gives (or a supervisor's
// child spec names). Called by the Loader of scenario.cpp; errors are thrown as LoadError
// (scenario_read.h) with the JSON pointer of the offending value.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "sim/scenario.h"
#include "sim/scenario_swarm.h"

namespace mabeam::sim::load {

// The keys each agent verb may carry.
extern const std::vector<std::string> kSpawnKeys, kSendKeys, kKillKeys;

void read_spawn(const nlohmann::json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref, Scenario& s);
void read_send(const nlohmann::json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref);
void read_kill(const nlohmann::json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref);
// The agent-specific keys of a workload entry of kind "messages" (`to`, `msg`).
void read_messages_workload(const nlohmann::json& w, const std::string& p, WorkloadSpec& spec);
// After the whole document is loaded: names referred to exist, of the right type.
void check_agent_refs(const Scenario& s);

// Whether a selector text names the host of an agent ("host:NAME") and, if so, NAME.
bool host_selector(const std::string& selector, std::string& name);

}  // namespace mabeam::sim::load
