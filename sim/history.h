// What the world did to the nodes, rebuilt from a trace: when each node was running,
// paused or crashed, which links were cut when, and what each node believed about the
// others (its membership view over time). The checks ask their questions of this.
//
// Cuts come in layers (the `layer` field of partition, partition_oneway and heal; none is
// the scripted layer): a link is cut while any layer cuts it, a partition replaces its own
// layer's groups, a heal ends its own layer's cuts.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "sim/trace_reader.h"

namespace mabeam::sim {

struct Interval {
  TimeUs begin = 0, end = 0;  // [begin, end)
};

class History {
 public:
  explicit History(const Trace& trace, TimeUs end_time);

  TimeUs end() const { return end_; }
  const std::vector<std::string>& nodes() const { return nodes_; }

  // Intervals in which the node was not running (never started, crashed, left).
  const std::vector<Interval>& down(const std::string& node) const;
  // Intervals in which the node was paused.
  const std::vector<Interval>& paused(const std::string& node) const;
  bool running_at(const std::string& node, TimeUs t) const;   // started, not crashed, not left
  bool paused_at(const std::string& node, TimeUs t) const;
  bool left_at(const std::string& node, TimeUs t) const;      // left gracefully and not back
  // True if the node was down or paused at any instant of [a, b].
  bool impaired_during(const std::string& node, TimeUs a, TimeUs b) const;
  // True if messages from -> to were cut at any instant of [a, b].
  bool cut_during(const std::string& from, const std::string& to, TimeUs a, TimeUs b) const;
  bool cut_at(const std::string& from, const std::string& to, TimeUs t) const { return cut_during(from, to, t, t); }
  // True if the directed link from -> to, as `link` records set it, lost at least
  // kDegradedLoss of its messages or had a mean latency (`latency_mean`) past `timeout` at
  // any instant of [a, b]. The scenario's default network is not traced: only links that
  // `link` records changed count.
  static constexpr double kDegradedLoss = 0.5;
  bool degraded_during(const std::string& from, const std::string& to, TimeUs a, TimeUs b, DurationUs timeout) const;

  // Times of crashes of a node.
  std::vector<TimeUs> crashes(const std::string& node) const;
  // The next time after t at which the node (re)started, or -1.
  TimeUs next_start(const std::string& node, TimeUs t) const;

  struct ViewChange {
    TimeUs t;
    std::string subject, state;
  };
  // The `member` events of one observer, in order (the observer's own restarts reset them:
  // see view_at).
  const std::vector<ViewChange>& view_changes(const std::string& observer) const;
  // The observer's view at instant t (subject -> state), rebuilt since its last (re)start.
  std::map<std::string, std::string> view_at(const std::string& observer, TimeUs t) const;
  // Instants at which anything relevant to membership changed (view changes, faults).
  const std::vector<TimeUs>& change_times() const { return change_times_; }

  // The symmetric partitions of the run: intervals in which the groups that the partitions
  // of every layer leave together (their common refinement) stay the same, two or more.
  // Groups follow the first layer's order, the left-out nodes last.
  struct Split {
    TimeUs begin = 0, end = 0;  // [begin, end); end is the run's end for a split never healed
    std::vector<std::vector<std::string>> groups;
  };
  const std::vector<Split>& splits() const { return splits_; }

  // Who can talk with whom, both ways, over time: intervals in which the components of the
  // graph of running, unpaused nodes (an edge where neither direction is cut: by any layer's
  // partition, a one-way cut or a link with loss 1) stay the same, from the first start to
  // the end. Down and paused nodes are in no group; `cluster` is the nodes not gone by a
  // graceful leave. What the partition guard can see, so what readonly_minority judges by.
  struct Reach {
    TimeUs begin = 0, end = 0;  // [begin, end)
    std::vector<std::vector<std::string>> groups;
    std::size_t cluster = 0;
  };
  std::vector<Reach> reach_segments() const;

 private:
  struct CutLayer {
    std::map<std::string, int> group;  // empty: no symmetric partition
    std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> oneway;
  };
  struct CutState {
    TimeUs t = 0;
    std::vector<std::pair<std::string, CutLayer>> layers;  // by name, in the order first cut
    std::map<std::pair<std::string, std::string>, bool> link_cut;  // link with loss 1
    std::map<std::pair<std::string, std::string>, double> link_loss;       // as last set by a `link` record
    std::map<std::pair<std::string, std::string>, TimeUs> link_latency;    // mean µs, as last set
  };
  bool cut_in(const CutState& s, const std::string& from, const std::string& to) const;
  // The groups of the common refinement of every layer's symmetric partition.
  std::vector<std::vector<std::string>> refined_groups(const CutState& s) const;

  TimeUs end_;
  std::vector<std::string> nodes_;
  std::map<std::string, std::vector<Interval>> down_, paused_, left_;
  std::map<std::string, std::vector<TimeUs>> crashes_, starts_;
  std::vector<CutState> cuts_;
  std::vector<Split> splits_;
  std::map<std::string, std::vector<ViewChange>> views_;
  std::vector<TimeUs> change_times_;
};

std::string format_time(TimeUs t);  // "12.345s"

}  // namespace mabeam::sim
