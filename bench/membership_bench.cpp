// SWIM membership benchmarks (see membership_bench.h). Each run builds a world of SWIM
// nodes with the default (memberlist LAN) configuration, tracing off, and watches the
// nodes' views through MembershipView subscriptions rather than through a trace.
#include "bench/membership_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "bench/stats.h"
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
  std::uint64_t suspicions = 0;  // marks of a member as suspect, by any observer
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
        if (to == MemberState::suspect) ++suspicions;
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

// Runs `c` until every running node lists every running node active, at most until `limit`.
bool form(SwimCluster& c, TimeUs limit) {
  TimeUs t = c.world->now();
  while (!c.converged() && t < limit) {
    t += ms(100);
    c.world->run_until(t);
  }
  return c.converged();
}

// False when a victim was not seen down by every live node (its detection-time figures are
// then left out: a detection that never happened has no time).
bool detection(std::uint32_t n, std::vector<Figure>& out) {
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
  if (missed == 0) {
    out.push_back({"swim_detect_median_" + tag, median(per_pair), "s"});
    out.push_back({"swim_detect_p99_" + tag, percentile(per_pair, 0.99), "s"});
    out.push_back({"swim_detect_all_nodes_max_" + tag, percentile(per_victim_all, 1.0), "s"});
  } else {
    std::fprintf(stderr, "mabeam bench: membership: %llu observer-victim pairs at %u nodes never saw the victim down\n",
                 static_cast<unsigned long long>(missed), n);
  }
  out.push_back({"swim_detect_missed_" + tag, static_cast<double>(missed), "observer-victim pairs"});
  out.push_back({"swim_false_down_per_node_hour_" + tag, static_cast<double>(false_marks) / live_node_hours, "marks/node-h"});
  out.push_back({"swim_messages_per_node_per_sec_" + tag,
                 msgs / static_cast<double>(n - killed.size()) / (static_cast<double>(window) / 1e6), "msg/node/s"});
  return missed == 0;
}

// False when the views did not converge within 300 s of the heal.
bool heal_convergence(std::vector<Figure>& out) {
  const std::uint32_t n = 50;
  SwimCluster c(n, 0.01, 13, ms(10));
  c.world->run_until(sec(40));
  std::vector<std::string> a(c.names.begin(), c.names.begin() + n / 2), b(c.names.begin() + n / 2, c.names.end());
  c.world->partition({a, b});
  c.world->run_until(sec(100));  // long enough for each side to mark the other down
  c.world->heal();
  const TimeUs healed = c.world->now();
  const DurationUs bound = sec(300);
  if (!form(c, healed + bound)) {
    std::fprintf(stderr, "mabeam bench: membership: 50 nodes did not converge within %llds of a heal\n",
                 static_cast<long long>(bound / sec(1)));
    return false;
  }
  out.push_back({"swim_heal_convergence_50_nodes", static_cast<double>(c.world->now() - healed) / 1e6, "s"});
  return true;
}

void speedup(std::vector<Figure>& out) {
  std::vector<double> v;
  for (int rep = 0; rep < 3; ++rep) {
    SwimCluster c(100, 0.0, 1, 0);
    const auto t0 = Clock::now();
    c.world->run_until(sec(600));
    v.push_back(600.0 / std::chrono::duration<double>(Clock::now() - t0).count());
  }
  out.push_back({"sim_speedup_100_nodes_swim", median(v), "sim-s/wall-s"});
}

}  // namespace

bool bench_false_downs(std::uint32_t n, double node_hours, std::vector<Figure>& out) {
  const std::string tag = std::to_string(n) + "_nodes";
  SwimCluster c(n, 0.01, 17, ms(10));
  if (!form(c, sec(120))) {
    std::fprintf(stderr, "mabeam bench: detect: %u simulated nodes did not form within 120 s\n", n);
    return false;
  }
  const TimeUs formed = c.world->now();
  const std::size_t downs_before = c.downs.size();
  const std::uint64_t suspicions_before = c.suspicions;
  const auto window = static_cast<DurationUs>(node_hours * 3.6e9 / static_cast<double>(n));
  c.world->run_until(formed + window);
  const double false_downs = static_cast<double>(c.downs.size() - downs_before);
  const double observed = static_cast<double>(n) * static_cast<double>(window) / 3.6e9;
  out.push_back({"sim_false_downs_" + tag, false_downs, "marks"});
  out.push_back({"sim_false_downs_node_hours_" + tag, observed, "node-h"});
  out.push_back({"sim_false_downs_per_node_hour_" + tag, false_downs / observed, "marks/node-h"});
  out.push_back({"sim_suspicions_refuted_per_node_hour_" + tag,
                 static_cast<double>(c.suspicions - suspicions_before) / observed, "marks/node-h"});
  return true;
}

bool bench_membership(std::vector<Figure>& out) {
  bool measured = detection(50, out);
  measured = detection(500, out) && measured;
  measured = heal_convergence(out) && measured;
  speedup(out);
  return measured;
}

}  // namespace mabeam::bench
