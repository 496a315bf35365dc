// The agent programming interface (DESIGN.md, "Agents"): what a user implements in C++
// (Agent) and what an agent may do (AgentContext). An agent is a state machine hosted by a
// node's agent service (service.h): it reacts to messages, signals and timers, and acts
// only through its context. Nothing here blocks: a spawn, a request or a monitor returns a
// reference at once, and its result comes back later as a Signal.
//
// Life of an agent: the service builds it with its type's factory, restore()s its initial
// state (the spawn's `state`, or empty bytes for the type's default), calls start(), then
// handles its mailbox one item at a time (handle() for messages, signal() for signals),
// and calls stop() once when it ends, with the reason. snapshot() gives the state as bytes
// at any time between two items: the service calls it to replicate a durable agent after
// each message it handles, and a hand-off (migration, failover) restores it elsewhere.
//
// State and messages are versioned (types.h): restore() is called with the version the
// state was written by, which is this type's version or an older one it must still read.
//
// Signals and the mailbox: every item (message, down, exit, reply, timer, spawn result)
// from one sender arrives in the order it was sent, and items of all senders are handled
// in the order they reached the mailbox. A trapped exit (trap_exit) arrives as a signal in
// that order instead of stopping the agent: Erlang's {'EXIT', From, Reason} message.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/codec.h"
#include "engine/rng.h"
#include "engine/status.h"
#include "engine/time.h"

namespace mabeam::agents {

// Stop and down reasons with a fixed meaning; any other text is an agent's own reason.
inline constexpr const char* kNormal = "normal";              // the agent stopped itself
inline constexpr const char* kKilled = "killed";              // kill_agent, DELETE, an untrappable exit
inline constexpr const char* kNoproc = "noproc";              // the agent did not exist (or no longer)
inline constexpr const char* kNoconnection = "noconnection";  // the failure detector lost its node
inline constexpr const char* kShutdown = "shutdown";          // its supervisor stopped it, or gave up
inline constexpr const char* kLeaseExpired = "lease_expired"; // it lost its registered name's lease

// The message type every built-in agent reads: a JSON text (json.h).
inline constexpr const char* kJsonType = "json";

// A message body with its type: a name and version registered with the receiving agent's
// type (types.h). A receiver that does not know the type, or knows only older versions,
// refuses the message and the sender is told why.
struct Payload {
  std::string type = kJsonType;
  std::uint8_t version = 1;
  Bytes body;
  static Payload json(const std::string& text) { return Payload{kJsonType, 1, Bytes(text.begin(), text.end())}; }
  std::string text() const { return std::string(body.begin(), body.end()); }
};

struct Message {
  std::string from;  // the sender: an agent id ("n1.4") or a client ("n1:2:http")
  Payload payload;
  bool wants_reply = false;  // a request or a client call: reply() answers it
  std::uint64_t number = 0;  // the sender's message number (trace ids: from#number)
};

enum class SignalKind : std::uint8_t {
  down,           // a monitor fired: `from` is the monitored agent, `ref` the monitor, `reason`
  exit,           // a linked agent ended (only when trapping exits): `from`, `reason`
  reply,          // the answer to request(): `ref`; `ok` with `body`, or `reason` says why not
  timer,          // a timer fired: `ref` is its id, `tag` what start_timer was given
  spawned,        // the result of spawn(): `ref`; `ok` with `from` = the new id, or `reason`
  undeliverable,  // a send() failed: `from` is the target, `reason` why (noproc, mailbox_full, ...)
};
const char* to_string(SignalKind k);

struct Signal {
  SignalKind kind = SignalKind::down;
  std::string from;
  std::uint64_t ref = 0;
  std::string reason;
  std::string tag;
  bool ok = false;
  Payload body;
};

// Placement wishes of a spawn (DESIGN.md, "Placement and autoscaling"), stored with the
// agent for the placement service; hard filters and scores are applied there.
struct PlacementSpec {
  std::map<std::string, double> demand;        // resources, e.g. {"cpu": 1}
  std::vector<std::string> requires_caps;      // capabilities the node must have
  std::vector<std::string> affinity;           // agent names to be near
  std::vector<std::string> anti_affinity;      // agent names to keep away from
  bool empty() const { return demand.empty() && requires_caps.empty() && affinity.empty() && anti_affinity.empty(); }
};

struct SpawnSpec {
  std::string type;
  std::string node;         // "" = this node; a node name; "best" = placement's choice
  std::string name;         // "" = unnamed; else registered cluster-wide before it starts
  Bytes state;              // the initial state in the type's format; empty = the default
  std::uint8_t state_version = 0;  // the version `state` is written in; 0 = the type's own
  bool durable = false;     // state replicated before each acknowledgement
  bool link = false;        // linked to the spawner from the start (spawn_link)
  bool monitor = false;     // monitored by the spawner from the start (spawn_monitor)
  PlacementSpec placement;
};

class AgentContext {
 public:
  virtual ~AgentContext() = default;
  virtual const std::string& self() const = 0;   // this agent's id
  virtual const std::string& node() const = 0;   // the node hosting it now
  virtual const std::string& name() const = 0;   // its registered name, "" if none
  virtual TimeUs now() const = 0;
  virtual Rng& rng() = 0;

  // To an id or a registered name. A failure comes back as an `undeliverable` signal.
  virtual void send(const std::string& to, Payload p) = 0;
  // A request: the `reply` signal with the returned ref carries the answer, or says it
  // timed out (reason "timeout": it may or may not have been handled) or was refused.
  virtual std::uint64_t request(const std::string& to, Payload p, DurationUs timeout) = 0;
  // Answers the message being handled, if it asked for an answer (once; later calls and
  // calls outside handle() are ignored). A request nobody answers gets an empty reply.
  virtual void reply(Payload p) = 0;

  // The `spawned` signal with the returned ref says how it went.
  virtual std::uint64_t spawn(SpawnSpec spec) = 0;
  // One `down` signal per monitor: when the target ends (its reason), if it does not exist
  // (noproc), or if its node is lost (noconnection). demonitor() cancels: no signal after.
  virtual std::uint64_t monitor(const std::string& target) = 0;
  virtual void demonitor(std::uint64_t ref) = 0;
  // Links are both ways: when either end ends with a reason other than normal, the other
  // ends with that reason too, unless it traps exits (then it gets an `exit` signal).
  virtual void link(const std::string& target) = 0;
  virtual void unlink(const std::string& target) = 0;
  virtual void trap_exit(bool on) = 0;
  // Sends an exit signal to another agent, as Erlang's exit/2: "killed" cannot be trapped;
  // "normal" is ignored by a target that does not trap exits.
  virtual void exit(const std::string& target, const std::string& reason) = 0;

  virtual std::uint64_t start_timer(DurationUs after, std::string tag) = 0;
  virtual void cancel_timer(std::uint64_t id) = 0;
  // Ends the agent after the current item, with the reason (default normal).
  virtual void stop(const std::string& reason = kNormal) = 0;
};

class Agent {
 public:
  virtual ~Agent() = default;
  // The state written by `version` (this type's version or an older one). Empty bytes: the
  // type's default state. An error refuses the spawn (or the hand-off) with its message.
  virtual Status restore(const Bytes& state, std::uint8_t version) = 0;
  // The state as bytes, in this type's current version.
  virtual Bytes snapshot() const = 0;
  virtual void start(AgentContext& ctx) { (void)ctx; }
  virtual void handle(AgentContext& ctx, const Message& m) = 0;
  virtual void signal(AgentContext& ctx, const Signal& s) { (void)ctx, (void)s; }
  virtual void stop(AgentContext& ctx, const std::string& reason) { (void)ctx, (void)reason; }
  // A short JSON text that shows the state in traces and status pages (a counter's count);
  // "" shows nothing.
  virtual std::string summary() const { return ""; }
};

}  // namespace mabeam::agents
