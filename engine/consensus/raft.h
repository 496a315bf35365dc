// The Raft core: a pure state machine, in the manner of etcd's raft library. It does no I/O
// and reads no clock. The driver (the consensus service, or a test harness) feeds it
//   - tick()          one tick of logical time (the driver's timer sets its length),
//   - step(message)   a message from a peer,
//   - propose(...), change_membership(...), transfer_leader(...), read_index(...)
// and collects the effects with take_ready(). Randomized election timeouts come from the
// Rng handed in at construction (seeded by the driver), so a test replays exactly.
//
// Moving parts (Ongaro's dissertation; chapter numbers in brackets):
//   Election [3.4]. A follower that hears nothing from a leader for its randomized timeout
//   (election_ticks..2*election_ticks-1) first runs a PreVote round [9.6]: it asks the voters
//   whether they would vote for it in term+1 without anyone changing term. Only with a
//   majority of pre-votes does it become a candidate, bump its term and ask for real votes.
//   A voter grants a vote once per term (the vote is persisted before the grant is sent),
//   and only to a candidate whose log is at least as up to date as its own. A voter that
//   heard from a leader within the minimum election timeout ignores (pre-)vote requests
//   (the leader lease, [4.2.3]) unless they come from a leadership transfer.
//   CheckQuorum [6.2]. A leader that has not heard from a majority of voters within an
//   election timeout steps down, so a leader cut off in a minority stops serving.
//   Replication [3.5]. Per follower the leader keeps a Progress: `probe` (one append at a
//   time until the follower's position is found), `replicate` (a pipeline of at most
//   max_inflight appends of up to append_entries_max entries each) or `snapshot` (a snapshot
//   is on its way). A follower rejects an append whose previous entry it lacks, with a hint
//   of where to retry; it truncates a conflicting suffix and appends the rest.
//   Commit [3.6.2]. The leader commits index N once a majority of voters hold N durably (its
//   own copy counts only once synced) and N is of its current term; earlier entries commit
//   with it. A new leader appends a no-op to get there.
//   Persistence [3.8]. Term, vote and log reach the driver in Ready before any message that
//   depends on them; the driver syncs them and only then sends. Restart rebuilds the core
//   from what was persisted (Recovered).
//   Snapshots [5]. The application hands in a snapshot of its state at an applied index
//   (compact); the log before it is dropped. A follower that lacks entries the leader no
//   longer has gets the snapshot.
//   Membership [4.1-4.3]. One voter added or removed at a time: a config entry takes effect
//   as soon as it is appended (and is undone if truncated); a new change waits until the
//   previous one is committed and the leader has committed an entry of its term. A voter is
//   added as a learner first and promoted once it has caught up. A leader removed from the
//   configuration steps down once the removal is committed.
//   Leadership transfer [3.10]. The leader stops taking proposals, brings the target up to
//   date, and sends it TimeoutNow; the target campaigns at once. Abandoned after an election
//   timeout.
//   Reads [6.4]. read_index(id): the leader, once it has committed an entry of its term,
//   records its commit index, confirms it is still leader with a heartbeat round a majority
//   answers, and hands out ReadState{id, index}. With ReadMode::lease the round is skipped
//   while the leader's lease holds (it heard from a majority recently; see
//   RaftConfig::max_drift for the clock bound this relies on).
//
// Invariants kept (checked after every step in tests, see invariants.h): at most one leader
// per term; logs that agree on an entry's index and term agree on everything before it; a
// committed entry is in the log of every later leader; no two nodes apply different entries
// at one index.
#pragma once
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/consensus/types.h"
#include "engine/rng.h"
#include "engine/status.h"

namespace mabeam::raft {

// The effects of everything fed in since the last take_ready(). The driver must keep this
// order:
//   1. Persist: write `hard_state` (if set), `snapshot` (if set) and `entries` (if any; the
//      first entry's index may be at or below entries written before: everything from that
//      index on is replaced), then sync.
//   2. Only once that sync (and every earlier Ready's) has completed: call
//      on_persisted(persisted_index, persisted_term) when `entries` or `snapshot` were given,
//      and send `messages`. Messages of one Ready never leave before those of an earlier one.
//      (A vote grant, an append acknowledgement or a leader's own count of its log must
//      not reach anyone before the state it speaks for is durable.) The exception: messages
//      of type append, heartbeat and snapshot, which only a leader sends, may leave before
//      the sync (the Raft thesis, 10.2.1): the leader's own log counts towards a commit only
//      once on_persisted says it is durable.
//   3. Then apply `snapshot` (if set) to the state machine, then `committed` in order, and
//      serve `read_states` once the state machine has applied their index.
// `committed` entries are always already durable here (persisted by an earlier Ready).
struct Ready {
  std::optional<HardState> hard_state;
  std::optional<Snapshot> snapshot;
  std::vector<Entry> entries;
  Index persisted_index = 0;  // the last index covered by entries/snapshot
  Term persisted_term = 0;
  std::vector<Message> messages;
  std::vector<Entry> committed;
  std::vector<ReadState> read_states;
  bool empty() const {
    return !hard_state && !snapshot && entries.empty() && messages.empty() && committed.empty() && read_states.empty();
  }
  bool must_persist() const { return hard_state || snapshot || !entries.empty(); }
};

// What a restart reads back from storage.
struct Recovered {
  HardState hard_state;
  std::optional<Snapshot> snapshot;
  std::vector<Entry> entries;  // contiguous, after the snapshot
};

class Raft {
 public:
  Raft(RaftConfig config, Rng rng, Recovered recovered = {});

  void tick();
  // A message from a peer. Messages of another cluster or malformed ones are dropped.
  void step(const Message& m);

  // Leader only: appends a command; returns its index. unavailable otherwise (not leader, a
  // transfer in progress).
  Result<Index> propose(Bytes data);
  enum class Change { add_voter, add_learner, remove };
  // Leader only: one membership change at a time (refused while one is pending).
  Status change_membership(Change change, const std::string& node);
  Status transfer_leader(const std::string& to);
  // Leader only: a linearizable read point; the answer comes as a ReadState in a Ready.
  Status read_index(std::uint64_t id);
  // Starts an election now (tests, and a TimeoutNow).
  void campaign(bool transfer = false);
  // The failure detector says `node` is down. A follower whose leader it is forgets that
  // leader (so its lease no longer refuses PreVotes and votes) and campaigns within a short
  // random delay (1 to election_ticks/4 ticks) instead of a whole election timeout: a
  // killed leader is replaced in tens of milliseconds. Only liveness depends on the verdict:
  // a wrong one costs a PreVote that fails while a majority still hears the leader.
  void leader_down(const std::string& node);

  bool has_ready() const;
  Ready take_ready();
  // Entries up to `index` (whose term is `term`) are durable (Ready rule 2).
  void on_persisted(Index index, Term term);
  // The application has a snapshot of its state at `index` (<= applied): the log up to it
  // is dropped. The driver persists the snapshot itself before calling this.
  Status compact(Index index, Bytes data);

  // Introspection.
  const std::string& self() const { return config_.self; }
  Role role() const { return role_; }
  Term term() const { return hs_.term; }
  const std::string& vote() const { return hs_.vote; }
  const std::string& leader() const { return leader_; }
  Index commit() const { return hs_.commit; }
  Index applied() const { return applied_; }
  Index stable() const { return stable_; }
  Index first_index() const { return snap_.index + 1; }
  Index last_index() const { return snap_.index + log_.size(); }
  Term last_term() const { return term_at(last_index()).value_or(0); }
  std::optional<Term> term_at(Index i) const;
  const Entry* entry_at(Index i) const;
  const Snapshot& snapshot() const { return snap_; }
  const Membership& membership() const { return config_now_; }
  const RaftConfig& config() const { return config_; }
  bool transferring() const { return !transfer_to_.empty(); }
  bool lease_valid() const;
  std::uint64_t elections_started() const { return elections_; }
  // Answers not counted because they came from a member's other data directory.
  std::uint64_t foreign_answers() const { return foreign_answers_; }
  const std::string& last_foreign() const { return last_foreign_; }
  // The match index the leader knows for a peer (tests, /consensus).
  Index match_of(const std::string& peer) const;

 private:
  enum class ProgressState : std::uint8_t { probe, replicate, snapshot };
  struct Progress {
    Index match = 0;
    Index next = 1;
    ProgressState state = ProgressState::probe;
    bool paused = false;            // probe: an append is out, wait for its answer
    std::deque<Index> inflight;     // replicate: last index of each append in flight
    bool recent_active = false;     // heard from within this election timeout (CheckQuorum)
    std::uint64_t acked_seq = 0;    // highest heartbeat round answered
    Index match_at_heartbeat = 0;   // match at the previous heartbeat answer (stall detection)
    Index snapshot_index = 0;       // snapshot state: the snapshot sent
    std::uint64_t snapshot_tick = 0;
  };

  // election.cpp
  void become_follower(Term term, const std::string& leader);
  void become_pre_candidate();
  void become_candidate(bool transfer);
  void become_leader();
  void reset_election_timer();
  void tick_election();
  void tick_heartbeat();
  void handle_vote_request(const Message& m);
  void handle_vote_response(const Message& m);
  bool log_up_to_date(Index last_index, Term last_term) const;
  bool in_lease() const;
  void set_role(Role r);
  void after_event();

  // replication.cpp
  void send(Message m);
  void send_append(const std::string& to, bool allow_empty);
  void broadcast_append();
  void send_heartbeat(const std::string& to);
  void broadcast_heartbeat();
  void handle_append(const Message& m);
  void handle_append_response(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_heartbeat_response(const Message& m);
  void handle_snapshot(const Message& m);
  bool maybe_commit();
  void advance_commit(Index to);
  void append_entries(const std::vector<Entry>& entries);  // truncating conflicts
  void truncate_after(Index i);
  void append_local(EntryKind kind, Bytes data);
  void recompute_config();
  bool counts(const Message& m);  // false: answer from a member with a foreign data directory
  void maybe_change_config();     // record members' data directories, promote learners
  void start_read(std::uint64_t id);
  void check_reads();
  void release_waiting_reads();
  bool committed_in_term() const;
  std::uint64_t quorum_acked_seq() const;

  RaftConfig config_;
  Rng rng_;
  HardState hs_;
  HardState hs_handed_;  // the hard state last handed out in a Ready
  Role role_ = Role::follower;
  std::string leader_;
  Snapshot snap_;                 // the latest snapshot (index 0: none)
  std::deque<Entry> log_;         // entries snap_.index+1 .. last_index()
  std::vector<std::pair<Index, Membership>> config_log_;  // config entries in log_
  Membership config_now_;         // the latest config, appended or in the snapshot
  Index stable_ = 0;              // entries up to here are durable
  Index applied_ = 0;             // entries up to here were handed out to apply
  Index unpersisted_from_ = 0;    // lowest index changed since the last Ready (0: none)
  bool snapshot_unpersisted_ = false;
  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;

  std::uint64_t ticks_ = 0;       // ticks since start
  int election_elapsed_ = 0;       // follower: ticks since a leader or a granted vote; leader: CheckQuorum
  int randomized_timeout_ = 0;
  int heartbeat_elapsed_ = 0;
  std::set<std::string> granted_;  // (pre-)votes received this round
  std::set<std::string> refused_;
  std::uint64_t elections_ = 0;

  std::map<std::string, Progress> progress_;  // leader: every member but self
  std::set<std::string> promote_;             // learners to promote once caught up
  Index pending_config_ = 0;                  // index of the latest config entry
  bool bcast_pending_ = false;
  Index commit_sent_ = 0;                     // the commit index last broadcast
  std::map<std::string, std::uint64_t> seen_ids_;  // storage ids members answered with
  std::uint64_t foreign_answers_ = 0;
  std::string last_foreign_;
  std::string transfer_to_;
  int transfer_elapsed_ = 0;

  struct PendingRead {
    std::uint64_t id = 0;
    Index index = 0;
    std::uint64_t seq = 0;
  };
  std::uint64_t hb_seq_ = 0;                            // heartbeat rounds sent this term
  std::deque<std::pair<std::uint64_t, std::uint64_t>> seq_ticks_;  // round -> tick it was sent
  std::deque<PendingRead> reads_;                       // waiting for their heartbeat round
  bool read_round_pending_ = false;                     // a round for new reads is due
  std::vector<std::uint64_t> reads_before_commit_;      // waiting for an entry of this term
};

}  // namespace mabeam::raft
