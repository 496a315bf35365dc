// `mabeam bench [--json]`: the benchmark suite. Prints one `name: value unit` line per
// figure, or with --json one object of figure name -> number. Medians and percentiles are
// bench/stats.h's, for every figure; compare them as ratios, on the same machine. Exits 1
// when a figure could not be measured (the group says why on stderr and leaves it out).
// The `detect` group starts real `mabeam node` processes (this same executable).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "bench/consensus_sim_bench.h"
#include "bench/detect_bench.h"
#include "bench/guard_bench.h"
#include "bench/lincheck_bench.h"
#include "bench/membership_bench.h"
#include "bench/real_bench.h"
#include "bench/sim_bench.h"
#include "bench/sweep_bench.h"
#include "bench/variables_bench.h"
#include "real/bench_agents.h"
#include "real/bench_consensus.h"

namespace mabeam::app {

namespace {

constexpr const char* kGroups[] = {"des",    "speedup",  "msgs", "membership", "variables", "guard", "consensus_sim",
                                   "sweep",  "shrink",   "lincheck", "real",   "detect",     "consensus", "agents"};

// "des, speedup, ... or agents" (`last` joins the final two).
std::string group_list(const char* last) {
  std::string s;
  const std::size_t n = std::size(kGroups);
  for (std::size_t i = 0; i < n; ++i) s += std::string(i == 0 ? "" : i + 1 == n ? last : ", ") + kGroups[i];
  return s;
}

// Simulated node-hours behind each false-down figure of the `detect` group.
constexpr double kFalseDownNodeHours = 100;

// Failure detection: real processes, then false downs in the simulator.
bool bench_detect(std::vector<bench::Figure>& figures, int repeats) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  bool measured = true;
  if (ec) {
    std::fprintf(stderr, "mabeam bench: detect: cannot find this executable (/proc/self/exe): %s\n", ec.message().c_str());
    measured = false;
  } else {
    bench::DetectBenchOptions options;
    options.binary = self.string();
    options.repeats = repeats;
    measured = bench::bench_detect(figures, options);
  }
  measured = bench::bench_false_downs(50, kFalseDownNodeHours, figures) && measured;
  measured = bench::bench_false_downs(500, kFalseDownNodeHours, figures) && measured;
  return measured;
}

// The consensus bench's figures, named with their unit at the end.
void add_real_figures(std::vector<bench::Figure>& figures, const std::vector<std::pair<std::string, double>>& real_figures) {
  for (const auto& [name, value] : real_figures)
    figures.push_back({name, value, name.ends_with("_per_s") ? "/s" : name.ends_with("_us") ? "us" : name.ends_with("_ms") ? "ms" : ""});
}

// Strong variables on real nodes beside etcd (only with --only consensus: it needs etcd).
bool bench_consensus(std::vector<bench::Figure>& figures, int repeats) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    std::fprintf(stderr, "mabeam bench: consensus: cannot find this executable (/proc/self/exe): %s\n", ec.message().c_str());
    return false;
  }
  real::ConsensusBenchOptions options;
  options.binary = self.string();
  options.repeats = repeats;
  std::vector<std::pair<std::string, double>> out;
  const Status s = real::run_consensus_benchmarks(out, options);
  add_real_figures(figures, out);
  if (!s) std::fprintf(stderr, "mabeam bench: consensus: %s\n", s.message().c_str());
  return static_cast<bool>(s);
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  CLI::App app("Runs the benchmark suite: scheduler throughput, simulation speed, simulated\n"
               "message rate, the linearizability checker, real TCP messaging between two nodes\n"
               "on loopback, and failure detection on real node processes. Prints 'name: value\n"
               "unit' lines, or one JSON object with --json. Figures are medians (the middle\n"
               "sample, or the mean of the two middle ones), maxima, nearest-rank p99s or single\n"
               "timed runs: compare them as ratios on the same machine. Exits 1 when a figure\n"
               "could not be measured (a detection that never happened, a failed setup, a round\n"
               "trip that never came back), after saying why on stderr.\n"
               "\n"
               "guard: the partition guard's quorum lease at 5, 50 and 500 simulated nodes with\n"
               "the defaults (1% loss): guard messages per node per second, entries per answer,\n"
               "rescue pulls per node-hour and mode flips in steady state, then the time until\n"
               "every node cut into a minority is read-only (median, max, beside the lease) and\n"
               "the majority nodes that turned read-only (must be 0). About ten minutes, most\n"
               "of it the 500-node world.\n"
               "\n"
               "consensus_sim: a 5-voter Raft group in the simulator under a mixed read/write/cas\n"
               "load from each node (one operation outstanding per node, arrivals at 200/s skipped\n"
               "while it is busy), 60 simulated seconds: entries\n"
               "committed and operations acknowledged per simulated second, median write\n"
               "latency in simulated ms, and simulated seconds per wall second (median of 3).\n"
               "\n"
               "lincheck: operations per second checked on generated histories of 1,000 and\n"
               "10,000 operations from 10 clients (and 10,000 from 50), linearizable and not\n"
               "(one stale read), and kv histories over 100 keys; plus the time to shrink a\n"
               "violation to a minimal set (about 10 s in all).\n"
               "\n"
               "sweep: seeds per second on one core, as `mabeam sweep` runs them, for each\n"
               "scenario family: swim-partition and swarm-membership (--swarm) for membership\n"
               "with gossip, variables-partition-2-3 and swarm-variables (--swarm) for variables\n"
               "with the partition guard (about 3 s each). shrink: `mabeam shrink` on each broken\n"
               "example in tests/data/broken_shrink: wall time, runs, and events, nodes and\n"
               "simulated seconds before and after. Both read files from the source tree.\n"
               "\n"
               "detect: 3 and 9 real `mabeam node` processes on 127.0.0.1 with SWIM's default\n"
               "timers; the last is killed (kill -9) or hung (SIGSTOP), and the figure is the\n"
               "time until every other node's /status says down (each polled every 5 ms);\n"
               "a killed node is then started again on its port with its data dir, and\n"
               "timed until every other node shows it active again. Median and max of\n"
               "--detect-repeats fresh clusters; each figure also as `_traced`, read from the\n"
               "nodes' own traces instead of their /status. Then false downs per node-hour in\n"
               "the simulator, 50 and 500 nodes under 1% loss, 100 node-hours each. About four\n"
               "minutes on a busy 2-core machine. For comparison, Erlang finds a hung node\n"
               "after about 1.24 x net_ticktime: 75 s by default.\n"
               "\n"
               "consensus (only with --only consensus: it needs etcd 3.4, Debian etcd-server, at\n"
               "/usr/bin/etcd): 3 real `mabeam node` voters and a 3-member etcd cluster on\n"
               "127.0.0.1, both fsyncing to disk, driven in the same run by one load generator\n"
               "over HTTP/1.1 keep-alive connections (client k on node k mod 3): writes of a\n"
               "256-byte value per second with p50/p99 latency at 1, 16, 64 and 256 clients, and\n"
               "linearizable read latency at 1 client; medians of --detect-repeats runs of 2 s,\n"
               "and mabeam/etcd ratios; then the time from kill -9 of the leader to the next\n"
               "acknowledged write, default and tuned (10 ms/100 ms) timers, median and max of\n"
               "--detect-repeats rounds (about two minutes with the default 5).\n"
               "\n"
               "agents: agent messages per second (64-byte payload) on one node and between two\n"
               "in-process real nodes, spawn rate, and request/reply round trip across two nodes,\n"
               "beside Erlang/OTP's process send, spawn and call measured the same way (needs erl\n"
               "on the PATH, Debian erlang-base; about 20 s).",
               "mabeam bench");
  bool json = false;
  std::string only;
  int detect_repeats = 5;
  app.add_flag("--json", json, "print one JSON object of figure name -> number");
  app.add_option("--only", only, "run only one group: " + group_list(", "));
  app.add_option("--detect-repeats", detect_repeats, "samples per detection figure, and runs per consensus figure (default 5)")->check(CLI::Range(1, 100));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!only.empty() && std::find(std::begin(kGroups), std::end(kGroups), only) == std::end(kGroups)) {
    std::fprintf(stderr, "mabeam bench: --only: expected %s, found \"%s\"\n", group_list(" or ").c_str(), only.c_str());
    return 2;
  }
  std::vector<bench::Figure> figures;
  auto want = [&](const char* group) { return only.empty() || only == group; };
  bool measured = true;
  if (want("des")) bench::bench_scheduler(figures);
  if (want("speedup")) bench::bench_sim_speedup(figures);
  if (want("msgs")) bench::bench_sim_messages(figures);
  if (want("membership")) measured = bench::bench_membership(figures) && measured;
  if (want("variables")) measured = bench::bench_variables(figures) && measured;
  if (want("guard")) measured = bench::bench_guard(figures) && measured;
  if (want("consensus_sim")) measured = bench::bench_consensus_sim(figures) && measured;
  if (want("sweep")) measured = bench::bench_sweep(figures) && measured;
  if (want("shrink")) measured = bench::bench_shrink(figures) && measured;
  if (want("lincheck")) measured = bench::bench_lincheck(figures) && measured;
  if (want("real")) measured = bench::bench_real(figures) && measured;
  if (want("detect")) measured = bench_detect(figures, detect_repeats) && measured;
  if (only == "consensus") measured = bench_consensus(figures, detect_repeats) && measured;
  if (want("agents")) {
    std::vector<std::pair<std::string, double>> agent_figures;
    std::string why;
    if (!real::run_agent_benchmarks(agent_figures, why)) {
      measured = false;
      if (!why.empty()) std::fprintf(stderr, "mabeam bench: agents: %s\n", why.c_str());
    }
    add_real_figures(figures, agent_figures);
  }
  if (json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& f : figures) j[f.name] = f.value;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& f : figures) std::printf("%s: %.6g %s\n", f.name.c_str(), f.value, f.unit.c_str());
  }
  return measured ? 0 : 1;
}

}  // namespace mabeam::app
