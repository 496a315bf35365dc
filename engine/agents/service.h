// The agent service (DESIGN.md, "Agents"): hosts a node's agents, delivers what they and
// the node's clients send, carries monitors and links across nodes, and spawns agents
// here or on other nodes. Erlang processes and distribution are the model.
//
// Endpoints. An endpoint is an agent (id `<node>.<serial>`, minted by the node that first
// hosts it, never reused: the serial's high-water mark is reserved in blocks through the
// node's Storage before use, so a restart starts above every id it ever handed out) or a
// client of a node (id `<node>:<boot>:<label>`: the scenario's clients, HTTP requests).
// Clients send messages and get outcomes; agents do everything AgentContext offers.
//
// Delivery. Between two endpoints on different nodes every item travels on a channel
// (messages.h): numbered, retransmitted until acknowledged, handed over in order and once.
// On one node items go straight into the mailbox, in the order they were sent. A message
// whose agent's mailbox holds mailbox_max messages is refused (mailbox_full), and one of a
// type the agent does not read is refused with the reason; the sender is told (an
// `undeliverable` signal, a reply signal, or the client's outcome). Where an agent lives
// is, in order: the sender's cache (refreshed by AgentMoved), the directory (directory.h),
// the node in its id. A node holding items for an agent that moved forwards them and tells
// the sender's node (AgentMoved); order holds across the forward, since the receiver orders
// by sequence number. A host that does not know the destination answers AgentGone: certain
// (never existed, or ended here, in this life: a tombstone remembers how far each channel
// got) or not (minted in an earlier life of the node: it may have handled items before the
// crash). A node the failure detector declares down fails every item waiting for it:
// messages get outcome unknown (refused when never sent), monitors fire noconnection, links
// propagate noconnection.
//
// Outcomes (what a sender is told, DESIGN.md): ok once the agent has handled the message
// (a durable agent: and its new state is on enough replicas, durable.cpp), refused when it
// certainly was not handled (no such agent, mailbox full, unknown type, the agent ended
// with it still in the mailbox), unknown when it may have been (a timeout, a lost node).
//
// Names. An agent spawned with a name starts only once the registry (registry.h) has
// granted it the name cluster-wide; a taken name fails the spawn, naming the holder. While
// the node's name lease is lapsed its named agents do not dispatch (suspended, buffering);
// when the lease is lost they end with reason lease_expired.
//
// Trace (docs/trace-format.md): agent_spawn, agent_spawn_failed, agent_stop, agent_down,
// agent_exit, agent_send, agent_deliver, agent_outcome, agent_refused, agent_suspend,
// agent_resume. Message ids are `<sender endpoint>#<number>`.
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/agents/agent.h"
#include "engine/agents/config.h"
#include "engine/agents/messages.h"
#include "engine/agents/types.h"
#include "engine/membership_view.h"
#include "engine/node.h"

namespace mabeam::agents {

class Registry;

// What a client is told about one message.
struct Outcome {
  enum class Kind { ok, refused, unknown };
  Kind kind = Kind::unknown;
  std::string reply;  // ok: the reply's body as text ("null" for an empty one)
  std::string error;  // refused, unknown: why
  std::string agent;  // the id the message went to ("" when the name did not resolve)
};
const char* to_string(Outcome::Kind k);
using OutcomeFn = std::function<void(const Outcome&)>;

// One hosted agent as status pages list it.
struct AgentInfo {
  std::string id, name, type;
  bool durable = false;
  bool suspended = false;
  std::size_t mailbox = 0;
  std::string summary;  // the agent's summary() ("" when it shows nothing)
};

class AgentService : public Service {
 public:
  AgentService(Node& node, AgentsConfig config, std::shared_ptr<const TypeRegistry> types, std::uint64_t boot);
  ~AgentService() override;
  const char* name() const override { return "agents"; }
  void start() override;
  void stop() override;

  // ---- clients (scenario events, the workload, HTTP) ----
  // The endpoint id of this node's client `label`.
  std::string client_id(const std::string& label) const;
  // Sends a message from client `label` to an id or a name. `done` runs once with the
  // outcome (ok after the agent handled it, with its reply); `enqueued` (optional) runs
  // when it reached the agent's mailbox. `timeout` 0: config.call_timeout.
  void call(const std::string& label, const std::string& to, Payload p, DurationUs timeout, OutcomeFn done,
            std::function<void()> enqueued = nullptr);
  // Spawns an agent; `done` gets its id or the error. spec.node: "" here, a node, "best".
  void spawn(SpawnSpec spec, std::function<void(Result<std::string>)> done);
  // Replicas of other nodes' durable agents this node holds (id -> the latest state).
  const std::map<std::string, ReplicaPut>& replicas() const { return replicas_; }
  // Ends an agent (an id or a name) with `reason`, wherever it is, as an untrappable exit
  // from client `label`. done: refused when no such agent.
  void kill(const std::string& label, const std::string& target, const std::string& reason, OutcomeFn done);

  // ---- introspection (status pages, tests, the simulator's selectors) ----
  std::vector<AgentInfo> agents() const;
  bool hosts(const std::string& id) const { return hosted_.count(id) != 0; }
  // The id of a hosted agent holding `name`, or "".
  std::string hosted_by_name(const std::string& name) const;
  std::size_t mailbox_depth() const;  // messages waiting, over every hosted agent
  std::size_t channels() const { return out_.size(); }
  std::uint64_t next_serial() const { return next_serial_; }
  const AgentsConfig& config() const { return config_; }
  const TypeRegistry& types() const { return *types_; }

  // Incoming messages (routed by the node).
  void on_items(const std::string& from, AgentItems&& m);
  void on_ack(const std::string& from, AgentAck&& m);
  void on_gone(const std::string& from, AgentGone&& m);
  void on_moved(const std::string& from, AgentMoved&& m);
  void on_spawn_request(const std::string& from, SpawnRequest&& m);
  void on_spawn_result(const std::string& from, SpawnResult&& m);
  void on_ping(const std::string& from, AgentPing&& m);

  // Called by the registry: the node's name lease lapsed or came back; names were lost.
  void on_lease(bool valid);
  void on_names_lost(const std::vector<std::string>& names);

 private:
  class Ctx;
  friend class Ctx;

  // An item waiting in a mailbox.
  struct Queued {
    bool is_message = true;
    std::string src;  // the sender endpoint
    Message msg;      // is_message
    std::uint64_t request_ref = 0;  // a message that wants a reply: the requester's ref
    Signal sig;       // !is_message
  };
  struct Request {
    TimerId timer = 0;
    std::string target;       // an id once the name resolved
    std::uint64_t number = 0;  // the message's number (trace id)
  };
  struct PendingSpawn {
    std::string node;  // where it was asked
    SpawnSpec spec;
    TimerId retry = 0, timeout = 0;
    bool answered = false;  // a SpawnResult ok came; waiting for the spawned item
  };
  struct Hosted {
    std::string id, name;
    const AgentType* type = nullptr;
    std::unique_ptr<Agent> agent;
    std::unique_ptr<Ctx> ctx;
    bool durable = false;
    PlacementSpec placement;
    std::uint64_t epoch = 1;          // ownership epoch (a hand-off or failover raises it)
    std::deque<Queued> mailbox;
    std::size_t mailbox_messages = 0;
    bool started = false;
    bool trap_exit = false;
    bool suspended = false;           // its name lease lapsed: it does not dispatch
    bool in_handler = false;
    bool stopping = false;
    bool ended_callback = false;      // Agent::stop() was called
    bool name_lost = false;           // its lease expired: the registry freed its name
    std::string stop_reason;
    bool runnable = false;            // in runnable_
    std::map<std::string, std::set<std::uint64_t>> watchers;  // monitors on it: watcher -> refs
    std::map<std::uint64_t, std::string> monitoring;          // its monitors: ref -> target
    std::set<std::string> links;
    std::map<std::uint64_t, TimerId> timers;                  // its timers: id -> Context timer
    std::map<std::uint64_t, Request> requests;                // its requests: ref -> timeout
    std::uint64_t next_ref = 1;
    std::uint64_t next_number = 1;
    const Queued* current = nullptr;  // the message being handled
    bool replied = false;
    // Durable agents (durable.cpp): the state version (one more per handled message), the
    // replica set it was last sent to, what each holds, and the replies held until enough do.
    std::uint64_t version = 0;
    std::vector<std::string> replica_targets;
    std::map<std::string, std::uint64_t> replica_acked;
    std::deque<std::pair<std::uint64_t, std::function<void()>>> held;
  };
  // Items to one endpoint elsewhere, not yet acknowledged.
  struct OutItem {
    std::uint64_t seq = 0;
    Item item;
    bool sent = false;
    std::string via_name;  // a message sent to a name: re-resolved once if the id is gone
    bool retried = false;
  };
  struct OutChannel {
    std::uint64_t chan = 0;
    std::uint64_t next_seq = 1;
    std::uint64_t acked = 0;
    std::deque<OutItem> items;
    std::string node;  // where the destination is believed to be
    TimeUs last_sent = 0, last_activity = 0;
  };
  // Items from one endpoint elsewhere, at the destination's host.
  struct InChannel {
    std::uint64_t chan = 0;
    std::uint64_t delivered = 0;           // items up to here were handed over or refused
    std::map<std::uint64_t, Item> early;   // arrived ahead of a gap
    std::deque<Refusal> refusals;          // refused items the sender has not yet heard of
    std::string reply_node;
    TimeUs last_activity = 0;
  };
  struct Tombstone {
    std::string reason;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> channels;  // src -> (chan, delivered)
  };
  struct ClientCall {
    OutcomeFn done;
    std::function<void()> enqueued;
    TimerId timer = 0;
    std::string target;   // the id it went to ("" while a name resolves)
    std::string node;     // that id's node when it was sent
    bool sent = false;    // left this node at least once, or reached a mailbox here
    std::string msg_id;
  };
  struct Client {
    std::uint64_t next_number = 1;
    std::uint64_t next_ref = 1;
    std::map<std::uint64_t, ClientCall> calls;
  };
  // Items to a name from one endpoint, waiting for the name to resolve (in order).
  struct NameWait {
    std::deque<Item> items;
    bool retried = false;
  };

  // service.cpp: ids, hosting, dispatch, the end of an agent
  Result<std::string> mint_id();
  Status reserve_serials();
  void spawn_for(const std::string& spawner, std::uint64_t ref, SpawnSpec spec);
  void spawn_here(const SpawnSpec& spec, const std::string& spawner, std::uint64_t spawn_ref,
                  std::function<void(Result<std::string>)> done);
  void start_agent(Hosted& h);
  bool can_dispatch(const Hosted& h) const;
  void schedule_dispatch(Hosted& h);
  void run_dispatch();
  void dispatch_one(Hosted& h, Queued q);
  void finish_handler(Hosted& h);
  void terminate(std::string id, std::string reason);
  void enqueue(Hosted& h, Queued q);
  Hosted* hosted(const std::string& id);
  void trace_stop(const Hosted& h, const std::string& reason);
  void add_tombstone(const std::string& id, const std::string& reason,
                     std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> channels);
  void refuse_queued(const std::string& id, const Queued& q, const std::string& why);

  // channels.cpp: routing, channels, acks, lost nodes
  void send_item(const std::string& src, const std::string& to, Item item, bool retried = false);
  void route(const std::string& src, const std::string& dst, Item item, const std::string& via_name = "",
             bool retried = false);
  std::string locate(const std::string& dst) const;
  bool node_down(const std::string& node) const;
  // Hands an item to an agent hosted here; the refusal reason, or "" when taken.
  std::string accept(const std::string& src, const std::string& dst, Item& item);
  void take_item(const std::pair<std::string, std::string>& key, std::uint64_t seq, Item item);
  void arm_flush();
  void flush_all();
  void flush_channel(const std::pair<std::string, std::string>& key, OutChannel& c, bool retransmit);
  void retransmit_tick();
  void send_acks();
  // `ended`: the destination's host says it ended (a tombstone), whatever `reason` says.
  void item_failed(const std::string& src, const std::string& dst, const OutItem& it, const std::string& reason,
                   bool certain, const std::string& detail = "", bool ended = false);
  void item_acked(const std::string& src, const std::string& dst, const Item& item);
  void fire_down(const std::string& watcher, std::uint64_t ref, const std::string& target, const std::string& reason);
  void note_boot(const std::string& node, std::uint64_t boot, std::uint64_t first_serial);
  bool lost_with(const std::string& endpoint, const std::string& node, std::uint64_t boot, std::uint64_t first_serial) const;
  // A node was lost (boot 0: the failure detector's verdict) or restarted (boot: its new
  // one; what lived in its earlier lives is lost).
  void node_lost(const std::string& node, std::uint64_t boot = 0, std::uint64_t first_serial = 0);
  void probe_peers();
  void resolve_name(const std::string& name);
  void name_resolved(const std::string& name, const std::string& id, const std::string& error);
  void gone_answer(const std::string& to, const AgentItems& m, const std::string& reason, bool certain, std::uint64_t upto);
  void trace_send(const std::string& src, const std::string& to, const Item& item);
  void trace_outcome(const std::string& msg_id, const Outcome& o);

  // signals.cpp: monitors, links, exits, replies, clients, remote spawns
  void accept_signal(Hosted& h, const std::string& src, Item& item);
  void deliver_exit(const std::string& id, const std::string& from, const std::string& reason, bool via_link,
                    bool untrappable);
  void send_reply(Hosted& h, const Queued& q, bool ok, Payload p, const std::string& reason);
  void client_item(const std::string& client, const std::string& src, Item item);
  void complete_call(const std::string& client, std::uint64_t ref, Outcome o);
  void request_timeout(const std::string& id, std::uint64_t ref);
  void remote_spawn(const std::string& spawner, std::uint64_t ref, SpawnSpec spec);
  void spawn_attempt(const std::string& spawner, std::uint64_t ref);
  void spawn_finished(const std::string& spawner, std::uint64_t ref, bool ok, const std::string& id,
                      const std::string& error);

  // durable.cpp: replication of durable agents' states
  void replicate(Hosted& h);
  ReplicaPut replica_of(const Hosted& h) const;
  std::size_t replicas_holding(const Hosted& h, std::uint64_t version) const;
  void hold_until_replicated(Hosted& h, std::function<void()> release);
  void on_replica_put(const std::string& from, ReplicaPut&& m);
  void on_replica_ack(const std::string& from, ReplicaAck&& m);
  void retransmit_replicas();
  void drop_replicas(const Hosted& h);
  std::vector<std::string> replica_nodes(const std::string& id) const;
  std::size_t replica_acks_needed() const;

  static constexpr std::uint64_t kProbeEveryTicks = 5;

  AgentsConfig config_;
  std::shared_ptr<const TypeRegistry> types_;
  std::uint64_t boot_;
  MembershipView* view_ = nullptr;
  Registry* registry_ = nullptr;
  int view_handle_ = 0;
  bool stopped_ = false;

  std::uint64_t next_serial_ = 1;      // the next id's serial
  std::uint64_t reserved_upto_ = 0;    // serials reserved in storage
  std::uint64_t life_first_serial_ = 1;
  std::uint64_t next_chan_ = 1;

  std::map<std::string, Hosted> hosted_;
  std::deque<std::string> runnable_;
  bool dispatch_armed_ = false;
  std::map<std::string, Tombstone> tombstones_;
  std::deque<std::string> tombstone_order_;
  std::map<std::pair<std::string, std::string>, OutChannel> out_;  // (src, dst)
  std::map<std::pair<std::string, std::string>, InChannel> in_;    // (dst, src)
  std::set<std::pair<std::string, std::string>> flush_due_;
  std::set<std::pair<std::string, std::string>> acks_due_;
  bool flush_armed_ = false;
  TimerId retransmit_timer_ = 0;
  std::uint64_t probe_round_ = 0;
  std::map<std::string, std::uint64_t> peer_boot_;      // node -> the boot last heard of
  std::map<std::string, std::string> location_cache_;  // id -> node (from AgentMoved)
  std::map<std::string, std::string> forward_;         // id -> node it moved to
  std::map<std::string, Client> clients_;
  std::map<std::uint64_t, std::function<void(Result<std::string>)>> api_spawns_;
  std::map<std::pair<std::string, std::uint64_t>, PendingSpawn> spawns_;  // (spawner, ref)
  std::map<std::pair<std::string, std::string>, NameWait> name_waits_;    // (src, name)
  std::set<std::string> resolving_;
  // The highest message number each sender routed through each name (src, name): a message
  // whose cached id turned out ended is sent to the name again only if nothing later went
  // out, so a retry never overtakes (one sender's order to one agent holds).
  std::map<std::pair<std::string, std::string>, std::uint64_t> routed_by_name_;
  static constexpr std::size_t kRoutedByNameMax = 65536;
  // Spawns this node did for others, by (spawner, req), so a retransmission gets the same
  // answer (req 0 while still spawning).
  std::map<std::pair<std::string, std::uint64_t>, SpawnResult> spawn_answers_;
  std::deque<std::pair<std::string, std::uint64_t>> spawn_answer_order_;
  // Replicas of other nodes' durable agents held here (durable.cpp): the input of failover.
  std::map<std::string, ReplicaPut> replicas_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mabeam::agents
