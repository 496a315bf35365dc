// `mabeam bench [--json]`: the benchmark suite. Prints one `name: value unit` line per
// figure, or with --json one object of figure name -> number. Figures are medians of
// repeated runs; compare them as ratios, on the same machine.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "bench/sim_bench.h"

namespace mabeam::app {

int cmd_bench(int argc, char** argv) {
  CLI::App app("Runs the benchmark suite: scheduler throughput, simulation speed and message\n"
               "rate. Prints 'name: value unit' lines, or one JSON object with --json.",
               "mabeam bench");
  bool json = false;
  std::string only;
  app.add_flag("--json", json, "print one JSON object of figure name -> number");
  app.add_option("--only", only, "run only the benchmarks whose group matches: des, speedup, msgs");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::vector<bench::Figure> figures;
  auto want = [&](const char* group) { return only.empty() || only == group; };
  if (want("des")) bench::bench_scheduler(figures);
  if (want("speedup")) bench::bench_sim_speedup(figures);
  if (want("msgs")) bench::bench_sim_messages(figures);
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
