// `mabeam shrink FILE [--seed N] [-o MIN.json]`: shrinks a failing scenario to a smaller one
// that still fails the same check (sim/shrink.h), writes it, and prints the size before and
// after and the command that replays it. Exit code: 0 shrunk (the smallest scenario found is
// written), 1 the scenario does not fail, 2 bad input.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "app/cli_parse.h"
#include "app/commands.h"
#include "sim/scenario.h"
#include "sim/shrink.h"

namespace mabeam::app {

int cmd_shrink(int argc, char** argv) {
  CLI::App app(
      "Shrinks a failing scenario: removes events, nodes (and everything naming them), workload\n"
      "entries, variables, other checks and simulated time (a shorter run, earlier events), and\n"
      "tries nearby seeds, keeping each change while the same check still fails. Writes the\n"
      "smallest scenario found (by default FILE's name with .min.json), prints its size before\n"
      "and after and the command that replays it. Works on the scenarios `mabeam sweep --swarm`\n"
      "writes for failing seeds. The work is bounded by --max-runs and --max-time; within the\n"
      "run budget the result is deterministic. Exit code: 0 shrunk, 1 the scenario does not\n"
      "fail, 2 bad input.",
      "mabeam shrink");
  std::string file, out, check;
  std::optional<std::uint64_t> seed;
  sim::ShrinkOptions options;
  bool quiet = false;
  app.add_option("FILE", file, "a failing scenario file (JSON)")->required();
  app.add_option("--seed", seed, "the seed it fails with (default: the scenario's)");
  app.add_option("-o,--output", out, "where to write the smallest scenario (default: FILE.min.json)");
  app.add_option("--check", check, "the check to keep failing (default: the first that fails)");
  app.add_option("--max-runs", options.max_runs, "simulations at most (default 500)")->check(CLI::Range(1, 1000000));
  app.add_option("--max-time", options.max_seconds, "wall-clock seconds at most (default 300)")->check(CLI::Range(1.0, 86400.0));
  app.add_option("--nearby-seeds", options.nearby_seeds, "seeds tried on each side of the current one (default 2)")
      ->check(CLI::Range(0, 100));
  app.add_flag("-q,--quiet", quiet, "print only the result, not each step");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;

  auto loaded = sim::load_scenario_file(file);
  if (!loaded) {
    std::fprintf(stderr, "mabeam shrink: %s\n", loaded.status().message().c_str());
    return 2;
  }
  std::ifstream in(file, std::ios::binary);
  const nlohmann::ordered_json doc = nlohmann::ordered_json::parse(in);
  if (out.empty()) {
    std::filesystem::path p(file);
    out = (p.parent_path() / (p.stem().string() + ".min.json")).string();
  }
  options.seed = seed;
  options.check = check;
  if (!quiet) options.progress = [](const std::string& step) { std::printf("  %s\n", step.c_str()); };
  std::printf("shrinking %s (seed %llu)\n", file.c_str(), static_cast<unsigned long long>(seed.value_or(loaded->seed)));
  std::fflush(stdout);
  auto r = sim::shrink(doc, file, options);
  if (!r) {
    std::fprintf(stderr, "mabeam shrink: %s\n", r.status().message().c_str());
    return 2;
  }
  if (!r->fails) {
    std::printf("%s does not fail with seed %llu%s: nothing to shrink\n", file.c_str(),
                static_cast<unsigned long long>(r->seed), check.empty() ? "" : (" (check " + check + ")").c_str());
    return 1;
  }
  std::printf("before: %s\nafter:  %s\n", sim::size_text(r->before).c_str(), sim::size_text(r->after).c_str());
  std::printf("still fails: %s: %s\n", r->check.c_str(), r->detail.c_str());
  std::printf("%zu runs in %.1f s%s\n", r->runs, r->wall_s,
              r->budget_spent ? " (stopped by the budget: --max-runs or --max-time)" : "");
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << r->smallest.dump(2) << "\n";
  if (!f) {
    std::fprintf(stderr, "mabeam shrink: cannot write %s: %s\n", out.c_str(), std::strerror(errno));
    return 2;
  }
  std::printf("wrote %s (seed %llu)\nreplay: mabeam sim %s\n", out.c_str(), static_cast<unsigned long long>(r->seed),
              out.c_str());
  return 0;
}

}  // namespace mabeam::app
