// Shrinking a failing scenario (`mabeam shrink`, DESIGN.md "Exploring seeds (swarm) and
// shrinking"): the smallest scenario found that still fails the same check.
//
// The target is the first check that fails on the input (or the one named), identified by
// its name and its `node`/`var`, and it must keep failing the same way: the words of its
// failure detail, without node names and numbers, stay the same (so a crash removed does
// not turn "did not mark n4 down within 1s" into "n4 never crashed": a check with nothing
// to judge fails differently). Shrinking works on the JSON document, so every candidate
// is a scenario the loader accepts (a candidate it refuses is skipped), and greedily keeps
// each candidate that still fails the target:
// - the other checks, and a swarm block (only sweeps read it);
// - events, in chunks halving down to single events (an event's `as` takes the events
//   whose target is its "$X" along);
// - workload entries; variables, with the workload entries and writes/reads naming them;
// - nodes, last first, with everything naming them (their events, their place in partition
//   groups, one-way cuts, links, workload node lists, membership seeds);
// - simulated time: a shorter duration (never before a check's `by`), and events earlier
//   (the gap before each event time closed or halved, everything after it moved up; never
//   before the input's first event, so the cluster still forms first);
// - nearby seeds: when a round shrinks nothing, the seeds after and before the current one
//   that also fail are tried for another round.
// Rounds repeat until one shrinks nothing, or the budget (runs, wall time) is spent; what
// was found by then is returned (it always fails the target).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/status.h"
#include "engine/time.h"

namespace mabeam::sim {

struct ShrinkOptions {
  std::optional<std::uint64_t> seed;  // default: the document's seed
  std::string check;                  // the check to keep failing (its name); "" = the first that fails
  std::size_t max_runs = 500;         // simulations at most
  double max_seconds = 300;           // wall-clock budget
  int nearby_seeds = 2;               // seeds tried on each side of the current one
  std::function<void(const std::string&)> progress;  // told of each accepted step
};

// What `mabeam shrink` reports as the size of a scenario.
struct ScenarioSize {
  std::size_t events = 0, nodes = 0, workload = 0, variables = 0, checks = 0;
  TimeUs duration = 0;
};
ScenarioSize size_of(const nlohmann::ordered_json& doc);
std::string size_text(const ScenarioSize& s);  // "12 events, 5 nodes, 3 workload entries, 2 variables, 40s"

struct ShrinkResult {
  bool fails = false;                 // the input fails at all (else nothing was shrunk)
  std::string check;                  // the target check's label
  std::string detail;                 // its failure detail on the smallest scenario
  nlohmann::ordered_json smallest;    // the smallest failing scenario, seed included
  std::uint64_t seed = 0;
  ScenarioSize before, after;
  std::size_t runs = 0;
  double wall_s = 0;
  bool budget_spent = false;          // stopped by the budget rather than by a round that shrank nothing
};

// Errors: the document does not load (the loader's message), or the check named in
// options does not fail on the input is reported as fails = false, not as an error.
Result<ShrinkResult> shrink(const nlohmann::ordered_json& doc, const std::string& source, const ShrinkOptions& options);

}  // namespace mabeam::sim
