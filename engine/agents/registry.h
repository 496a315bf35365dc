// The global name registry (DESIGN.md, "Agents"; Erlang's :global with a consensus log
// instead of locks): a name is held by at most one agent in the whole cluster, also across
// partitions, because every grant is a command in the consensus log.
//
// The port. The registry needs three things of consensus, behind ReplicatedLog: propose a
// command (on the leader), learn applied commands in log order (on every node that holds
// the log), and know whether this node leads or which node does. The consensus service
// provides it on nodes that run it; tests give a fake.
//
// Commands (RegistryState, a pure state machine): claim (name, id, node, boot), release
// (name, id), renew (node, boot, gen), expire (node, boot, gen, seq). A claim of a free name,
// or of a name the same id holds, grants it; a claim of a name another id holds answers
// `taken` with the holder. Commands are idempotent, so an origin simply retries one it got
// no answer for.
//
// Leases. A node holds its names under one lease (node, boot, gen; gen is the index of the
// command that created it, seq counts its renewals). The holder renews every lease/4 while
// it holds names. It counts its lease valid until t + lease * (1 - 2 * max_drift), t being
// the first attempt of the last claim or renewal that succeeded; past that its named agents
// stop dispatching (service.h). The leader expires a lease it has not seen claimed or
// renewed for lease * (1 + 2 * max_drift) of its own time since it applied the last such
// command (a new leader starts counting when it takes over). With clocks within max_drift
// of real time, a holder cut off from the leader stops dispatching before its names are
// freed, so an agent holding a name never dispatches while another agent holds it. A renewal
// after the expiry answers `expired`: the holder's named agents end (lease_expired). A node
// that restarts claims with a newer boot, which frees the names of its earlier lives.
//
// Operations from any node go to the leader (RegistryRequest, 88), which proposes and
// answers once the entry is applied (RegistryReply, 89), or refuses at once (not the
// leader: try the one it names). An origin retries every retry interval until it has an
// answer or registry_timeout passes: then a claim fails, `unknown` when it may have been
// applied (and the origin releases the name again, in case). `whereis` is answered from a
// local cache of name -> id; a miss asks the leader, and a send that finds a cached id gone
// drops the entry (the next send asks again).
//
// Trace: agent_name (name, agent, ok, holder when taken, error), registry_expire (node,
// boot: the leader expired a lease), registry_lease (valid: this node's lease lapsed or
// came back).
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/agents/config.h"
#include "engine/agents/messages.h"
#include "engine/node.h"

namespace mabeam::agents {

// What the registry needs of consensus (see the file comment).
class ReplicatedLog {
 public:
  class Machine {
   public:
    virtual ~Machine() = default;
    virtual void apply(std::uint64_t index, const Bytes& command) = 0;
    virtual Bytes snapshot() const = 0;
    virtual Status restore(const Bytes& state) = 0;
  };
  virtual ~ReplicatedLog() = default;
  // The machine every applied command of the registry goes to, in log order.
  virtual void attach(Machine* machine) = 0;
  // Appends a command when this node leads: its index. Otherwise unavailable.
  virtual Result<std::uint64_t> propose(Bytes command) = 0;
  virtual bool holds_log() const = 0;      // this node applies the log (voters, learners)
  virtual bool is_leader() const = 0;
  virtual std::string leader() const = 0;  // the leader this node knows, "" for none
  virtual bool leader_reachable() const = 0;
  virtual std::vector<std::string> voters() const = 0;
};

// ---- the replicated state ----

enum class RegCmd : std::uint8_t { claim = 1, release = 2, renew = 3, expire = 4, lookup = 5 };
enum class RegCode : std::uint8_t { ok = 0, taken = 1, expired = 2, stale = 3, noop = 4 };

struct RegCommand {
  RegCmd cmd = RegCmd::claim;
  std::string name, id, node;
  std::uint64_t boot = 0, gen = 0, seq = 0;
  Bytes encode() const;
  static bool decode(const Bytes& b, RegCommand& out);
};

struct RegAnswer {
  RegCode code = RegCode::ok;
  std::string holder;  // taken: the id holding it; lookup: the id ("" = free)
  std::string holder_node;
  std::uint64_t gen = 0;
  Bytes encode() const;
  static bool decode(const Bytes& b, RegAnswer& out);
};

class RegistryState {
 public:
  struct Holder {
    std::string id, node;
    std::uint64_t boot = 0, gen = 0;
  };
  struct Lease {
    std::uint64_t boot = 0, gen = 0, seq = 0;
  };
  // Applies one command, the one at `index` of the log. `freed` gets the names it frees.
  RegAnswer apply(std::uint64_t index, const RegCommand& c, std::vector<std::string>* freed = nullptr);
  RegAnswer lookup(const std::string& name) const;
  const std::map<std::string, Holder>& names() const { return names_; }
  const std::map<std::string, Lease>& leases() const { return leases_; }
  Bytes snapshot() const;
  Status restore(const Bytes& b);

 private:
  void free_lease(const std::string& node, std::uint64_t gen, std::vector<std::string>* freed);
  std::map<std::string, Holder> names_;
  std::map<std::string, Lease> leases_;
};

// ---- the service ----

class AgentService;

class Registry : public Service, public ReplicatedLog::Machine {
 public:
  enum class Outcome : std::uint8_t { ok = 0, refused = 1, unknown = 2 };

  Registry(Node& node, AgentsConfig config, std::uint64_t boot);
  const char* name() const override { return "registry"; }
  void start() override;
  void stop() override;

  // Grants `name` to agent `id` (of this node) cluster-wide: done gets the lease generation,
  // or an error: refused naming the holder when taken; unavailable/unknown without an answer.
  void claim(const std::string& name, const std::string& id, std::function<void(Result<std::uint64_t>)> done);
  // Frees `name` if `id` holds it (retried until answered or registry_timeout).
  void release(const std::string& name, const std::string& id);
  // The id holding `name`: from the cache, else asked of the leader. not_found when free.
  void whereis(const std::string& name, std::function<void(Result<std::string>)> done);
  std::string cached(const std::string& name) const;
  void forget(const std::string& name) { cache_.erase(name); }
  // While this node holds names: whether its lease is valid now.
  bool lease_valid() const;
  const RegistryState& state() const { return state_; }
  bool available() const { return log_ != nullptr; }

  // ReplicatedLog::Machine
  void apply(std::uint64_t index, const Bytes& command) override;
  Bytes snapshot() const override { return state_.snapshot(); }
  Status restore(const Bytes& state) override { return state_.restore(state); }

  void on_request(const std::string& from, RegistryRequest&& m);
  void on_reply(const std::string& from, RegistryReply&& m);

 private:
  using Done = std::function<void(Outcome, const RegAnswer&, TimeUs first_attempt)>;
  struct Op {
    RegCommand command;
    Done done;
    TimerId timeout = 0, retry = 0;
    TimeUs first_attempt = 0;
    bool maybe_applied = false;
    std::string last_error;
    std::string hint;  // a leader another node named
  };
  struct Executing {
    std::string origin;  // "" = this node
    std::uint64_t req = 0;
    Bytes command;
  };

  void submit(RegCommand c, Done done);
  void attempt(std::uint64_t req);
  void finish(std::uint64_t req, Outcome o, const RegAnswer& a);
  void execute(const std::string& origin, std::uint64_t req, const Bytes& command);
  void answer(const std::string& origin, std::uint64_t req, Outcome o, const RegAnswer& a);
  void renew();
  void arm_renew();
  void lease_check();
  void extend_lease(TimeUs from);
  void names_lost();
  void expiry_tick();
  AgentService* agents();

  AgentsConfig config_;
  std::uint64_t boot_;
  ReplicatedLog* log_ = nullptr;
  RegistryState state_;
  std::map<std::uint64_t, Op> ops_;
  std::uint64_t next_req_ = 1;
  std::map<std::uint64_t, Executing> executing_;  // at the leader: index -> who asked
  std::map<std::string, std::string> cache_;       // name -> id
  // This node's lease.
  std::map<std::string, std::string> held_;  // name -> id of a local agent
  std::uint64_t lease_gen_ = 0;
  TimeUs valid_until_ = 0;
  bool lease_ok_ = true;  // what the agent service was last told
  bool renew_armed_ = false;
  TimerId lease_timer_ = 0;
  // At every node applying the log: when each node's lease was last claimed or renewed.
  std::map<std::string, TimeUs> lease_seen_;
  bool was_leader_ = false;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mabeam::agents
