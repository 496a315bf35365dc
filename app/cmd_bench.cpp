// `mabeam bench [--json]`: the benchmark suite. Prints one `name: value unit` line per
// figure, or with --json one object of figure name -> number. Figures are medians of
// repeated runs; compare them as ratios, on the same machine.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "bench/membership_bench.h"
#include "bench/sim_bench.h"
#include "bench/variables_bench.h"
#include "real/bench_real.h"

namespace mabeam::app {

int cmd_bench(int argc, char** argv) {
  CLI::App app("Runs the benchmark suite: scheduler throughput, simulation speed, simulated\n"
               "message rate, and real TCP messaging between two nodes on loopback. Prints\n"
               "'name: value unit' lines, or one JSON object with --json. Figures are medians\n"
               "or single timed runs: compare them as ratios on the same machine.",
               "mabeam bench");
  bool json = false;
  std::string only;
  app.add_flag("--json", json, "print one JSON object of figure name -> number");
  app.add_option("--only", only, "run only one group: des, speedup, msgs, membership, variables, real");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!only.empty() && only != "des" && only != "speedup" && only != "msgs" && only != "membership" && only != "variables" && only != "real") {
    std::fprintf(stderr, "mabeam bench: --only: expected des, speedup, msgs, membership, variables or real, found \"%s\"\n", only.c_str());
    return 2;
  }
  std::vector<bench::Figure> figures;
  auto want = [&](const char* group) { return only.empty() || only == group; };
  if (want("des")) bench::bench_scheduler(figures);
  if (want("speedup")) bench::bench_sim_speedup(figures);
  if (want("msgs")) bench::bench_sim_messages(figures);
  if (want("membership")) bench::bench_membership(figures);
  if (want("variables")) bench::bench_variables(figures);
  if (want("real")) {
    std::vector<std::pair<std::string, double>> real_figures;
    real::run_real_benchmarks(real_figures);
    for (const auto& [name, value] : real_figures)  // the names end with their unit
      figures.push_back({name, value, name.ends_with("_per_s") ? "/s" : name.ends_with("_us") ? "us" : ""});
  }
  if (json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& f : figures) j[f.name] = f.value;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& f : figures) std::printf("%s: %.6g %s\n", f.name.c_str(), f.value, f.unit.c_str());
  }
  return 0;
}

}  // namespace mabeam::app
