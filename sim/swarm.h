// Swarm draws (DESIGN.md, "Exploring seeds (swarm) and shrinking"): for one seed, the extra
// faults a scenario's `swarm` block allows, as plain scenario events.
//
// Each seed draws from its own stream, Rng::derived(seed, "swarm"). It first decides which
// fault kinds it gets (each kind with probability 1/2) and how many of each (1 to the
// block's most), so some seeds get many faults of one kind and some none; then places the
// faults in a shuffled order, each at a random time and target, retrying a few times when a
// placement breaks a rule and dropping the fault when none fits:
// - every fault starts and ends inside the window: a crash is followed by its restart, a
//   pause ends, a cut heals (each drawn cut is a layer of its own, "swarmK", and only its
//   own heal ends it), a link change and a clock skew are undone;
// - at most max_down nodes, counting the scripted faults, are crashed, paused or cut off
//   from the largest group at any instant: down = nodes - the largest group of running,
//   unpaused nodes left together by every symmetric cut, where a one-way cut puts its
//   smaller side out of the group; a scripted fault whose target is a selector counts as
//   one more node down (halves as floor((n-1)/2)) whoever it chooses;
// - a drawn fault leaves alone what scripted events do to the same node or link meanwhile:
//   a crash or pause only hits a node running and unpaused throughout, and no two faults
//   of one node's disk, clock or one link overlap, so undoing one restores what the
//   scenario as written has there (the link's parameters, the node's scripted drift); a
//   disk fault never covers an instant at which its node (re)starts, which would fail.
//   Targets a scripted selector chooses are not known beforehand and are not avoided.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/scenario.h"

namespace mabeam::sim {

struct SwarmDraw {
  nlohmann::ordered_json events = nlohmann::ordered_json::array();  // the drawn faults, as plain scenario events
  std::uint32_t wanted[SwarmSpec::kinds] = {};      // faults of each kind the seed chose to draw
  std::uint32_t placed[SwarmSpec::kinds] = {};      // ... and those that found room
  // "2 crash, 1 link" (and "1 partition found no room" when some were dropped), or "no faults".
  std::string summary() const;
};

// Draws one seed's faults. `s` must carry a swarm block.
SwarmDraw draw_swarm(const Scenario& s, std::uint64_t seed);

// The document one swarm seed runs: `doc` (the scenario file as JSON) without its swarm
// block, with `seed` set and the drawn events appended to its events. Parsed by the loader,
// it is exactly what runs; with the selectors' choices written in (resolve_document) it is
// what a failing seed writes.
nlohmann::ordered_json swarm_document(nlohmann::ordered_json doc, const SwarmDraw& draw, std::uint64_t seed);

// Nodes down at instant t by the rule above, for the scenario's events as written (a
// swarm document counts its drawn faults this way too).
std::uint32_t nodes_down_at(const Scenario& s, TimeUs t);

}  // namespace mabeam::sim
