// The index of one trace, built once after reading so the viewer can answer "what was true
// at time T" with binary searches instead of replaying events:
//   - per-node change lists (life: up/crashed/paused, mode), per (observer, subject)
//     membership change lists, per (node, variable) value lists, per-agent placement lists;
//   - the network configuration (partitions, one-way cuts) as a list of changes;
//   - every message as a (send, receive-or-drop) pair, found by `id` when the trace has one
//     and by FIFO order per (from, to, type) otherwise, with a time-bucket index for "which
//     messages are in flight at T" and per-link send times for "how busy is this link";
//   - fault markers (crash, restart, pause, resume, partition, heal) for the timeline.
// Building it is linear in the number of events; afterwards everything is read-only.
#pragma once
#include "viz/model/trace.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace mabeam::viz {

enum class Life : std::uint8_t { NotStarted, Up, Paused, Crashed };
const char* life_name(Life l);

struct LifeChange {
  std::int64_t t;
  Life life;
};
struct MemberChange {
  std::int64_t t;
  MemberState state;
  std::int64_t incarnation;
};
struct ModeChange {
  std::int64_t t;
  bool readonly;
};
// The network as a whole from `t` on: the active two-way partition (an index into
// Trace::partitions, or -1) and the active one-way cuts.
struct NetChange {
  std::int64_t t;
  int partition = -1;
  std::vector<int> oneway;
};
struct LeaderClaim {
  std::int64_t t;
  int node;
  std::int64_t term;
};
struct VarChange {
  std::int64_t t;
  int value;  // string id of the value text
  int op;     // string id of `op`
  bool ok;
  bool write;
};
enum class AgentPhase : std::uint8_t { Running, Migrating, Stopped };
struct AgentChange {
  std::int64_t t;
  AgentPhase phase;
  int node;            // where it runs (Running), its target (Migrating)
  int from;            // Migrating: the source node
  std::int64_t until;  // Migrating: when the matching agent_migrate_end happened (or -1)
};
struct Message {
  std::int64_t send_t;
  std::int64_t end_t;  // receive or drop time; -1 when the trace never says
  int from;
  int to;
  int type;  // string id
  bool dropped;
};
struct FaultMarker {
  std::int64_t t;
  Kind kind;
  int node;   // kNoNode for global ones
  int event;  // index into Trace::events
};

class TraceIndex {
 public:
  explicit TraceIndex(std::shared_ptr<const Trace> trace);

  const Trace& trace() const { return *trace_; }
  int node_count() const { return n_; }
  std::int64_t end_t() const { return trace_->end_t(); }

  // Last event with t <= `t` (-1 if none) and first event with t > `t` (size if none).
  int last_event_at_or_before(std::int64_t t) const;
  int first_event_after(std::int64_t t) const;

  const std::vector<LifeChange>& life(int node) const { return life_[static_cast<std::size_t>(node)]; }
  const std::vector<ModeChange>& mode(int node) const { return mode_[static_cast<std::size_t>(node)]; }
  const std::vector<MemberChange>& view(int observer, int subject) const {
    return view_[static_cast<std::size_t>(observer) * static_cast<std::size_t>(n_) + static_cast<std::size_t>(subject)];
  }
  const std::vector<NetChange>& net() const { return net_; }
  const std::vector<LeaderClaim>& leader_claims() const { return leaders_; }
  // Index into leader_claims() of the claim with the greatest term among those at or before
  // `t` (the latest one on a tie), or -1.
  int best_leader_claim(std::int64_t t) const;

  const std::vector<int>& variables() const { return vars_; }  // string ids, sorted by name
  const std::vector<VarChange>& var_changes(int node, int var_slot) const {
    return var_changes_[static_cast<std::size_t>(node) * vars_.size() + static_cast<std::size_t>(var_slot)];
  }
  const std::vector<int>& agents() const { return agents_; }  // string ids, first-seen order
  const std::vector<AgentChange>& agent_changes(int agent_slot) const { return agent_changes_[static_cast<std::size_t>(agent_slot)]; }

  const std::vector<Message>& messages() const { return messages_; }
  // How long a message with no receive or drop stays drawn: the median observed latency.
  std::int64_t typical_latency_us() const { return typical_latency_us_; }
  // End of a message as drawn (its receive/drop, or send + typical latency).
  std::int64_t drawn_end(const Message& m) const;
  // Appends the indices of messages in flight at `t` (send_t <= t < drawn end), ascending.
  void messages_in_flight(std::int64_t t, std::vector<int>& out) const;
  // Messages sent from `from` to `to` with send time in [t0, t1).
  int sends_between(int from, int to, std::int64_t t0, std::int64_t t1) const;
  // Total messages ever sent from `from` to `to` (for the force layout's edge weights).
  int sends_total(int from, int to) const;

  const std::vector<FaultMarker>& faults() const { return faults_; }
  // Kinds that occur in the trace, with counts (for the event log's kind filter).
  const std::vector<std::int64_t>& kind_counts() const { return kind_counts_; }

 private:
  void build();
  void build_messages();
  void build_message_buckets();

  std::shared_ptr<const Trace> trace_;
  int n_ = 0;
  std::vector<std::int64_t> times_;
  std::vector<std::vector<LifeChange>> life_;
  std::vector<std::vector<ModeChange>> mode_;
  std::vector<std::vector<MemberChange>> view_;
  std::vector<NetChange> net_;
  std::vector<LeaderClaim> leaders_;
  std::vector<int> best_claim_prefix_;
  std::vector<int> vars_;
  std::vector<std::vector<VarChange>> var_changes_;
  std::vector<int> agents_;
  std::vector<std::vector<AgentChange>> agent_changes_;
  std::vector<Message> messages_;
  std::int64_t typical_latency_us_ = 1000;
  // In-flight buckets (CSR): bucket b covers [b*bucket_us_, (b+1)*bucket_us_).
  std::int64_t bucket_us_ = 10000;
  std::vector<std::uint32_t> bucket_start_;
  std::vector<std::uint32_t> bucket_items_;
  std::vector<int> long_messages_;  // spanning too many buckets: scanned linearly
  // Per directed link (from * n + to), sorted send times (CSR).
  std::vector<std::uint32_t> link_start_;
  std::vector<std::int64_t> link_sends_;
  std::vector<FaultMarker> faults_;
  std::vector<std::int64_t> kind_counts_;
};

}  // namespace mabeam::viz
