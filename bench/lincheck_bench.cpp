// The checker benchmarks (see lincheck_bench.h). Each figure is the median of 3 runs on the
// same generated history; the search's step counts are printed too, since they do not
// depend on the machine.
#include "bench/lincheck_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "sim/lincheck/checker.h"
#include "sim/lincheck/generate.h"

namespace mabeam::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRepeats = 3;

struct Timed {
  double seconds;
  lincheck::CheckReport report;
};

Timed time_check(const lincheck::History& h, bool minimize) {
  std::vector<double> runs;
  lincheck::CheckReport last;
  for (int i = 0; i < kRepeats; ++i) {
    lincheck::CheckOptions o;
    o.minimize = minimize;
    o.timeout = std::chrono::minutes(2);
    const auto t0 = Clock::now();
    last = lincheck::check_history(h, o);
    runs.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(runs.begin(), runs.end());
  return {runs[runs.size() / 2], last};
}

// Adds "<name>_ops_per_s" and "<name>_steps"; warns when the verdict is not the expected one.
void figure(std::vector<Figure>& out, const std::string& name, const lincheck::History& h, lincheck::Verdict expected) {
  const Timed t = time_check(h, false);
  if (t.report.verdict != expected) {
    std::fprintf(stderr, "mabeam bench: lincheck: %s: expected %s, got %s\n", name.c_str(),
                 std::string(lincheck::verdict_name(expected)).c_str(),
                 std::string(lincheck::verdict_name(t.report.verdict)).c_str());
    return;
  }
  out.push_back({name + "_ops_per_s", static_cast<double>(h.ops.size()) / std::max(t.seconds, 1e-9), "ops/s"});
  out.push_back({name + "_steps", static_cast<double>(t.report.steps), "steps"});
}

lincheck::History generated(std::size_t ops, std::size_t keys, std::size_t value_domain, double info) {
  lincheck::GenerateOptions g;
  g.seed = 42;
  g.ops = ops;
  g.clients = 10;
  g.keys = keys;
  g.value_domain = value_domain;
  g.info_probability = info;
  return lincheck::generate_history(g);
}

}  // namespace

void bench_lincheck(std::vector<Figure>& out) {
  using lincheck::Verdict;
  for (std::size_t n : {1000, 10000}) {
    const std::string size = n == 1000 ? "1k" : "10k";
    // Few distinct values make many orders look alike: the harder case for the search.
    figure(out, "lincheck_" + size + "_linearizable", generated(n, 1, 5, 0.01), Verdict::linearizable);
    figure(out, "lincheck_" + size + "_linearizable_unique_values", generated(n, 1, 0, 0.01), Verdict::linearizable);
    lincheck::History bad = generated(n, 1, 0, 0.01);
    if (lincheck::make_stale_read(bad, 0.5) < 0) {
      std::fprintf(stderr, "mabeam bench: lincheck: no read to make stale in the %s history\n", size.c_str());
      continue;
    }
    figure(out, "lincheck_" + size + "_not_linearizable", bad, Verdict::not_linearizable);
    const Timed shrink = time_check(bad, true);
    if (shrink.report.violation) {
      out.push_back({"lincheck_" + size + "_not_linearizable_with_minimal_set_ms", shrink.seconds * 1000.0, "ms"});
      out.push_back({"lincheck_" + size + "_minimal_set_ops", static_cast<double>(shrink.report.violation->ops.size()), "ops"});
    }
  }
  figure(out, "lincheck_kv_100_keys_10k", generated(10000, 100, 5, 0.01), Verdict::linearizable);
}

}  // namespace mabeam::bench
