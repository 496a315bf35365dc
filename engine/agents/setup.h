// Configuration and installation of the agent service and the name registry: reads
// `config.agents` strictly (errors name the JSON pointer, what was expected and what was
// found) and adds both services to a node. Called by the host's node assembly
// (engine/node_setup.cpp) after the failure detector and consensus are installed.
#pragma once
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "engine/agents/config.h"
#include "engine/agents/types.h"
#include "engine/node.h"
#include "engine/status.h"

namespace mabeam::agents {

struct AgentsSetup {
  bool enabled = false;  // install the services (a scenario with agents, a real node)
  AgentsConfig config;
  std::shared_ptr<const TypeRegistry> types;  // null: builtin_types()
};

// Reads a `config.agents` object into `out`. Keys: mailbox_max, agents_max,
// channel_items_max, retransmit_interval, call_timeout, spawn_timeout, replicas,
// name_lease, registry_timeout, sequencer.
Status parse_agents_config(const nlohmann::json& j, const std::string& pointer, AgentsConfig& out);

// Adds the registry and the agent service when setup.enabled; a no-op otherwise.
void install_agents(Node& node, const AgentsSetup& setup, std::uint64_t boot);

}  // namespace mabeam::agents
