// The cluster as it was at one replay time T, computed from the TraceIndex by binary
// searches only. Everything the topology view and the node panel draw comes from here, so a
// frame at time T is always the same whatever was shown before it.
#pragma once
#include "viz/model/trace_index.h"

#include <QString>
#include <cstdint>
#include <vector>

namespace mabeam::viz {

// What a node looks like from outside, worst first after the ground truth:
// crashed/paused/not started come from the node's own lifecycle; left/down/suspect/joining
// from the membership views of live nodes that can reach it.
enum class NodeStatus : std::uint8_t { Up, Joining, Suspect, Down, Left, Paused, Crashed, NotStarted };
const char* node_status_name(NodeStatus s);

struct NodeState {
  Life life = Life::Up;
  NodeStatus status = NodeStatus::Up;
  bool readonly = false;
  bool leader = false;             // the current leader (greatest term claimed, still alive)
  std::int64_t claimed_term = -1;  // the last term this node claimed leadership for
  int group = -1;                  // two-way partition group, -1 when not partitioned
  std::vector<int> seen_down_by;     // live observers on the same side that mark it down/left
  std::vector<int> seen_suspect_by;  // ... that mark it suspect
  int seen_down_across = 0;          // observers across a partition that mark it down
};

struct InFlight {
  int message;      // index into TraceIndex::messages()
  int from, to;
  double progress;  // 0 at send, 1 at receive
  bool dropped;
};

struct LinkLoad {
  int a, b;   // a < b; traffic both ways over the activity window
  int count;
};

struct AgentPlace {
  int agent;      // string id
  int node;       // where it runs; the target while migrating
  int from = -1;  // migrating: the source
  double progress = 1.0;
  bool migrating = false;
};

struct StateOptions {
  int in_flight_max = 300;                  // more are sampled down to this many
  std::int64_t link_window_us = 1'000'000;  // a link is drawn if it carried traffic this recently
};

struct ClusterState {
  std::int64_t t = 0;
  std::vector<NodeState> nodes;
  int partition = -1;             // index into Trace::partitions, -1 when healed
  std::vector<int> oneway;        // active one-way cuts
  std::vector<std::pair<int, int>> oneway_cut;  // directed pairs cut by one-way cuts, sorted
  int leader = -1;
  std::int64_t leader_term = -1;
  std::vector<InFlight> in_flight;  // sampled
  int in_flight_total = 0;
  std::vector<LinkLoad> links;
  std::vector<AgentPlace> agents;
  int last_event = -1;  // index of the last event at or before t

  // Whether messages from `from` to `to` are cut (by the partition or a one-way cut).
  bool is_cut(int from, int to) const;
  bool any_cut() const { return partition >= 0 || !oneway_cut.empty(); }
};

ClusterState state_at(const TraceIndex& index, std::int64_t t, const StateOptions& options = {});

// One row of a node's membership view at T.
struct ViewEntry {
  int subject;
  MemberState state = MemberState::Unknown;
  std::int64_t incarnation = 0;
  std::int64_t since = -1;
};
std::vector<ViewEntry> view_at(const TraceIndex& index, int observer, std::int64_t t);

// One variable as a node last saw it at T: the value of its last successful write or
// read, and whether a later operation failed (e.g. a write refused while read-only).
struct VarEntry {
  int var;  // string id
  int value = 0;
  int op = 0;
  bool ok = true;  // false when no operation on it has succeeded yet
  bool write = false;
  std::int64_t since = -1;
  bool last_failed = false;
  std::int64_t failed_at = -1;
  int failed_value = 0;
};
std::vector<VarEntry> vars_at(const TraceIndex& index, int node, std::int64_t t);

// Helpers shared with the charts: the last change at or before t in a time-sorted list.
template <typename Change>
const Change* last_at(const std::vector<Change>& list, std::int64_t t) {
  std::size_t lo = 0, hi = list.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (list[mid].t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo == 0 ? nullptr : &list[lo - 1];
}

}  // namespace mabeam::viz
