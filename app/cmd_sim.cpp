// `mabeam sim`, `mabeam check` and `mabeam sweep`: run scenarios in the simulator.
// Exit codes: 0 every check holds, 1 a check failed, 2 bad input (nothing was simulated
// for the bad file). Every failure prints the one-line command that replays it.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

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

// Parses a CLI11 command line; returns -1 to go on, or the exit code to return.
int parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return -1;
}

std::string first_failure(const sim::RunResult& r) {
  if (!r.error.empty()) return r.error;
  for (const auto& c : r.checks)
    if (!c.ok) return c.check + ": " + c.detail;
  return "";
}

}  // namespace

int cmd_sim(int argc, char** argv) {
  CLI::App app("Runs one scenario in the simulator and prints a report.\n"
               "Exit code: 0 all checks hold, 1 a check failed, 2 bad input.",
               "mabeam sim");
  std::string file, trace_out, report_out, until_text;
  std::optional<std::uint64_t> seed;
  app.add_option("FILE", file, "scenario file (JSON)")->required();
  app.add_option("--seed", seed, "seed to run with (default: the scenario's)");
  app.add_option("--trace", trace_out, "write the trace (JSON Lines) to this file");
  app.add_option("--report", report_out, "write the report (JSON) to this file");
  app.add_option("--until", until_text, "stop the run at this simulated time, e.g. 12s");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;

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
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;

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

int cmd_sweep(int argc, char** argv) {
  CLI::App app("Runs one scenario over a range of seeds and prints the failing seeds with the\n"
               "command that replays each. --shard I/N runs every N-th seed starting at the\n"
               "I-th (1-based), so N machines can split one range. Exit code: 0 all pass, 1 a\n"
               "seed failed, 2 bad input.",
               "mabeam sweep");
  std::string file, seeds_text, shard_text;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  app.add_option("FILE", file, "scenario file (JSON)")->required();
  app.add_option("--seeds", seeds_text, "seed range A..B (inclusive)")->required();
  app.add_option("--jobs", jobs, "simulations run in parallel (default: cores)")->check(CLI::Range(1u, 256u));
  app.add_option("--shard", shard_text, "run only shard I of N, e.g. 2/4");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;

  std::uint64_t a = 0, b = 0;
  {
    const auto dots = seeds_text.find("..");
    char* end = nullptr;
    bool ok = dots != std::string::npos;
    if (ok) {
      const std::string lo = seeds_text.substr(0, dots), hi = seeds_text.substr(dots + 2);
      ok = !lo.empty() && !hi.empty() && lo.find_first_not_of("0123456789") == std::string::npos &&
           hi.find_first_not_of("0123456789") == std::string::npos;
      if (ok) {
        a = std::strtoull(lo.c_str(), &end, 10);
        b = std::strtoull(hi.c_str(), &end, 10);
        ok = a <= b;
      }
    }
    if (!ok) {
      std::fprintf(stderr, "mabeam sweep: --seeds: expected A..B with A <= B (e.g. 1..1000), found \"%s\"\n", seeds_text.c_str());
      return 2;
    }
  }
  std::uint64_t shard_i = 1, shard_n = 1;
  if (!shard_text.empty()) {
    unsigned long long i = 0, n = 0;
    char extra = 0;
    if (std::sscanf(shard_text.c_str(), "%llu/%llu%c", &i, &n, &extra) != 2 || n == 0 || i == 0 || i > n) {
      std::fprintf(stderr, "mabeam sweep: --shard: expected I/N with 1 <= I <= N (e.g. 2/4), found \"%s\"\n", shard_text.c_str());
      return 2;
    }
    shard_i = i;
    shard_n = n;
  }
  auto scenario = sim::load_scenario_file(file);
  if (!scenario) {
    std::fprintf(stderr, "mabeam sweep: %s\n", scenario.status().message().c_str());
    return 2;
  }
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = a + (shard_i - 1); s <= b && s >= a; s += shard_n) {
    seeds.push_back(s);
    if (b - s < shard_n) break;
  }

  struct Outcome {
    bool ok = true;
    std::string failure, replay;
  };
  std::vector<Outcome> outcomes(seeds.size());
  std::atomic<std::size_t> next{0}, done{0}, failures{0};
  const bool progress = isatty(fileno(stderr)) != 0;
  const auto start = std::chrono::steady_clock::now();
  std::mutex print_mu;
  auto worker = [&] {
    for (;;) {
      const std::size_t k = next.fetch_add(1);
      if (k >= seeds.size()) return;
      sim::RunOptions opts;
      opts.seed = seeds[k];
      opts.keep_trace = false;
      const auto r = sim::run_scenario(*scenario, opts);
      outcomes[k] = {r.ok, r.ok ? "" : first_failure(r), sim::replay_command(r)};
      if (!r.ok) ++failures;
      const std::size_t d = ++done;
      if (progress) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double left = elapsed / static_cast<double>(d) * static_cast<double>(seeds.size() - d);
        std::lock_guard<std::mutex> lock(print_mu);
        std::fprintf(stderr, "\r%zu/%zu seeds, %zu failing, about %.0fs left   ", d, seeds.size(), failures.load(), left);
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < std::min<std::size_t>(jobs, seeds.size()); ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (progress) std::fputs("\n", stderr);

  std::size_t passed = 0, failed = 0;
  for (std::size_t k = 0; k < seeds.size(); ++k) {
    if (outcomes[k].ok) {
      ++passed;
      continue;
    }
    ++failed;
    std::printf("seed %llu: FAIL %s\n  replay: %s\n", static_cast<unsigned long long>(seeds[k]), outcomes[k].failure.c_str(),
                outcomes[k].replay.c_str());
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed ? 1 : 0;
}

}  // namespace mabeam::app
