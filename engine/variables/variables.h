// The variables service: distributed variables with a replica set, a resolution strategy
// and a consistency level (DESIGN.md, "Services"; Dynamo/Riak for replication and
// anti-entropy, COPS for causal dependencies).
//
// How a write travels. A client operation is a local call (submit) on any node. A write
// gets a dot (this node, the next sequence number for this variable and node), a hybrid
// logical timestamp and its dependencies, is applied here, and is pushed to the variable's
// replicas: the `replicas` active members of highest rendezvous weight for its name
// (rendezvous.h; every node when `replicas` >= the cluster). Pushes can be batched
// (`flush_interval`). Every `anti_entropy_interval` each node sends its digest (version
// vectors) to one random active member, which sends back the writes it lacks and asks for
// the ones it lacks (push-pull), so every node ends up with every write, also after a
// partition heals. When a member enters a variable's replica set (a replica went down, or
// came back), the replicas start an anti-entropy round with it at once (re-replication).
//
// When a write is applied. A replica applies a write only after the writes it depends on:
// the earlier writes of its writer to the same variable, and the writes of that variable
// the writer had seen (its context). For `causal` variables the dependencies also cover
// every `causal` variable the writer had seen (COPS-style, with version vectors as the
// dependency summary), so no node exposes a write before a write it depends on. Writes
// that arrive early wait in a bounded buffer. Applying is a CRDT merge (crdt.h), so the
// order of concurrent writes does not matter; a write concurrent with what a replica
// holds is traced as a `var_conflict` with the strategy and both values.
//
// Sessions. A session is a client's token: per variable, the version vector of the writes
// it has seen or made. An operation in a session waits (up to `session_wait`) at a node
// that has not yet applied everything in the token, then fails with an error saying what
// is missing; so reads see the session's own writes and never go back in time, also when
// the session moves to another node. The token belongs to the client and comes back with
// every outcome.
//
// Partitions. Writes to `on_minority: readonly` variables are refused while the partition
// guard says this node is in a minority; reads are served and marked `stale`.
//
// State transfer. A replica keeps in memory only the most recent `log_keep_writes` writes
// of each writer per variable. When a digest shows a peer lacks writes older than that, the
// replica sends its whole state instead (VarTransfer: the CRDT state and the version vector
// of the writes it includes), and the peer merges it. A replica's state is causally closed
// (it holds a write only with the writes it depends on), so a transfer of a `causal`
// variable carries every `causal` variable the peer lacks something of, and the peer merges
// them all at once: it exposes the transferred writes together, never one before what it
// depends on, and from then on counts them as applied (dependency checks, digests, session
// tokens). Its own kept writes of a writer that advanced are dropped (they would no longer
// be contiguous); a peer asking it for those gets a transfer in turn.
//
// Durability: every applied write is appended to the node's storage (`variables.log`); a
// node's own writes are synced before they are acknowledged, and a merged transfer is
// appended as a state record. Once more than `log_compact_records` records follow the last
// snapshot, the log is rewritten (atomically) as a snapshot: one state record per variable
// (its state, version vector and the node's clock), after which records are appended as
// before. A restart merges the state records and replays the writes, in order, which gives
// the state, the sequence numbers, the clock and the dependencies that replaying every
// write would; only the kept writes differ (a peer that lacks older ones gets a transfer).
//
// Trace: var_write / var_read (every client operation, with `ok` and `error`), var_apply
// (a replica applied a write: the dot and the value after), var_conflict, var_state (a
// replica took in whole states at once: `source` "transfer" with `from`, or "log" at a
// restart; `vars` maps each variable to its version vector `vv` and `value` after).
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "engine/membership_view.h"
#include "engine/node.h"
#include "engine/variables/hlc.h"
#include "engine/variables/messages.h"
#include "engine/quorum_view.h"
#include "engine/variables/rendezvous.h"
#include "engine/variables/spec.h"

namespace mabeam::vars {

struct ClientOp {
  std::string var;
  std::string op;       // set, add, remove, incr, read; "" = the variable's default write
  std::string value;    // JSON text; "" = default (1 for incr)
  std::string session;  // "" = no session
  std::string expected = "";  // cas on a strong variable: the expected value (JSON text)
};

struct SessionToken {
  std::map<std::string, VersionVector> seen;  // var -> writes seen or made
};

struct OpOutcome {
  bool ok = false;
  std::string error;
  std::string value;   // read: the value; write: the value written
  SessionToken token;  // the session's token after the operation
};
using OpDone = std::function<void(const OpOutcome&)>;

class VariablesService : public Service {
 public:
  VariablesService(Node& node, std::vector<VariableSpec> specs, VariablesConfig config);
  const char* name() const override { return "variables"; }
  void start() override;
  void stop() override;

  // A client operation. `done` runs once, now or later (session ops may wait); never if the
  // node crashes first.
  void submit(ClientOp op, SessionToken token, OpDone done);

  // Introspection (tests, status pages).
  std::string value_of(const std::string& var) const;
  VersionVector version_of(const std::string& var) const;
  std::vector<std::string> replicas_of(const std::string& var) const;
  std::size_t pending() const { return pending_.size(); }
  std::size_t waiting() const { return waiting_.size(); }

  // Incoming messages (also routed by the node).
  void on_writes(const std::string& from, VarWrites&& m);
  void on_digest(const std::string& from, VarDigest&& m);
  void on_transfer(const std::string& from, VarTransfer&& m);

  // Introspection of the bounds (tests): writes kept in memory for a variable, and records
  // in the durable log.
  std::size_t kept_writes(const std::string& var) const;
  std::size_t log_records() const { return log_records_; }

 private:
  // A writer's most recent writes to a variable: seqs first, first + 1, ... up to what the
  // replica applied (empty: first is the next one).
  struct WriterLog {
    std::uint64_t first = 1;
    std::deque<WriteOp> ops;
  };
  struct Replica {
    VariableSpec spec;
    VarState state;
    VersionVector vv;
    std::map<std::string, WriterLog> log;  // writer -> its kept writes
    std::vector<std::string> replicas;
  };
  struct Waiting {
    std::uint64_t id;
    ClientOp op;
    SessionToken token;
    OpDone done;
    TimerId timer;
  };
  using PendingKey = std::tuple<std::string, std::string, std::uint64_t>;  // var, origin, seq

  void execute(const ClientOp& op, SessionToken token, const OpDone& done);
  void finish(const ClientOp& op, const OpOutcome& out, const OpDone& done, const Replica* r);
  bool ready(const WriteOp& op) const;
  void receive(WriteOp op, bool from_log = false);
  // Applies a ready write; `persisted`: already in the log (own write, or replayed).
  void apply(const WriteOp& op, bool persisted);
  // Merges whole states at once (a transfer, or state records replayed from the log).
  void merge_states(const std::vector<VarSnapshot>& states, const Hlc& clock, bool persisted, const std::string& from);
  VarSnapshot snapshot_of(const std::string& name, const Replica& r) const;
  // The variables a peer with these version vectors gets as whole states; `need`: the
  // variables it lacks writes of that are no longer kept.
  std::vector<std::string> transfer_set(const VarDigest& theirs, const std::vector<std::string>& need) const;
  void replay_log();
  Status log_append(const Bytes& record);
  void maybe_compact();
  Status compact();  // rewrites the log as one snapshot per variable
  void drain();
  void wake_waiting();
  void push(const WriteOp& op, const Replica& r);
  void flush();
  void anti_entropy();
  VarDigest digest(bool reply) const;
  void recompute_replicas(bool hand_off);
  std::vector<std::string> active_members() const;
  VarState delta_of(const WriteOp& op, const Replica& r) const;

  VariablesConfig config_;
  std::map<std::string, Replica> vars_;
  std::map<PendingKey, WriteOp> pending_;
  std::vector<Waiting> waiting_;
  std::uint64_t next_waiting_ = 1;
  std::map<std::string, std::vector<WriteOp>> outbox_;  // batched pushes per target
  bool flush_armed_ = false;
  HlcClock hlc_;
  MembershipView* view_ = nullptr;
  QuorumView* guard_ = nullptr;  // the partition guard, if any
  int view_handle_ = 0;
  bool stopped_ = false;
  bool replaying_ = false;
  std::size_t log_records_ = 0;  // records in the durable log
  std::size_t log_tail_ = 0;     // of which appended since the last snapshot
  // An append failed (a disk fault): the log misses a write that later records may depend
  // on, so replaying it would stall there. The next append first rewrites it as a snapshot.
  bool log_gap_ = false;
};

}  // namespace mabeam::vars
