// The values the Raft core (raft.h) takes in and hands out: log entries, the cluster
// configuration, the state that must survive a crash, the messages peers exchange, and the
// core's tuning. Plain data with no behaviour beyond comparisons, so the core, its codec
// (codec.h), the consensus service and the tests' invariant checker all share them.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/codec.h"

namespace mabeam::raft {

using Term = std::uint64_t;
using Index = std::uint64_t;

enum class EntryKind : std::uint8_t {
  noop = 0,    // the entry a new leader appends to commit something of its own term
  normal = 1,  // an application command (opaque bytes)
  config = 2,  // a new cluster configuration (data: an encoded Membership)
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryKind kind = EntryKind::normal;
  Bytes data;
  bool operator==(const Entry& o) const = default;
};

// Who takes part. Voters elect and count towards commits; learners receive the log but do
// not vote (a new voter catches up as a learner first). `ids` records, per member, the
// storage id of the data directory it answered with first (0: not yet known); a member that
// later answers with another id has lost or swapped its data and is not counted (it could
// otherwise vote twice in one term).
struct Membership {
  std::set<std::string> voters;
  std::set<std::string> learners;
  std::map<std::string, std::uint64_t> ids;
  bool is_voter(const std::string& n) const { return voters.count(n) != 0; }
  bool is_member(const std::string& n) const { return voters.count(n) != 0 || learners.count(n) != 0; }
  std::size_t quorum() const { return voters.size() / 2 + 1; }
  bool operator==(const Membership& o) const = default;
};

// What must be on disk before a message that depends on it leaves (Raft's persistent state;
// `commit` is kept so a restart can re-apply without waiting for a leader).
struct HardState {
  Term term = 0;
  std::string vote;  // "" = none in this term
  Index commit = 0;
  bool operator==(const HardState& o) const = default;
};

// A snapshot: the application's state after applying every entry up to `index`, and the
// configuration in force there. `data` is opaque to the core.
struct Snapshot {
  Index index = 0;
  Term term = 0;
  Membership config;
  Bytes data;
};

enum class MsgType : std::uint8_t {
  pre_vote = 1,
  pre_vote_resp = 2,
  vote = 3,
  vote_resp = 4,
  append = 5,      // entries after (log_index, log_term); empty = a probe
  append_resp = 6, // reject, or match = the last index the follower now holds (synced)
  heartbeat = 7,   // commit and a read round (seq); carries no entries
  heartbeat_resp = 8,
  snapshot = 9,    // the leader's snapshot; answered with append_resp
  timeout_now = 10 // leadership transfer: campaign at once, ignoring the leader lease
};
const char* to_string(MsgType t);

struct Message {
  MsgType type = MsgType::append;
  std::string from;
  std::string to;
  Term term = 0;
  std::uint64_t cluster_id = 0;  // messages of another cluster are dropped
  std::uint64_t storage_id = 0;  // the sender's data directory (see Membership::ids)
  Index log_index = 0;           // vote: last index; append: index before the entries
  Term log_term = 0;             // vote: last term; append: term at log_index
  Index commit = 0;
  std::vector<Entry> entries;
  bool reject = false;
  Index hint = 0;               // append_resp: reject: where to retry; else the match index
  std::uint64_t seq = 0;        // heartbeat round, for ReadIndex and lease reads
  bool transfer = false;        // a vote caused by a leadership transfer
  std::optional<Snapshot> snapshot;
};

enum class Role : std::uint8_t { follower, pre_candidate, candidate, leader };
const char* to_string(Role r);

enum class ReadMode : std::uint8_t { read_index, lease };

// Test-only switches that break the protocol on purpose, so sweeps and checks can be shown
// to catch each bug. All off by default and never reachable from a config file: only code
// (tests) can set them.
struct TestBugs {
  bool ack_before_sync = false;       // the driver reports entries persisted before the sync
  bool stale_follower_reads = false;  // a follower serves reads from its own state, no ReadIndex
  bool double_vote = false;           // a voter grants a second vote in a term it voted in
};

struct RaftConfig {
  std::string self;
  std::set<std::string> initial_voters;  // the configuration before any config entry
  std::uint64_t cluster_id = 0;
  std::uint64_t storage_id = 0;          // this node's data directory
  int election_ticks = 10;               // timeouts are drawn from [election_ticks, 2*election_ticks)
  int heartbeat_ticks = 1;
  std::size_t max_inflight = 64;         // appends in flight per follower in replicate state
  std::size_t append_entries_max = 64;   // entries per append message
  std::size_t append_bytes_max = 1 << 20;
  bool pre_vote = true;
  bool check_quorum = true;
  ReadMode read = ReadMode::read_index;
  // Lease reads assume every node's clock runs within this fraction of real time (DESIGN.md,
  // config.max_drift): the leader trusts its lease for election_ticks * (1 - 2*max_drift)
  // ticks less one after the heartbeat round a majority acknowledged.
  double max_drift = 0.01;
  TestBugs bugs;
};

// A ReadIndex result: once the state machine has applied `index`, a read tagged `id` sees
// every write acknowledged before the read was asked.
struct ReadState {
  std::uint64_t id = 0;
  Index index = 0;
};

}  // namespace mabeam::raft
