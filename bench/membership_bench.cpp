// SWIM membership benchmarks (see membership_bench.h). Each run builds a world of SWIM
// nodes with the default (memberlist LAN) configuration, tracing off, and watches the
// nodes' views through MembershipView subscriptions rather than through a trace.
#include "bench/membership_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "engine/membership/membership.h"
#include "engine/node_setup.h"
#include "sim/world.h"

namespace mabeam::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct DownMark {
  TimeUs t;
  std::string observer, subject;
};

// A SWIM world whose down marks are recorded as they happen.
struct SwimCluster {
  std::vector<std::string> names;
  std::vector<DownMark> downs;
  std::unique_ptr<sim::World> world;

  SwimCluster(std::uint32_t n, double loss, std::uint64_t seed, DurationUs stagger) {
    for (std::uint32_t i = 1; i <= n; ++i) names.push_back("n" + std::to_string(i));
    NodeSetup setup;
    setup.detector = Detector::swim;
    setup.peers = names;
    sim::LinkParams net;
    net.latency.dist = sim::Latency::Dist::uniform;
    net.latency.min = ms(1);
    net.latency.max = ms(5);
    net.loss = loss;
    sim::WorldOptions wo;
    wo.seed = seed;
    wo.scenario = "bench";
    wo.trace = false;
    wo.trace_messages = false;
    world = std::make_unique<sim::World>(names, net, wo, [this, setup](Node& node, std::uint64_t inc) {
      install_services(node, setup, inc);
      const std::string observer = node.name();
      node.find<MembershipView>()->subscribe([this, observer](const std::string& subject, MemberState, MemberState to) {
        if (to == MemberState::down) downs.push_back({world->now(), observer, subject});
      });
    });
    for (std::uint32_t i = 0; i < n; ++i) {
      sim::World* w = world.get();
      world->scheduler().at(stagger * i, [w, i] { w->start(i); });
    }
  }

  // True when every running node lists every running node as active.
  bool converged() {
    for (std::uint32_t i = 0; i < world->size(); ++i) {
      if (!world->node(i).up()) continue;
      auto* v = world->node(i).node()->find<MembershipView>();
      for (std::uint32_t j = 0; j < world->size(); ++j)
        if (world->node(j).up() && v->state_of(names[j]) != MemberState::active) return false;
    }
    return true;
  }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

void detection(std::uint32_t n, std::vector<Figure>& out) {
  const std::string tag = std::to_string(n) + "_nodes";
  const DurationUs warmup = n > 100 ? sec(90) : sec(40);
  // The observation window after the kills: long enough for a false-positive rate to mean
  // something (50 nodes x 10 min = 8 node-hours; 500 nodes x 3 min = 25 node-hours).
  const DurationUs window = n > 100 ? sec(180) : sec(600);
  SwimCluster c(n, 0.01, 11, ms(10));
  c.world->run_until(warmup);
  const std::size_t downs_before = c.downs.size();
  const auto sent_before = c.world->counters().sent;
  // Kill five nodes one second apart (never the seed n1).
  std::map<std::string, TimeUs> killed;
  for (std::uint32_t k = 0; k < 5; ++k) {
    const std::uint32_t victim = 1 + (k * 7 + 3) % (n - 1);
    c.world->run_until(warmup + sec(k));
    c.world->crash(victim);
    killed[c.names[victim]] = c.world->now();
  }
  c.world->run_until(warmup + window);

  std::vector<double> per_pair, per_victim_all;
  std::uint64_t false_marks = 0;
  std::map<std::string, std::map<std::string, TimeUs>> first;  // victim -> observer -> time
  for (std::size_t i = downs_before; i < c.downs.size(); ++i) {
    const auto& d = c.downs[i];
    auto k = killed.find(d.subject);
    if (k == killed.end()) {
      ++false_marks;
      continue;
    }
    if (killed.count(d.observer) || d.t < k->second) continue;
    first[d.subject].try_emplace(d.observer, d.t);
  }
  std::uint64_t missed = 0;
  for (const auto& [victim, t_kill] : killed) {
    TimeUs all = 0;
    std::size_t seen = 0;
    for (const auto& [obs, t] : first[victim]) {
      per_pair.push_back(static_cast<double>(t - t_kill) / 1e6);
      all = std::max(all, t - t_kill);
      ++seen;
    }
    const std::size_t live_observers = n - killed.size();
    if (seen < live_observers) missed += live_observers - seen;
    per_victim_all.push_back(static_cast<double>(all) / 1e6);
  }
  const double live_node_hours = static_cast<double>(n - killed.size()) * static_cast<double>(window) / 3.6e9;
  const double msgs = static_cast<double>(c.world->counters().sent - sent_before);
  out.push_back({"swim_detect_median_" + tag, percentile(per_pair, 0.5), "s"});
  out.push_back({"swim_detect_p99_" + tag, percentile(per_pair, 0.99), "s"});
  out.push_back({"swim_detect_all_nodes_max_" + tag, percentile(per_victim_all, 1.0), "s"});
  out.push_back({"swim_detect_missed_" + tag, static_cast<double>(missed), "observer-victim pairs"});
  out.push_back({"swim_false_down_per_node_hour_" + tag, static_cast<double>(false_marks) / live_node_hours, "marks/node-h"});
  out.push_back({"swim_messages_per_node_per_sec_" + tag,
                 msgs / static_cast<double>(n - killed.size()) / (static_cast<double>(window) / 1e6), "msg/node/s"});
}

void heal_convergence(std::vector<Figure>& out) {
  const std::uint32_t n = 50;
  SwimCluster c(n, 0.01, 13, ms(10));
  c.world->run_until(sec(40));
  std::vector<std::string> a(c.names.begin(), c.names.begin() + n / 2), b(c.names.begin() + n / 2, c.names.end());
  c.world->partition({a, b});
  c.world->run_until(sec(100));  // long enough for each side to mark the other down
  c.world->heal();
  const TimeUs healed = c.world->now();
  TimeUs t = healed;
  while (!c.converged() && t < healed + sec(300)) {
    t += ms(100);
    c.world->run_until(t);
  }
  out.push_back({"swim_heal_convergence_50_nodes", static_cast<double>(t - healed) / 1e6, "s"});
}

void speedup(std::vector<Figure>& out) {
  std::vector<double> v;
  for (int rep = 0; rep < 3; ++rep) {
    SwimCluster c(100, 0.0, 1, 0);
    const auto t0 = Clock::now();
    c.world->run_until(sec(600));
    v.push_back(600.0 / std::chrono::duration<double>(Clock::now() - t0).count());
  }
  out.push_back({"sim_speedup_100_nodes_swim", percentile(v, 0.5), "sim-s/wall-s"});
}

}  // namespace

void bench_membership(std::vector<Figure>& out) {
  detection(50, out);
  detection(500, out);
  heal_convergence(out);
  speedup(out);
}

}  // namespace mabeam::bench
