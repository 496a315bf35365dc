// Sweeps (`mabeam sweep`): one scenario over a range of seeds, optionally with each seed's
// own swarm faults (swarm.h), and the results of one shard as JSON, merged across shards
// (DESIGN.md, "Command line" and "Exploring seeds (swarm) and shrinking").
//
// A failing swarm seed writes the exact scenario it ran, `<out_dir>/<name>-seed<N>.json`:
// the file as written without its swarm block, the seed set, the drawn faults as plain
// events and every selector's choice written in (`chosen`), so `mabeam sim` on it replays
// the failing run's trace byte for byte.
//
// The shard results file (`--json`), version 1:
//   {"sweep": "mabeam", "version": 1, "scenario": NAME, "file": PATH, "scenario_sha256": HEX,
//    "swarm": BOOL, "seeds": {"from": A, "to": B}, "shard": {"index": I, "count": N},
//    "seeds_run": [[FIRST, LAST, STEP], ...], "passed": P, "failed": F,
//    "failures": [{"seed": S, "checks": [{"check": LABEL, "detail": TEXT}], "error": TEXT,
//                  "replay": CMD, "file": PATH, "trace_sha256": HEX, "drawn": TEXT}],
//    "failures_by_check": {LABEL: COUNT},
//    "figures": {"wall_s": W, "jobs": J, "seeds_per_s": X, "seeds_per_s_per_job": Y, "sim_s": Z}}
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/status.h"
#include "sim/checks.h"
#include "sim/scenario.h"

namespace mabeam::sim {

struct SweepSetup {
  const Scenario* scenario = nullptr;  // loaded from `file`
  nlohmann::ordered_json document;     // the file's JSON (keys in file order), for swarm documents
  std::string file;                    // the scenario file's path
  bool swarm = false;
  std::string out_dir = "failing";     // where failing swarm seeds are written
};

struct SeedResult {
  std::uint64_t seed = 0;
  bool ok = false;
  std::vector<CheckResult> failed;  // the checks that failed
  std::string error;                // an internal error, or a failing scenario that could not be written
  std::string replay;               // the command that replays it
  std::string file;                 // the scenario it wrote (swarm), "" otherwise
  std::string trace_sha256;
  std::string drawn;                // swarm: what the seed drew (SwarmDraw::summary)
  double wall_ms = 0;
  TimeUs sim_time_us = 0;
};

// Runs one seed; thread-safe (each call builds its own world). A failing swarm seed writes
// its scenario into setup.out_dir, which must exist.
SeedResult run_seed(const SweepSetup& setup, std::uint64_t seed);

// An arithmetic progression of seeds: first, first + step, ..., at most last.
struct SeedRange {
  std::uint64_t first = 0, last = 0, step = 1;
};

struct SweepReport {
  std::string scenario, file, scenario_sha256;
  bool swarm = false;
  std::uint64_t seeds_from = 0, seeds_to = 0;  // the range asked for, A..B
  std::uint64_t shard_index = 1, shard_count = 1;
  std::vector<SeedRange> seeds_run;
  std::uint64_t passed = 0, failed = 0;
  std::vector<SeedResult> failures;                    // by seed
  std::map<std::string, std::uint64_t> failures_by_check;  // a seed counts once per check it fails
  double wall_s = 0, sim_s = 0;
  unsigned jobs = 1;
};

// Adds one seed's result (its seed must be within seeds_run).
void record(SweepReport& report, const SeedResult& r);
nlohmann::ordered_json report_to_json(const SweepReport& report);
// Reads a shard results file's JSON; errors name `source` and the offending key.
Result<SweepReport> report_from_json(const nlohmann::json& j, const std::string& source);

struct MergedSweep {
  SweepReport total;
  std::vector<SeedRange> uncovered;   // asked for by the shards' ranges but run by none
  std::vector<SeedRange> duplicated;  // run by two shards or more
};
// Joins shard results. Refused (invalid) when the shards are of different scenarios or
// modes, or hold more than 10^7 seeds in all.
Result<MergedSweep> merge_reports(const std::vector<SweepReport>& shards);

// "3..5, 9, 12..14" for a list of step-1 ranges (as merge_reports returns them).
std::string ranges_text(const std::vector<SeedRange>& ranges);
// "no_false_down 3, members_converged by 30s 2": the most frequent first.
std::string by_check_text(const std::map<std::string, std::uint64_t>& by_check);

}  // namespace mabeam::sim
