// `mabeam sim` and `mabeam check`: run scenarios in the simulator (sweeps: cmd_sweep.cpp).
// Exit codes: 0 every check holds, 1 a check failed, 2 bad input (nothing was simulated
// for the bad file). Every failure prints the one-line command that replays it.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>

#include "app/cli_parse.h"
#include "app/commands.h"
#include "engine/duration.h"
#include "sim/runner.h"

namespace mabeam::app {

namespace {

namespace fs = std::filesystem;

bool write_file(const std::string& path, const std::string& text, const char* what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out << text;
  if (!out) {
    std::fprintf(stderr, "mabeam: cannot write %s %s: %s\n", what, path.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

std::string first_failure(const sim::RunResult& r) {
  if (!r.error.empty()) return r.error;
  for (const auto& c : r.checks)
    if (!c.ok) return c.check + ": " + c.detail;
  return "";
}

}  // namespace

int cmd_sim(int argc, char** argv) {
  CLI::App app("Runs one scenario in the simulator and prints a report. The scenario runs as\n"
               "written: the faults of a swarm block are drawn only by `mabeam sweep --swarm`,\n"
               "and a failing seed's scenario written by it replays here to the same trace.\n"
               "Exit code: 0 all checks hold, 1 a check failed, 2 bad input.",
               "mabeam sim");
  std::string file, trace_out, report_out, until_text;
  std::optional<std::uint64_t> seed;
  app.add_option("FILE", file, "scenario file (JSON)")->required();
  app.add_option("--seed", seed, "seed to run with (default: the scenario's)");
  app.add_option("--trace", trace_out, "write the trace (JSON Lines) to this file");
  app.add_option("--report", report_out, "write the report (JSON) to this file");
  app.add_option("--until", until_text, "stop the run at this simulated time, e.g. 12s");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;

  auto scenario = sim::load_scenario_file(file);
  if (!scenario) {
    std::fprintf(stderr, "mabeam sim: %s\n", scenario.status().message().c_str());
    return 2;
  }
  sim::RunOptions opts;
  opts.seed = seed;
  if (!until_text.empty()) {
    auto u = parse_duration(until_text);
    if (!u) {
      std::fprintf(stderr, "mabeam sim: --until: %s\n", u.status().message().c_str());
      return 2;
    }
    opts.until = *u;
  }
  opts.keep_trace = !trace_out.empty();
  const sim::RunResult r = sim::run_scenario(*scenario, opts);
  std::fputs(sim::report_text(r).c_str(), stdout);
  if (!trace_out.empty() && !write_file(trace_out, r.trace, "trace")) return 2;
  if (!report_out.empty() && !write_file(report_out, sim::report_json(r), "report")) return 2;
  return r.ok ? 0 : 1;
}

int cmd_check(int argc, char** argv) {
  CLI::App app("Runs scenario files (or every *.json in the given folders), one line each,\n"
               "and ends with 'N passed, M failed'. Exit code: 0 all pass, 1 a check failed,\n"
               "2 a scenario could not be loaded.",
               "mabeam check");
  std::vector<std::string> paths;
  app.add_option("PATH", paths, "scenario files or folders")->required();
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;

  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(p, ec))
        if (entry.path().extension() == ".json" && entry.path().filename() != "schema.json") found.push_back(entry.path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) std::fprintf(stderr, "mabeam check: %s: no scenario files (*.json) in this folder\n", p.c_str());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  int passed = 0, failed = 0, bad = 0;
  for (const auto& f : files) {
    auto scenario = sim::load_scenario_file(f);
    if (!scenario) {
      std::printf("ERROR %s: %s\n", f.c_str(), scenario.status().message().c_str());
      ++bad;
      continue;
    }
    sim::RunOptions opts;
    opts.keep_trace = false;
    const auto r = sim::run_scenario(*scenario, opts);
    if (r.ok) {
      std::printf("ok    %s (seed %llu, %zu checks, %.0f ms)\n", f.c_str(), static_cast<unsigned long long>(r.seed),
                  r.checks.size(), r.wall_ms);
      ++passed;
    } else {
      std::printf("FAIL  %s (seed %llu): %s\n      replay: %s\n", f.c_str(), static_cast<unsigned long long>(r.seed),
                  first_failure(r).c_str(), sim::replay_command(r).c_str());
      ++failed;
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed + bad);
  if (bad) return 2;
  return failed ? 1 : 0;
}

}  // namespace mabeam::app
