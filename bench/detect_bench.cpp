// Failure-detection times of real node processes (see detect_bench.h).
#include "bench/detect_bench.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "bench/stats.h"

namespace mabeam::bench {

namespace {

using Clock = std::chrono::steady_clock;
using real::LocalCluster;
using real::Millis;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::int64_t wall_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// When `observer`'s own trace first has a `member` line about `subject` for which `holds`
// is true at or after `since_us`: the trace header's start_unix_us plus the line's t, on the
// wall clock this host shares with the benchmark (microseconds); nullopt if it has none.
std::optional<std::int64_t> traced_at(const LocalCluster& c, const std::string& observer, const std::string& subject,
                                      const std::function<bool(const nlohmann::json&)>& holds, std::int64_t since_us) {
  std::istringstream in(real::read_text_file(c.dir().file(observer + ".jsonl")));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto header = nlohmann::json::parse(line, nullptr, false);
  if (!header.is_object() || !header.contains("start_unix_us") || !header["start_unix_us"].is_number_integer()) return std::nullopt;
  const auto start = header["start_unix_us"].get<std::int64_t>();
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("ev", "") != "member" || j.value("subject", "") != subject || !j.contains("t")) continue;
    const std::int64_t at = start + j["t"].get<std::int64_t>();
    if (at >= since_us && holds(j)) return at;
  }
  return std::nullopt;
}

// The latest of the observers' traced times, in ms since `since_us`; error naming an
// observer whose trace has no such line.
Result<double> all_traced(const LocalCluster& c, const std::vector<std::string>& observers, const std::string& subject,
                          const std::function<bool(const nlohmann::json&)>& holds, std::int64_t since_us, const std::string& what) {
  std::int64_t last = since_us;
  for (const auto& o : observers) {
    auto at = traced_at(c, o, subject, holds, since_us);
    if (!at) return Status::unavailable(o + "'s trace has no " + what + " line");
    last = std::max(last, *at);
  }
  return static_cast<double>(last - since_us) / 1000.0;
}

// Polls each observer's /status from its own thread, every `step`, until `holds` is true of
// what it says of `subject`, or until `timeout`. Construct it before the fault, so the first
// poll after it is never late; wait() joins the threads.
class Watch {
 public:
  using View = std::pair<std::string, std::int64_t>;  // state, incarnation
  Watch(std::vector<std::uint16_t> observers, std::string subject, std::function<bool(const View&)> holds, Millis step,
        Millis timeout)
      : seen_(observers.size()), deadline_(Clock::now() + timeout) {
    for (std::size_t i = 0; i < observers.size(); ++i)
      threads_.emplace_back([this, i, http = observers[i], subject, holds, step] {
        while (Clock::now() < deadline_) {
          const View v = real::member_view(http, subject, LocalCluster::kApiToken, step * 40);
          if (holds(v)) {
            seen_[i] = Clock::now();
            return;
          }
          std::this_thread::sleep_for(step);
        }
      });
  }
  ~Watch() { wait(); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // Joins the threads; then: each observer's time since `from` (ms), or nullopt for one
  // that never saw it within the timeout.
  std::vector<std::optional<double>> since(Clock::time_point from) {
    wait();
    std::vector<std::optional<double>> out;
    for (const auto& t : seen_) out.push_back(t ? std::optional<double>(ms_between(from, *t)) : std::nullopt);
    return out;
  }

 private:
  void wait() {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  std::vector<std::optional<Clock::time_point>> seen_;  // each written by its own thread only
  Clock::time_point deadline_;
  std::vector<std::thread> threads_;
};

// The slowest observer's time: the moment every one of them saw it. Error: the observers
// that never did, by name.
Result<double> all_seen(const std::vector<std::optional<double>>& times, const std::vector<std::string>& names,
                        const std::string& what, Millis timeout) {
  std::string missing;
  double slowest = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (times[i]) slowest = std::max(slowest, *times[i]);
    else missing += (missing.empty() ? "" : ", ") + names[i];
  }
  if (!missing.empty()) return Status::unavailable(missing + " did not show " + what + " within " + std::to_string(timeout.count()) + "ms");
  return slowest;
}

struct Sample {
  double detect_ms = 0, detect_traced_ms = 0;
  std::optional<double> rejoin_ms, rejoin_traced_ms;  // kill9 only
};

enum class Fault { kill9, sigstop };

// One fresh cluster of `n` nodes, one fault of its last node.
Result<Sample> sample(const DetectBenchOptions& o, int n, Fault fault) {
  auto created = LocalCluster::create(o.binary, o.config_json);
  if (!created) return created.status();
  LocalCluster& c = **created;
  std::vector<std::string> names;
  for (int i = 1; i <= n; ++i) names.push_back("n" + std::to_string(i));
  const std::vector<std::string> size = {"--cluster-size", std::to_string(n)};
  for (const auto& name : names)
    if (auto s = c.start(name, name == names.front() ? "" : c.addr(names.front()), size); !s) return s;
  if (!c.formed(names, o.form_timeout))
    return Status::unavailable(std::to_string(n) + " nodes did not form within " + std::to_string(o.form_timeout.count()) + "ms");
  std::this_thread::sleep_for(o.settle);

  const std::string victim = names.back();
  const std::vector<std::string> others(names.begin(), names.end() - 1);
  std::vector<std::uint16_t> http;
  for (const auto& name : others) http.push_back(c.node(name)->http);
  const std::int64_t incarnation = c.view(others.front(), victim).second;
  if (incarnation < 1) return Status::unavailable(others.front() + "'s /status does not list " + victim);

  Sample out;
  {
    Watch down(http, victim, [](const Watch::View& v) { return v.first == "down"; }, o.poll_step, o.detect_timeout);
    const auto faulted = Clock::now();
    const std::int64_t faulted_us = wall_now_us();
    c.node(victim)->process->signal(fault == Fault::kill9 ? SIGKILL : SIGSTOP);
    auto t = all_seen(down.since(faulted), others, victim + " down", o.detect_timeout);
    if (!t) return t.status();
    out.detect_ms = *t;
    auto traced = all_traced(
        c, others, victim, [](const nlohmann::json& j) { return j.value("state", "") == "down"; }, faulted_us, victim + " down");
    if (!traced) return traced.status();
    out.detect_traced_ms = *traced;
  }
  if (fault == Fault::kill9) {
    // Started again on its port with its data dir (the boot count there makes the new
    // incarnation), as a supervisor would restart it.
    Watch back(
        http, victim, [incarnation](const Watch::View& v) { return v.first == "active" && v.second > incarnation; },
        o.poll_step, o.rejoin_timeout);
    const auto restarted = Clock::now();
    const std::int64_t restarted_us = wall_now_us();
    if (auto s = c.start(victim, c.addr(names.front()), size, c.node(victim)->port); !s) return s;
    const std::string what = victim + " active with an incarnation above " + std::to_string(incarnation);
    auto t = all_seen(back.since(restarted), others, what, o.rejoin_timeout);
    if (!t) return t.status();
    out.rejoin_ms = *t;
    auto traced = all_traced(
        c, others, victim,
        [incarnation](const nlohmann::json& j) {
          return j.value("state", "") == "active" && j.value("incarnation", std::int64_t{0}) > incarnation;
        },
        restarted_us, what);
    if (!traced) return traced.status();
    out.rejoin_traced_ms = *traced;
  }
  return out;  // `c` kills and reaps every node on the way out
}

void add_figures(std::vector<Figure>& out, const std::string& base, const std::vector<double>& samples) {
  out.push_back({base + "_median_ms", median(samples), "ms"});
  out.push_back({base + "_max_ms", percentile(samples, 1.0), "ms"});
}

}  // namespace

bool bench_detect(std::vector<Figure>& out, const DetectBenchOptions& o) {
  bool measured = true;
  for (const int n : o.cluster_sizes) {
    const std::string tag = std::to_string(n) + "_nodes";
    for (const Fault fault : {Fault::kill9, Fault::sigstop}) {
      const char* name = fault == Fault::kill9 ? "kill9" : "sigstop";
      std::vector<double> detect, detect_traced, rejoin, rejoin_traced;
      Status failed = Status::ok();
      for (int i = 0; i < o.repeats; ++i) {
        auto s = sample(o, n, fault);
        if (!s) {
          failed = s.status();
          break;
        }
        detect.push_back(s->detect_ms);
        detect_traced.push_back(s->detect_traced_ms);
        if (s->rejoin_ms) rejoin.push_back(*s->rejoin_ms);
        if (s->rejoin_traced_ms) rejoin_traced.push_back(*s->rejoin_traced_ms);
        if (o.progress) {
          char rejoined[100] = "";
          if (s->rejoin_ms)
            std::snprintf(rejoined, sizeof rejoined, "; restarted, active everywhere after %.1f ms (traced %.1f ms)", *s->rejoin_ms,
                          *s->rejoin_traced_ms);
          std::fprintf(stderr, "mabeam bench: detect: %s, %d nodes, cluster %d of %d: down everywhere after %.1f ms (traced %.1f ms)%s\n",
                       name, n, i + 1, o.repeats, s->detect_ms, s->detect_traced_ms, rejoined);
        }
      }
      if (!failed) {
        std::fprintf(stderr, "mabeam bench: detect: %s, %d nodes: %s\n", name, n, failed.message().c_str());
        measured = false;
        continue;
      }
      add_figures(out, std::string("real_detect_") + name + "_" + tag, detect);
      add_figures(out, std::string("real_detect_") + name + "_" + tag + "_traced", detect_traced);
      if (fault == Fault::kill9) {
        add_figures(out, "real_rejoin_after_kill9_" + tag, rejoin);
        add_figures(out, "real_rejoin_after_kill9_" + tag + "_traced", rejoin_traced);
      }
    }
  }
  return measured;
}

}  // namespace mabeam::bench
