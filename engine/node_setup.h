// How a host (sim or real) assembles a node's services from configuration: the one place
// that knows which services exist and how the `config` block of a scenario or a node's
// config file maps onto them. Both worlds call this, so they run the same services.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "engine/heartbeat.h"
#include "engine/node.h"
#include "engine/status.h"

namespace mabeam {

struct NodeSetup {
  std::vector<std::string> peers;  // every node of the cluster, self included or not
  HeartbeatConfig heartbeat;
};

// Reads the `config` object (may be null) into `out`. Errors name the JSON pointer under
// `pointer` (e.g. "/config/heartbeat/interval"), what was expected and what was found.
Status parse_node_config(const nlohmann::json& config, const std::string& pointer, NodeSetup& out);

// Records one more boot in the node's storage and returns the boot count (1 at first start).
// This count is the node's incarnation: it grows at every restart.
Result<std::uint64_t> record_boot(Storage& storage);

// Adds the configured services to a fresh node; the caller then calls node.start().
void install_services(Node& node, const NodeSetup& setup, std::uint64_t incarnation);

}  // namespace mabeam
