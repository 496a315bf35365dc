// The consensus service: the driver of the Raft core (raft.h) on a node. It turns timers
// into ticks, decodes peers' messages (type ids 60..69) into steps, keeps the log, the hard
// state and the snapshot in the node's Storage, and keeps the Ready order: a batch's
// records are appended, a sync_async is started, and only when it (and every earlier one)
// has completed are the batch's messages sent and its committed entries applied. The
// node's thread never waits for the disk; membership and other services run meanwhile.
//
// Files (codec.h): raft.meta (cluster id, storage id), raft.log (entries and hard states,
// appended), raft.snap (the latest snapshot). Every snapshot_entries applied entries the
// application's state is snapshotted, raft.snap rewritten and raft.log rewritten with what
// follows it (rewrite is atomic and durable; the only synchronous disk write, once per
// snapshot_entries entries).
//
// Identity. raft.meta holds the cluster id (from the initial voters) and a random storage id
// drawn when the directory is first used. A node whose raft.meta names another cluster
// refuses to run consensus (trace `consensus_refused`). A voter that comes back with an
// empty directory gets a new storage id; the leader has recorded the old one in the
// configuration, so its votes and acknowledgements are not counted (it cannot vote twice in
// a term it already voted in). An operator removes it and adds it back.
//
// The application (strong variables) registers a StateMachine and proposes commands; it
// learns each applied entry (with its index and term, so a proposer can tell its own entry
// from one that replaced it) and ReadIndex results.
//
// Trace: `leader` (`term`) when this node becomes leader; `role` (`role`, `term`, `leader`)
// at every role change; `raft_config` (`voters`, `learners`, `index`) when a leader appends
// or starts with a configuration; `consensus_refused` (`reason`, `retry`: a storage error,
// after which the service starts again from the disk an election timeout later). Metrics: raft_elections,
// raft_leader_changes, raft_commits (entries applied), raft_applied_index, raft_term,
// raft_snapshots, raft_syncs.
#pragma once
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/consensus/codec.h"
#include "engine/consensus/raft.h"
#include "engine/membership_view.h"
#include "engine/node.h"

namespace mabeam::raft {

struct ConsensusConfig {
  std::vector<std::string> voters;         // the initial voters (empty: the host's default)
  DurationUs election_timeout = ms(500);   // the minimum; each timeout is drawn up to twice it
  DurationUs heartbeat_interval = ms(50);  // the core ticks five times per interval
  std::size_t snapshot_entries = 1000;     // applied entries between snapshots
  std::size_t max_inflight = 64;           // appends in flight per follower
  ReadMode read = ReadMode::read_index;
  DurationUs op_timeout = sec(2);          // how long a client operation waits for an outcome
  double max_drift = 0.01;                 // config.max_drift: the clock bound lease reads rely on
  TestBugs bugs;                           // tests only; no config file reaches it
};

// The cluster id of a group: from its initial voters, so nodes configured alike agree.
std::uint64_t cluster_id_of(const std::vector<std::string>& voters);

// What the application does with the log.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  virtual void apply(const Entry& entry) = 0;  // normal entries, in index order
  virtual Bytes snapshot() const = 0;
  // The state of a snapshot taken at `index`.
  virtual Status restore(const Bytes& data, Index index) = 0;
  // Leadership changed (or was lost); pending work tied to the old role can be failed.
  virtual void on_role(Role role, Term term) { (void)role, (void)term; }
  virtual void on_read(const ReadState& rs) { (void)rs; }
  // Back to the empty state: the service starts over from the disk (after a storage error).
  virtual void reset() {}
};

class ConsensusService : public Service {
 public:
  ConsensusService(Node& node, ConsensusConfig config);
  ~ConsensusService() override;
  const char* name() const override { return "consensus"; }
  void start() override;
  void stop() override;

  void set_state_machine(StateMachine* sm) { sm_ = sm; }

  // Client calls; errors as in raft.h (unavailable when not leader).
  Result<Index> propose(Bytes command);
  Status read_index(std::uint64_t id);
  Status change_membership(Raft::Change change, const std::string& node);
  Status transfer_leader(const std::string& to);

  bool running() const { return core_ != nullptr; }
  const std::string& refused_reason() const { return refused_; }
  // Introspection; valid only while running().
  const Raft& core() const { return *core_; }
  Role role() const { return core_ ? core_->role() : Role::follower; }
  Term term() const { return core_ ? core_->term() : 0; }
  std::string leader() const { return core_ ? core_->leader() : std::string(); }
  Index applied() const { return applied_; }
  const ConsensusConfig& config() const { return config_; }

  template <MsgType K>
  void on_wire(const std::string& from, Wire<K>&& w);

 private:
  struct Batch {
    Ready ready;
    bool synced = false;
    std::uint64_t seq = 0;
  };
  void refuse(const std::string& reason, bool retry = false);
  Status load(Recovered& out);
  void tick();
  void process();
  void persist(const Ready& r);
  void release();
  void deliver(Batch& b);
  void maybe_snapshot();
  void note_role();
  void send(const Message& m);
  // Sends, and removes from `messages`, those that may leave while this Ready's sync runs: a
  // leader's appends, heartbeats and snapshots (the Raft thesis, 10.2.1, as etcd does). They
  // claim nothing about this node's disk, and a leader counts its own log towards a commit
  // only through on_persisted, after the sync. Vote grants and acknowledgements wait.
  void send_before_sync(std::vector<Message>& messages);

  ConsensusConfig config_;
  std::unique_ptr<Raft> core_;
  StateMachine* sm_ = nullptr;
  std::string refused_;
  std::deque<Batch> batches_;
  bool processing_ = false;
  TimerId tick_timer_ = 0;
  TimerId retry_timer_ = 0;
  std::uint64_t epoch_ = 0;   // bumped when a core is dropped
  std::uint64_t starts_ = 0;
  DurationUs tick_us_ = ms(10);
  Index applied_ = 0;
  Role last_role_ = Role::follower;
  Term last_term_ = 0;
  std::string last_leader_;
  Membership last_config_;
  std::uint64_t foreign_seen_ = 0;
  std::set<std::string> foreign_reported_;
  std::uint64_t batch_seq_ = 0;
  std::uint64_t cluster_id_ = 0;
  std::uint64_t config_storage_id_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // sync callbacks check it
  MembershipView* view_ = nullptr;  // the failure detector's verdicts: a leader seen down
  int view_handle_ = 0;
};

}  // namespace mabeam::raft
