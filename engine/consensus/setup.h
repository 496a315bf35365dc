// Configuration and installation of the consensus service and the strong variables: reads
// `config.consensus` (voters, election_timeout, heartbeat_interval, snapshot_entries,
// max_inflight, read, op_timeout) strictly, errors naming the JSON pointer, and adds the two
// services to a node. Called by the host's node assembly (engine/node_setup.cpp).
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "engine/consensus/service.h"
#include "engine/node.h"
#include "engine/status.h"

namespace mabeam::raft {

struct ConsensusSetup {
  bool configured = false;           // a `consensus` block was given
  bool voters_set = false;           // it named the voters
  ConsensusConfig config;
  std::vector<std::string> strong_vars;  // strong variables declared (filled by the host)
  bool wanted() const { return configured || !strong_vars.empty(); }
};

// The default voters of a scenario: the first min(5, n) nodes.
std::vector<std::string> default_voters(const std::vector<std::string>& peers);

Status parse_consensus_config(const nlohmann::json& j, const std::string& pointer, ConsensusSetup& out);

// Adds the consensus service (and the strong variables when declared) when wanted();
// voters default to default_voters(peers) when not set.
void install_consensus(Node& node, const ConsensusSetup& setup, const std::vector<std::string>& peers,
                       std::uint64_t incarnation);

}  // namespace mabeam::raft
