// The consensus benchmark in the simulator (see consensus_sim_bench.h): a scenario built as
// JSON text, run with its trace kept, and measured from the trace records.
#include "bench/consensus_sim_bench.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "bench/stats.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/trace_reader.h"

namespace mabeam::bench {

namespace {

constexpr const char* kScenario = R"({
  "name": "bench-consensus-5-voters",
  "seed": 1,
  "duration": "60s",
  "nodes": 5,
  "network": {"latency": {"dist": "uniform", "min": "1ms", "max": "5ms"}},
  "variables": [{"name": "x", "consistency": "strong"}],
  "workload": [{"kind": "mixed", "var": "x", "rate": 200, "nodes": "all", "start": "2s", "stop": "60s"}],
  "expect": [{"check": "single_leader_per_term"}]
})";

}  // namespace

bool bench_consensus_sim(std::vector<Figure>& out) {
  auto sc = sim::parse_scenario(kScenario, "bench");
  if (!sc) {
    std::fprintf(stderr, "mabeam bench: consensus_sim: %s\n", sc.status().message().c_str());
    return false;
  }
  std::vector<double> speed;
  sim::RunResult kept;
  for (int rep = 0; rep < 3; ++rep) {
    sim::RunOptions o;
    o.keep_trace = rep == 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = sim::run_scenario(*sc, o);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    speed.push_back(static_cast<double>(r.sim_time_us) / 1e6 / wall);
    if (rep == 0) kept = std::move(r);
  }
  auto trace = sim::parse_trace_text(kept.trace);
  if (!trace) {
    std::fprintf(stderr, "mabeam bench: consensus_sim: %s\n", trace.status().message().c_str());
    return false;
  }
  const TimeUs from = sec(2), to = kept.sim_time_us;
  std::map<std::string, std::set<std::int64_t>> applied;  // node -> log indexes applied
  std::map<std::string, std::pair<TimeUs, bool>> invoked;  // op id -> (invoked, a write)
  std::uint64_t ok = 0;
  std::vector<double> write_ms;
  for (const auto& rec : trace->records) {
    if (rec.t < from) continue;
    if (rec.ev == "op_apply") {
      applied[rec.node].insert(rec.fields.value("index", std::int64_t{0}));
    } else if (rec.ev == "op_invoke") {
      invoked[rec.fields.value("op", "")] = {rec.t, rec.fields.value("f", "") == "write"};
    } else if (rec.ev == "op_complete" && rec.fields.value("type", "") == "ok") {
      ++ok;
      auto it = invoked.find(rec.fields.value("op", ""));
      if (it != invoked.end() && it->second.second) write_ms.push_back(static_cast<double>(rec.t - it->second.first) / 1000.0);
    }
  }
  std::size_t commits = 0;
  for (const auto& [node, idx] : applied) commits = std::max(commits, idx.size());
  const double secs = static_cast<double>(to - from) / 1e6;
  if (commits == 0 || ok == 0 || write_ms.empty()) {
    std::fprintf(stderr, "mabeam bench: consensus_sim: nothing committed (%zu entries, %llu ok)\n", commits,
                 static_cast<unsigned long long>(ok));
    return false;
  }
  out.push_back({"sim_consensus_5_voters_commits_per_sim_sec", static_cast<double>(commits) / secs, "entries/sim-s"});
  out.push_back({"sim_consensus_5_voters_ok_ops_per_sim_sec", static_cast<double>(ok) / secs, "ops/sim-s"});
  out.push_back({"sim_consensus_5_voters_write_latency_median", median(write_ms), "sim-ms"});
  out.push_back({"sim_consensus_5_voters_speed", median(speed), "sim-s/wall-s"});
  return true;
}

}  // namespace mabeam::bench
