// The partition guard benchmarks (see guard_bench.h). Each run builds a world of SWIM nodes
// with the partition guard installed (no variables needed), tracing off, and watches each
// node's mode through QuorumView::on_change and its counters through Node::metrics().
#include "bench/guard_bench.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "bench/stats.h"
#include "engine/node_setup.h"
#include "engine/quorum_view.h"
#include "engine/variables/partition_guard.h"
#include "sim/world.h"

namespace mabeam::bench {

namespace {

struct ModeChange {
  TimeUs t;
  std::uint32_t node;
  bool readonly;
};

struct GuardCluster {
  std::vector<std::string> names;
  std::vector<ModeChange> changes;
  std::unique_ptr<sim::World> world;

  GuardCluster(std::uint32_t n, std::uint64_t seed) {
    for (std::uint32_t i = 1; i <= n; ++i) names.push_back("n" + std::to_string(i));
    NodeSetup setup;
    setup.detector = Detector::swim;
    setup.peers = names;
    setup.variables.guard = true;
    setup.variables.cluster = names;
    sim::LinkParams net;
    net.latency.dist = sim::Latency::Dist::uniform;
    net.latency.min = ms(1);
    net.latency.max = ms(5);
    net.loss = 0.01;
    sim::WorldOptions wo;
    wo.seed = seed;
    wo.scenario = "bench-guard";
    wo.trace = false;
    wo.trace_messages = false;
    world = std::make_unique<sim::World>(names, net, wo, [this, setup](Node& node, std::uint64_t inc) {
      install_services(node, setup, inc);
      const auto index = static_cast<std::uint32_t>(world->index_of(node.name()));
      node.find<QuorumView>()->on_change([this, index](bool readonly) { changes.push_back({world->now(), index, readonly}); });
    });
    for (std::uint32_t i = 0; i < n; ++i) {
      sim::World* w = world.get();
      world->scheduler().at(ms(10) * i, [w, i] { w->start(i); });
    }
  }

  bool readonly(std::uint32_t i) { return world->node(i).node()->find<QuorumView>()->readonly(); }
};

struct Counts {
  double pulls, answers, entries, rescues;
};

Counts counts(GuardCluster& c) {
  auto m = c.world->node_metrics();  // every node's counters, summed
  return {m["partition_guard_pulls_total"], m["partition_guard_answers_total"], m["partition_guard_answer_entries_total"],
          m["partition_guard_rescues_total"]};
}

bool measure(std::uint32_t n, DurationUs steady, std::vector<Figure>& out) {
  const std::string tag = std::to_string(n) + "_nodes";
  GuardCluster c(n, 23);
  // Formed: every node normal (the guard counts from the configured cluster at once).
  const TimeUs form_limit = sec(60) + ms(10) * n;
  TimeUs t = ms(10) * n;
  auto all_normal = [&] {
    for (std::uint32_t i = 0; i < n; ++i)
      if (c.readonly(i)) return false;
    return true;
  };
  for (c.world->run_until(t); !all_normal() && t < form_limit; c.world->run_until(t)) t += ms(100);
  if (!all_normal()) {
    std::fprintf(stderr, "mabeam bench: guard: %u nodes were not all normal %llds after the last start\n", n,
                 static_cast<long long>(sec(60) / sec(1)));
    return false;
  }
  // Steady state: nothing fails; only 1% loss.
  const TimeUs settled = c.world->now() + sec(5);
  c.world->run_until(settled);
  const std::size_t changes_before = c.changes.size();
  const Counts a = counts(c);
  c.world->run_until(settled + steady);
  const Counts b = counts(c);
  const std::size_t flips = c.changes.size() - changes_before;
  const double node_seconds = static_cast<double>(n) * static_cast<double>(steady) / 1e6;
  const double msgs = (b.pulls - a.pulls) + (b.answers - a.answers);
  out.push_back({"guard_messages_per_node_per_sec_" + tag, msgs / node_seconds, "msg/node/s"});
  out.push_back({"guard_entries_per_answer_" + tag,
                 b.answers > a.answers ? (b.entries - a.entries) / (b.answers - a.answers) : 0.0, "entries"});
  out.push_back({"guard_rescues_per_node_hour_" + tag, (b.rescues - a.rescues) / (node_seconds / 3600.0), "rescues/node-h"});
  out.push_back({"guard_steady_mode_flips_" + tag, static_cast<double>(flips), "flips"});

  // The cut: the last floor((n-1)/2) nodes on their own.
  const std::uint32_t minority = (n - 1) / 2;
  std::vector<std::string> big(c.names.begin(), c.names.end() - minority), small(c.names.end() - minority, c.names.end());
  const auto* guard = c.world->node(0).node()->find<vars::PartitionGuard>();
  const DurationUs lease = guard->config().quorum_lease;
  const TimeUs cut = c.world->now();
  const std::size_t changes_at_cut = c.changes.size();
  c.world->partition({big, small});
  c.world->run_until(cut + 2 * lease);
  std::vector<double> to_readonly;  // ms
  std::uint32_t majority_readonly = 0, never = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const bool in_minority = i >= n - minority;
    TimeUs first = -1;
    for (std::size_t k = changes_at_cut; k < c.changes.size(); ++k)
      if (c.changes[k].node == i && c.changes[k].readonly) {
        first = c.changes[k].t;
        break;
      }
    if (!in_minority && first >= 0) ++majority_readonly;
    if (in_minority && first < 0) ++never;
    if (in_minority && first >= 0) to_readonly.push_back(static_cast<double>(first - cut) / 1000.0);
  }
  out.push_back({"guard_quorum_lease_" + tag, static_cast<double>(lease) / 1000.0, "ms"});
  out.push_back({"guard_majority_readonly_after_cut_" + tag, static_cast<double>(majority_readonly), "nodes"});
  if (minority > 0 && !to_readonly.empty()) {
    out.push_back({"guard_readonly_after_cut_median_" + tag, median(to_readonly), "ms"});
    out.push_back({"guard_readonly_after_cut_max_" + tag, percentile(to_readonly, 1.0), "ms"});
  }
  bool ok = true;
  if (never > 0) {
    std::fprintf(stderr, "mabeam bench: guard: %u of %u minority nodes at %u nodes never turned read-only within 2 leases\n",
                 never, minority, n);
    ok = false;
  }
  if (majority_readonly > 0 || flips > 0) {
    std::fprintf(stderr, "mabeam bench: guard: at %u nodes %u majority nodes turned read-only after the cut, %zu flips before it\n",
                 n, majority_readonly, flips);
    ok = false;
  }
  return ok;
}

}  // namespace

bool bench_guard(std::vector<Figure>& out) {
  bool measured = measure(5, sec(600), out);
  measured = measure(50, sec(120), out) && measured;
  measured = measure(500, sec(20), out) && measured;
  return measured;
}

}  // namespace mabeam::bench
