// Seed exploration benchmarks (see sweep_bench.h).
#include "bench/sweep_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sim/shrink.h"
#include "sim/sweep.h"

namespace mabeam::bench {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kSweepSecondsPerFamily = 3.0;  // each figure runs seeds for about this long
constexpr std::uint64_t kSweepSeedsMin = 5, kSweepSeedsMax = 2000;

std::string figure_name(std::string stem) {
  std::replace(stem.begin(), stem.end(), '-', '_');
  return stem;
}

}  // namespace

bool bench_sweep(std::vector<Figure>& out) {
  struct Family {
    const char* file;
    bool swarm;
  };
  const Family families[] = {{"swim-partition.json", false},
                             {"swarm-membership.json", true},
                             {"variables-partition-2-3.json", false},
                             {"swarm-variables.json", true}};
  const fs::path out_dir = fs::temp_directory_path() / "mabeam-bench-sweep";
  bool ok = true;
  for (const auto& f : families) {
    const std::string path = std::string(MABEAM_SCENARIOS_DIR) + "/" + f.file;
    auto sc = sim::load_scenario_file(path);
    if (!sc) {
      std::fprintf(stderr, "mabeam bench: sweep: %s\n", sc.status().message().c_str());
      ok = false;
      continue;
    }
    std::ifstream in(path);
    fs::remove_all(out_dir);
    fs::create_directories(out_dir);
    sim::SweepSetup setup{&*sc, nlohmann::ordered_json::parse(in), path, f.swarm, out_dir.string()};
    const auto start = Clock::now();
    std::uint64_t seeds = 0;
    double wall = 0;
    while (seeds < kSweepSeedsMax && (seeds < kSweepSeedsMin || wall < kSweepSecondsPerFamily)) {
      sim::run_seed(setup, ++seeds);
      wall = std::chrono::duration<double>(Clock::now() - start).count();
    }
    const std::string stem = figure_name(fs::path(f.file).stem().string());
    out.push_back({"sweep_" + stem + "_seeds_per_s_per_core", static_cast<double>(seeds) / wall, "/s"});  // swarm-*: --swarm
  }
  fs::remove_all(out_dir);
  return ok;
}

bool bench_shrink(std::vector<Figure>& out) {
  const fs::path dir = fs::path(MABEAM_TEST_DATA_DIR) / "broken_shrink";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "mabeam bench: shrink: no broken examples in %s\n", dir.string().c_str());
    return false;
  }
  bool ok = true;
  for (const auto& path : files) {
    std::ifstream in(path);
    const auto doc = nlohmann::ordered_json::parse(in, nullptr, false);
    const auto start = Clock::now();
    auto r = sim::shrink(doc, path.string(), {});
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!r || !r->fails) {
      std::fprintf(stderr, "mabeam bench: shrink: %s: %s\n", path.string().c_str(),
                   r ? "does not fail: nothing to shrink" : r.status().message().c_str());
      ok = false;
      continue;
    }
    const std::string p = "shrink_" + figure_name(path.stem().string()) + "_";
    out.push_back({p + "wall_ms", ms, "ms"});
    out.push_back({p + "runs", static_cast<double>(r->runs), ""});
    out.push_back({p + "events_before", static_cast<double>(r->before.events), ""});
    out.push_back({p + "events_after", static_cast<double>(r->after.events), ""});
    out.push_back({p + "nodes_before", static_cast<double>(r->before.nodes), ""});
    out.push_back({p + "nodes_after", static_cast<double>(r->after.nodes), ""});
    out.push_back({p + "sim_s_before", static_cast<double>(r->before.duration) / 1e6, "s"});
    out.push_back({p + "sim_s_after", static_cast<double>(r->after.duration) / 1e6, "s"});
  }
  return ok;
}

}  // namespace mabeam::bench
