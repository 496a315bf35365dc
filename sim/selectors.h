// Fault selectors, resolved when their event fires (DESIGN.md, "Exploring seeds (swarm) and
// shrinking"): "leader" (among nodes that are up, the one claiming the highest term, from
// the `leader` trace events they emitted), "random" (a running, unpaused node), "$X" (the
// node an earlier event's `as` named), and for partitions "isolate" (one such node alone
// against the rest) and "halves" (a random minority of floor((n-1)/2) nodes against the
// rest). "random" and "halves" draw from their own stream, Rng::derived(seed, "selectors"),
// so every other random stream of the run stays that of the scenario as written.
//
// Tracing: a resolved event is preceded by one `select` line (node: the chosen node, or "*"
// for halves; do: the verb; selector; `as` when it names the node; `groups` for halves).
// An event whose target was resolved beforehand (`chosen` in the file, as sweeps write
// failing scenarios) gets the very same line and draws nothing, so a written scenario
// replays to the same trace. A selector that finds no node skips the event, traced as
// `fault_ignored` with the selector and the reason.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/rng.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace mabeam::sim {

// What a selector chose for one event of the scenario.
struct SelectorChoice {
  std::size_t index = 0;          // the event's position in the file's /events
  std::string selector;           // "leader", "random", "$X", "halves"
  std::string node;               // the chosen node (node targets, isolate)
  std::vector<std::string> minority;  // halves: the chosen minority, in node order
};

class Selectors {
 public:
  Selectors(World& world, std::uint64_t seed);

  // The target of `e` now. Sets `node` (node targets, isolate) or `groups` (partitions)
  // to what the event acts on, traces the choice, and binds `as`. False when the event is
  // skipped (traced as fault_ignored).
  bool resolve(const ScenarioEvent& e, std::string& node, std::vector<std::vector<std::string>>& groups);

  const std::vector<SelectorChoice>& choices() const { return choices_; }

 private:
  void trace_select(const ScenarioEvent& e, const std::string& selector, const std::string& node,
                    const std::vector<std::vector<std::string>>* groups);
  bool skip(const ScenarioEvent& e, const std::string& reason);

  World& world_;
  Rng rng_;
  std::map<std::string, std::string> bound_;  // `as` name -> node
  std::vector<SelectorChoice> choices_;
};

// The scenario document with every selector that chose a node replaced by its choice, and
// `chosen` recording the selector: what a sweep writes for a failing seed.
nlohmann::ordered_json resolve_document(nlohmann::ordered_json doc, const std::vector<SelectorChoice>& choices);

}  // namespace mabeam::sim
