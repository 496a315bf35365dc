// Strong variables: linearizable registers (read, write, cas) held by the cluster's one
// Raft group (DESIGN.md, "Consensus and strong variables"). This service is the group's
// state machine on voters and learners, and the client entry point on every node.
//
// A client operation at any node is traced `op_invoke` (`op` id, `process`, `var`, `f`,
// `value`) and goes to the leader: straight to it when this node knows it, else to a voter
// that passes it on to the leader it knows. While no leader is known the operation waits,
// retrying every heartbeat interval, up to op_timeout. The leader proposes a write or cas
// and answers once the entry is applied: `ok`, or `fail` for a cas whose expected value did
// not match (the value found comes back) or an entry another leader's replaced. A read is a
// ReadIndex read: answered with the value once the leader's state machine has applied the
// read index. A node that is not the leader refuses (nothing proposed), and the origin
// tries again. At op_timeout the origin answers `fail` when nothing can have been proposed
// (no leader found, every attempt refused; or a read, which changes nothing), else `info`
// (its fate is unknown). Every answer is traced `op_complete` (`op`, `type`, `value`).
//
// Applied writes are traced `op_apply` (`var`, `index`, `op`, `value`) by every replica,
// and a state taken whole (from a snapshot) `strong_state` (`index`, `vars`: name -> value,
// op, index), so the no_lost_writes check can rebuild each replica's state from the trace.
//
// Test-only: with TestBugs::stale_follower_reads a node that is not the leader answers
// reads from its own applied state, without ReadIndex.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/consensus/service.h"
#include "engine/consensus/strong_messages.h"
#include "engine/node.h"

namespace mabeam::raft {

struct StrongClientOp {
  std::string var;
  StrongKind kind = StrongKind::read;
  std::string value;     // write, cas: the (new) value as JSON text
  std::string expected;  // cas: the expected value as JSON text ("null" = unset)
  std::int64_t process = 0;
};

struct StrongResult {
  std::string type;   // ok, fail, info
  std::string value;  // read: the value ("null" = unset); cas fail: the value found
  std::string error;  // fail, info: why
};
using StrongDone = std::function<void(const StrongResult&)>;

class StrongVariables : public Service, public StateMachine {
 public:
  StrongVariables(Node& node, std::vector<std::string> vars, std::uint64_t incarnation);
  const char* name() const override { return "strong_variables"; }
  void start() override;
  void stop() override;

  bool declares(const std::string& var) const { return vars_.count(var) != 0; }
  // A client operation; `done` runs once (never if the node crashes first).
  void submit(StrongClientOp op, StrongDone done);
  // A process number for an operation whose client names none (an HTTP request: each is
  // its own process, as concurrent requests may be open at once). Unique to this node and
  // incarnation: the top bits are 31 bits of an FNV-1a hash of name and incarnation, the
  // low 32 a count, so the merged traces of a cluster's nodes give a history in which no
  // two operations share a process (unless two hashes collide, which the history reader
  // reports as a malformed history, never as a verdict).
  std::int64_t fresh_process();
  // The applied value ("null" when unset) on this replica.
  std::string value_of(const std::string& var) const;
  std::size_t pending() const { return pending_.size(); }

  // StateMachine
  void apply(const Entry& e) override;
  Bytes snapshot() const override;
  Status restore(const Bytes& data, Index index) override;
  void on_role(Role role, Term term) override;
  void on_read(const ReadState& rs) override;
  void reset() override;

 private:
  struct Pending {  // at the origin
    std::uint64_t req = 0;
    StrongClientOp op;
    std::string op_id;
    StrongDone done;
    TimerId timeout = 0;
    TimerId retry = 0;
    bool maybe_proposed = false;
    bool in_flight = false;
    std::string last_error;
  };
  struct Executing {  // at the leader: who to answer
    std::string origin;
    std::uint64_t req = 0;
    Term term = 0;
    StrongKind kind = StrongKind::read;
    std::string var;
  };
  struct Value {
    std::string value = "null";
    std::string op;   // the op id that wrote it
    Index index = 0;  // the entry that wrote it
  };

  void attempt(std::uint64_t req);
  void on_timeout(std::uint64_t req);
  void complete(std::uint64_t req, const std::string& type, const std::string& value, const std::string& error);
  void on_op(const std::string& from, StrongOpMsg&& m);
  void on_reply(const std::string& from, StrongReplyMsg&& m);
  void execute(const StrongOpMsg& m);
  void answer(const std::string& origin, std::uint64_t req, StrongOutcome o, const std::string& value,
              const std::string& reason);
  void serve_reads();
  std::string pick_target();

  std::set<std::string> vars_;
  std::uint64_t incarnation_;
  ConsensusService* consensus_ = nullptr;
  std::map<std::string, Value> state_;
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_req_ = 1;
  std::uint64_t next_op_ = 1;
  std::uint32_t next_process_ = 0;  // fresh_process's count
  std::map<Index, Executing> proposals_;       // index -> who asked
  std::map<std::uint64_t, Executing> reads_;   // read id -> who asked
  std::vector<std::pair<ReadState, Executing>> reads_ready_;  // confirmed, waiting for apply
  std::uint64_t next_read_ = 1;
  bool stopped_ = false;
};

}  // namespace mabeam::raft
