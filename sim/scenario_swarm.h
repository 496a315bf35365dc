// The parts of the strict scenario loader for seed exploration (DESIGN.md, "Exploring
// seeds (swarm) and shrinking"): fault selectors in scripted events ("leader", "random",
// "$X", "host:NAME", a partition's "isolate" and "halves", `as`, `chosen`), cut layers, and
// the `swarm` block. Called by the Loader of scenario.cpp; errors are thrown as LoadError
// (scenario_read.h) with the JSON pointer of the offending value.
#pragma once
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/scenario.h"

namespace mabeam::sim::load {

// Checks that a JSON value names one of the scenario's nodes and returns the name.
using NodeRef = std::function<std::string(const nlohmann::json&, const std::string&)>;

// The keys a fault event with a node target may carry besides its verb's own.
extern const char* const kTargetKeys[2];  // "as", "chosen"

// Reads `node` of a crash, restart, join, leave, pause, clock_skew or disk_fault event: a
// node name or a selector, and the event's `as` and `chosen`.
void read_fault_target(const nlohmann::json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref);
// Reads a partition given by `isolate` (a node or a selector) or by `"groups": "halves"`,
// and its `as` and `chosen`. `load_groups` reads explicit groups (the core loader's).
// `nodes` are the scenario's nodes, in order.
void read_partition_target(const nlohmann::json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref,
                           const std::vector<NodeSpec>& nodes, const std::function<void()>& load_groups);
// Reads the optional `layer` of a partition, partition_oneway or heal.
void read_layer(const nlohmann::json& e, const std::string& p, ScenarioEvent& ev);
// After the events are sorted: every "$X" names an `as` of an event that fires before it,
// and no name is bound twice.
void check_selector_bindings(const Scenario& s);

// Reads the `swarm` block into s.swarm; the nodes, duration, config and expect are loaded.
// `root` is the whole document: a check with `by` must judge after the window.
void load_swarm(const nlohmann::json& root, Scenario& s);

}  // namespace mabeam::sim::load
