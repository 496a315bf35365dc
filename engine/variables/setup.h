// Configuration and installation of the variables service and the partition guard: reads
// the declarations (a scenario's top-level `variables` array) and the service's tuning
// (`config.variables`), and adds both services to a node. Called by the host's node
// assembly (engine/node_setup.cpp) after the membership service is installed.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "engine/node.h"
#include "engine/status.h"
#include "engine/variables/partition_guard.h"
#include "engine/variables/spec.h"

namespace mabeam::vars {

struct VariablesSetup {
  std::vector<VariableSpec> variables;
  VariablesConfig config;
  std::vector<std::string> cluster;  // the configured cluster the partition guard counts against
  // The number of nodes the cluster is meant to have (a real node's --cluster-size): the
  // guard counts a majority against at least this many. 0: only the nodes it knows of.
  std::size_t cluster_size = 0;
  GuardConfig guard_config;          // `config.partition_guard` and `config.max_drift`
  bool guard = false;                // install the partition guard (also without variables)
};

// Reads `variables` (an array of declarations) and `config`/`variables` (an object of
// tuning) from `config_root` (a scenario document, or a node's config file of the same
// shape; both keys optional). Errors name the JSON pointer under `pointer` ("" for a
// scenario), what was expected and what was found. A `strong` variable is declared here
// too but served by the consensus group (engine/consensus/), not by install_variables.
Status parse_variables_config(const nlohmann::json& config_root, const std::string& pointer, VariablesSetup& out);

// Reads just a `config.variables` object (may be null) into `out.config`.
Status parse_variables_tuning(const nlohmann::json& tuning, const std::string& pointer, VariablesConfig& out);

// Reads a `config.partition_guard` object (quorum_lease, round, fanout) into `out`.
Status parse_guard_config(const nlohmann::json& j, const std::string& pointer, GuardConfig& out);

// Adds the partition guard and the variables service to a node (after its membership
// service). Declared variables always come with the guard (they need its mode); without
// variables the guard is installed only when `guard` is set. A no-op otherwise.
void install_variables(Node& node, const VariablesSetup& setup);

}  // namespace mabeam::vars
