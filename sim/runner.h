// Running one scenario: build the world, script its events, run to the end, evaluate the
// checks on the trace, and gather the report (DESIGN.md, "Command line": the report file).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/checks.h"
#include "sim/scenario.h"
#include "sim/selectors.h"

namespace mabeam::sim {

struct RunOptions {
  std::optional<std::uint64_t> seed;  // overrides the scenario's seed
  std::optional<TimeUs> until;        // stop early
  bool keep_trace = true;             // keep the trace text in the result
};

struct RunResult {
  std::string scenario;
  std::string source;  // the scenario file, if any
  std::uint64_t seed = 0;
  bool ok = false;
  std::vector<CheckResult> checks;
  std::map<std::string, double> metrics;
  std::string trace_sha256;
  TimeUs sim_time_us = 0;
  double wall_ms = 0;
  std::uint64_t events = 0;
  std::string trace;  // empty unless keep_trace
  std::string error;  // set when the trace could not be read back (an internal error)
  std::vector<SelectorChoice> choices;  // what each fault selector chose, in firing order
};

RunResult run_scenario(const Scenario& scenario, const RunOptions& options);

// The report file (JSON): scenario, seed, ok, checks, metrics, trace_sha256, sim_time_us,
// wall_ms, events.
std::string report_json(const RunResult& r);
// The human report printed by `mabeam sim`.
std::string report_text(const RunResult& r);
// The one-line command that replays this run.
std::string replay_command(const RunResult& r);

}  // namespace mabeam::sim
