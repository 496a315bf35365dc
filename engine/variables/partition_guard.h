// The partition guard: tells whether this node reaches a majority of the cluster, and turns
// the node `readonly` when it does not (Akka's split-brain resolver with the keep-majority
// strategy, minus downing: here the minority keeps running, read-only).
//
// The cluster a majority is counted against is the last agreed membership: the configured
// cluster (every node the host lists: the scenario's nodes, a real node's peers), plus every
// node the membership service reports, minus nodes that left gracefully (a leave shrinks
// the cluster; a crash does not, until membership forgets the dead member after its
// reap_after); and never fewer than `cluster_size` when the host gives one (a real node's
// --cluster-size, the size the cluster is meant to have: so neither a node alone nor one
// side of an even split believes it holds a majority of the nodes it happens to know).
// Reachable = this node + members in state `active`
// (suspect, down and joining nodes do not count). With reachable * 2 > cluster the mode is
// `normal`, else `readonly`. A node starts `readonly` until its detector hears from enough
// peers. Every change is traced: {"ev":"mode","mode":"readonly"|"normal","reachable":3,"cluster":5}.
//
// The guard decides nothing for the services: each asks readonly() and applies its own
// policy (variables refuse writes to `on_minority: readonly` variables).
#pragma once
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/membership_view.h"
#include "engine/node.h"

namespace mabeam::vars {

class PartitionGuard : public Service {
 public:
  PartitionGuard(Node& node, std::vector<std::string> cluster, std::size_t cluster_size = 0);
  const char* name() const override { return "partition_guard"; }
  void start() override;
  void stop() override;

  bool readonly() const { return readonly_; }
  std::size_t reachable() const { return reachable_; }
  // The count a majority is taken of: max(cluster_size, nodes known and not left).
  std::size_t cluster_size() const { return std::max(cluster_size_min_, cluster_.size()); }
  // Why the node is read-only, for error messages ("" when normal).
  std::string why() const;
  // Called after every mode change (the variables service re-checks what it waits for).
  void on_change(std::function<void(bool readonly)> fn) { listeners_.push_back(std::move(fn)); }
  // Re-reads the membership view (also called on every membership change).
  void evaluate();

 private:
  MembershipView* view_ = nullptr;
  int handle_ = 0;
  std::set<std::string> configured_;  // the host's list, self included
  std::set<std::string> left_;        // configured nodes that left gracefully
  std::set<std::string> cluster_;
  std::size_t cluster_size_min_ = 0;
  std::size_t reachable_ = 1;
  bool readonly_ = true;
  bool announced_ = false;
  std::vector<std::function<void(bool)>> listeners_;
};

}  // namespace mabeam::vars
