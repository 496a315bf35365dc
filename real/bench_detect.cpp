// Failure-detection times of real node processes (see bench_detect.h).
#include "real/bench_detect.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "real/cluster_launcher.h"

namespace mabeam::real {

namespace {

using Clock = std::chrono::steady_clock;

struct Profile {
  const char* name;
  const char* config;  // the nodes' config file
  Millis probe_interval;
  Millis form_timeout;
  Millis detect_timeout;  // well past the longest suspicion (6 x 4 probe intervals) and a probe
};

const Profile kFast{"fast", R"({"config":{"membership":{"probe_interval":"100ms","probe_timeout":"50ms"}}})", Millis(100),
                    Millis(10000), Millis(10000)};
const Profile kDefault{"default", R"({"config":{"membership":{}}})", Millis(1000), Millis(20000), Millis(60000)};

struct Fault {
  const char* name;
  int signal;
};
const Fault kFaults[] = {{"kill9", SIGKILL}, {"sigstop", SIGSTOP}};

std::vector<std::string> node_names(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("n" + std::to_string(i));
  return out;
}

// One sample: a fresh cluster, one fault, the time until every survivor shows the victim down.
Result<double> detect_once(const DetectBenchOptions& options, const Profile& profile, const Fault& fault) {
  auto created = LocalCluster::create(options.binary, profile.config);
  if (!created) return created.status();
  LocalCluster& c = **created;
  const auto names = node_names(options.nodes);
  for (const auto& n : names)
    if (auto s = c.start(n, n == names.front() ? "" : c.addr(names.front())); !s) return s;
  if (!c.formed(names, profile.form_timeout))
    return Status::unavailable(std::string(profile.name) + " timers: the cluster did not form within " +
                               std::to_string(profile.form_timeout.count()) + "ms");
  const auto settle_until = Clock::now() + 2 * profile.probe_interval;
  wait_until([&] { return Clock::now() >= settle_until; }, 2 * profile.probe_interval + Millis(10), Millis(10));

  const std::string victim = names.back();
  const std::vector<std::string> survivors(names.begin(), names.end() - 1);
  c.node(victim)->process->signal(fault.signal);
  const auto faulted = Clock::now();
  std::map<std::string, bool> seen;
  const bool all_seen = wait_until(
      [&] {
        for (const auto& s : survivors)
          if (!seen[s] && c.view(s, victim).first == "down") seen[s] = true;
        return std::all_of(survivors.begin(), survivors.end(), [&](const std::string& s) { return seen[s]; });
      },
      profile.detect_timeout, Millis(5));
  const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - faulted).count();
  if (!all_seen)
    return Status::unavailable(std::string(fault.name) + " with " + profile.name + " timers: not every survivor showed " +
                               victim + " down within " + std::to_string(profile.detect_timeout.count()) + "ms");
  return elapsed;  // `c` kills and reaps every node on the way out
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Status run_profile(std::vector<std::pair<std::string, double>>& out, const DetectBenchOptions& options,
                   const Profile& profile) {
  for (const Fault& fault : kFaults) {
    std::vector<double> samples;
    for (int i = 0; i < options.repeats; ++i) {
      auto t = detect_once(options, profile, fault);
      if (!t) return t.status();
      samples.push_back(*t);
    }
    const std::string base = std::string("real_detect_") + fault.name + "_" + profile.name;
    out.emplace_back(base + "_median_ms", median(samples));
    out.emplace_back(base + "_max_ms", *std::max_element(samples.begin(), samples.end()));
  }
  return Status::ok();
}

}  // namespace

Status run_detect_benchmarks(std::vector<std::pair<std::string, double>>& out, const DetectBenchOptions& options) {
  if (options.nodes < 2 || options.repeats < 1) return Status::invalid("detect: expected at least 2 nodes and 1 repeat");
  if (options.fast_timers)
    if (auto s = run_profile(out, options, kFast); !s) return s;
  if (options.default_timers)
    if (auto s = run_profile(out, options, kDefault); !s) return s;
  return Status::ok();
}

}  // namespace mabeam::real
