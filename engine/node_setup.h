// How a host (sim or real) assembles a node's services from configuration: the one place
// that knows which services exist and how the `config` block of a scenario or a node's
// config file maps onto them. Both worlds call this, so they run the same services.
//
// Failure detector: for configuration read by parse_node_config (scenarios, config files)
// SWIM membership (`"membership": {...}`) is the default; the heartbeat detector runs
// instead with `"detector": "heartbeat"`, or when a `heartbeat` block is given without a
// `membership` block (the older scenarios' form). A NodeSetup built in code without
// parsing keeps the heartbeat detector unless it sets `detector`.
#pragma once
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "engine/agents/setup.h"
#include "engine/consensus/setup.h"
#include "engine/heartbeat.h"
#include "engine/membership/membership.h"
#include "engine/node.h"
#include "engine/status.h"
#include "engine/variables/setup.h"

namespace mabeam {

enum class Detector { swim, heartbeat };

struct NodeSetup {
  std::vector<std::string> peers;  // every node of the cluster, self included or not
  Detector detector = Detector::heartbeat;  // parse_node_config makes swim the default
  HeartbeatConfig heartbeat;
  // SWIM membership. Without explicit `seeds`, a node joins through peers[0] (the first
  // node of the cluster), and peers[0] itself forms the cluster.
  MembershipConfig membership;
  // Capabilities and resources of each node, gossiped with membership (the simulator
  // fills it from the scenario's node objects; a real node from its own configuration).
  std::map<std::string, swim::NodeInfo> node_info;
  // The variables service and the partition guard: declarations come from the document's
  // top-level `variables` (vars::parse_variables_config), tuning from `config.variables`
  // (parse_node_config reads it too, so a config block is checked whole).
  vars::VariablesSetup variables;
  // The agent service and the name registry (`config.agents`); installed when enabled.
  agents::AgentsSetup agents;
  // `config.max_drift`: the clock drift rate every lease assumes at most (the partition
  // guard's quorum lease; later Raft lease reads and agent ownership). Default 1%.
  double max_drift = 0.01;
  // The consensus service and strong variables (`config.consensus`, `config.max_drift`);
  // installed when configured or when a strong variable is declared.
  raft::ConsensusSetup consensus;
};

// Reads the `config` object (may be null) into `out`. Errors name the JSON pointer under
// `pointer` (e.g. "/config/heartbeat/interval"), what was expected and what was found.
Status parse_node_config(const nlohmann::json& config, const std::string& pointer, NodeSetup& out);

// Reads a node's own `capabilities` (array of strings) and `resources` (object of numbers)
// from `doc` (a real node's config file; both keys optional) into `out`.
Status parse_node_info(const nlohmann::json& doc, const std::string& pointer, swim::NodeInfo& out);

// Records one more boot in the node's storage and returns the boot count (1 at first start).
// This count is the node's incarnation: it grows at every restart.
Result<std::uint64_t> record_boot(Storage& storage);

// Adds the configured services to a fresh node (failure detector, then the partition guard
// and the variables service when configured, then the agent services when enabled); the
// caller then calls node.start().
void install_services(Node& node, const NodeSetup& setup, std::uint64_t incarnation);

}  // namespace mabeam
