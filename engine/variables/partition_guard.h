// The partition guard: tells whether this node is in recent two-way contact with a
// majority of the cluster, and turns the node `readonly` when it is not (Akka's split-brain
// resolver with the keep-majority strategy, minus downing: here the minority keeps running,
// read-only). It decides from a quorum lease, as Raft's CheckQuorum does, never from the
// failure detector's verdicts.
//
// Freshness. Each node keeps, for every member, the time it last had two-way contact with
// it, directly or through others: an estimate, on its own clock, of the latest instant the
// member answered a chain of request/reply exchanges that ends here. Every `round` a node
// pulls from `fanout` random members (GuardPull); each answers with its own table of fresh
// entries as ages (GuardTable: itself at age 0). The puller dates each entry at
// now - age - the round trip of that exchange, which is never later than the truth (the
// member answered before the reply came back; transit is at most the round trip), and keeps
// the latest date per member. Only replies count, never requests, so every link of every
// chain worked both ways. A member's entry is fresh while it is younger than the lease.
//
// The rule. reachable = this node + fresh members of the cluster; the node is `normal` while
// reachable * 2 > cluster, else `readonly`. After a cut at time c no chain crossing it
// completes, so every entry from the far side dates from before c and lapses by c + lease:
// a node without a majority turns read-only within the lease (the lease is applied shortened
// by twice config.max_drift, so clocks that drift within it cannot stretch it). A node with
// a majority keeps fresh entries for it as long as exchanges flow; round and fanout are
// chosen so that news crosses the cluster several times per lease; when random pulls happen
// to miss the majority anyway, a round and again half a round before it would lapse the node
// pulls every other member directly (rescue pulls: the `fanout` freshest answer with their
// tables, the rest with themselves alone), so only a majority that stopped answering lapses.
//
// Defaults for a cluster of n nodes (configured at start): fanout = max(2, ceil(log2(n)/2)),
// round = 200ms, lease = max(1s, (ceil(log(n)/log(fanout+1)) + 2) * round): the rounds news
// needs to reach every node through fanout-way pulls, plus two of slack. So 1s up to 50
// nodes (fanout 2-3), 1.2s at 500 (fanout 5). Cost per node: fanout pulls and about fanout
// replies per round, 2 * fanout / round messages per second (20/s at 5 nodes, 30/s at 50,
// 50/s at 500: logarithmic in n), the replies carrying one entry per fresh member.
//
// The cluster a majority is counted against: the configured cluster (the host's list: the
// scenario's nodes, a real node's peers), plus every node the membership service reports,
// minus nodes that left gracefully (a leave shrinks the cluster; a crash does not, until
// membership forgets the dead member after its reap_after); and never fewer than
// `cluster_size` when the host gives one (a real node's --cluster-size). Every mode change is
// traced: {"ev":"mode","mode":"readonly"|"normal","reachable":3,"cluster":5}.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/membership_view.h"
#include "engine/node.h"
#include "engine/quorum_view.h"
#include "engine/variables/guard_messages.h"

namespace mabeam::vars {

// `config.partition_guard`; zeros take the defaults above (from the cluster size at start).
struct GuardConfig {
  DurationUs quorum_lease = 0;
  DurationUs round = 0;
  int fanout = 0;
  double max_drift = 0.01;  // `config.max_drift`: the clock drift leases assume at most
};

// The defaults of a cluster of n nodes, with whatever `given` sets kept.
GuardConfig guard_defaults(GuardConfig given, std::size_t n);

class PartitionGuard : public Service, public QuorumView {
 public:
  PartitionGuard(Node& node, std::vector<std::string> cluster, std::size_t cluster_size = 0, GuardConfig config = {});
  const char* name() const override { return "partition_guard"; }
  void start() override;
  void stop() override;

  // QuorumView
  bool readonly() const override { return readonly_; }
  std::size_t reachable() const override { return reachable_; }
  std::size_t cluster_size() const override { return std::max(cluster_size_min_, cluster_.size()); }
  std::string why() const override;
  void on_change(std::function<void(bool readonly)> fn) override { listeners_.push_back(std::move(fn)); }

  const GuardConfig& config() const { return config_; }
  // Re-reads the freshness table against the cluster as last counted (called on every
  // membership change, table and lapse).
  void evaluate();

 private:
  void round();
  void rescue();  // a pull to every other member, ahead of a lapse
  void on_pull(const std::string& from, GuardPull&& m);
  void on_table(const std::string& from, GuardTable&& m);
  // Recounts the cluster from the membership view: at start, on every membership change,
  // every round and before a rescue (a member membership forgets by reaping it, which it
  // does not announce, stops counting within a round). Not per table: a view of n members
  // copied for each of the fanout * n / round tables a cluster receives costs O(n^2) a round.
  void recount_cluster();
  DurationUs lease() const;  // the effective lease: shortened by the drift allowance

  GuardConfig config_;
  MembershipView* view_ = nullptr;
  int handle_ = 0;
  bool stopped_ = true;
  std::set<std::string> configured_;  // the host's list, self included
  std::set<std::string> left_;        // configured nodes that left gracefully
  std::set<std::string> cluster_;
  std::size_t cluster_size_min_ = 0;
  std::map<std::string, TimeUs> fresh_;  // member -> latest two-way contact (local clock)
  struct Outstanding {
    std::string peer;
    TimeUs sent = 0;
  };
  std::map<std::uint64_t, Outstanding> pulls_;
  std::uint64_t seq_ = 0;
  TimerId lapse_timer_ = 0;
  TimeUs lapse_at_ = 0;  // when the current majority lapses
  int rescues_ = 0;      // rescue pulls sent ahead of lapse_at_ (at most two)
  std::size_t reachable_ = 1;
  bool readonly_ = true;
  bool announced_ = false;
  std::vector<std::function<void(bool)>> listeners_;
};

}  // namespace mabeam::vars
