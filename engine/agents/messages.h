// The messages of the agent service (type ids 80..99).
//
// Channels. Everything one endpoint (an agent, or a client of a node) sends to another
// travels on a channel for that pair: items numbered 1, 2, ... (`seq`), sent in batches
// (AgentItems, 80), retransmitted until the destination's host acknowledges them
// (AgentAck, 81, cumulative), handed to the destination in order and at most once. A
// channel is identified by `chan`, which grows with every channel its sender's node opens
// (boot << 32 | count), so a receiver tells a new channel of the same pair from a stale one.
// Items are user messages and their replies, and the signals of monitors and links:
// monitor/demonitor/down, link/unlink/exit. So a `down` never overtakes a message sent
// before it, as in Erlang.
//
// - AgentGone (82): the destination does not exist (never did, or ended); `certain` says
//   whether the items after `upto` certainly did not reach it (false after its host
//   restarted: it may have handled them before the crash).
// - AgentPing (90): asks a watched node for its boot (and answers), so a restart the
//   failure detector missed still ends monitors and links on what lived there.
// - AgentMoved (83): the destination lives on another node now (the sender's cache is
//   stale); the items were forwarded there.
// - SpawnRequest/SpawnResult (84, 85): a spawn on another node, retransmitted until answered
//   and answered again (from a bounded memory of recent spawns) when it is a retransmission.
// - ReplicaPut/ReplicaAck (86, 87): a durable agent's state after a message, sent to the
//   other nodes of its replica set; an acknowledgement waits for enough of these acks.
// - RegistryRequest/RegistryReply (88, 89): registry operations forwarded to the consensus
//   leader, and their answers (registry.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/agents/agent.h"
#include "engine/codec.h"

namespace mabeam::agents {

inline constexpr std::size_t kIdBytesMax = 256;
inline constexpr std::size_t kBodyBytesMax = 4 << 20;  // a message body or a state

enum class ItemKind : std::uint8_t {
  message = 0, reply = 1, monitor = 2, demonitor = 3, down = 4, link = 5, unlink = 6, exit = 7,
  spawned = 8,  // a remote spawn succeeded: the new agent's first item to its spawner (ref: the spawn)
};
const char* to_string(ItemKind k);

struct Item {
  ItemKind kind = ItemKind::message;
  std::uint64_t number = 0;   // message: the sender's message number (trace id from#number)
  std::uint64_t ref = 0;      // message: the request's ref (0: no answer wanted); reply: the
                              // request's ref; monitor, demonitor, down: the monitor's ref;
                              // exit: 1 when a link carries it, 0 for an exit/2; spawned: the spawn
  bool flag = false;          // message: wants a reply; reply: ok (handled); exit: untrappable
  Payload payload;            // message, reply
  std::string reason;         // down, exit; reply: why not ok
  void encode(Writer& w) const;
  static bool decode(Reader& r, Item& out);
};

struct AgentItems {
  static constexpr MessageType kType{80, 1, "agent.items"};
  std::string src, dst;
  std::uint64_t chan = 0;
  std::uint64_t first_seq = 1;  // the seq of items[0]; the others follow
  std::uint64_t acked = 0;      // the sender has heard acks up to this (the receiver may forget refusals)
  std::uint8_t hops = 0;        // forwards so far (bounded)
  std::vector<Item> items;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, AgentItems& m);
};

struct Refusal {
  std::uint64_t seq = 0;
  std::string reason;  // mailbox_full, unknown message type, ...
};

struct AgentAck {
  static constexpr MessageType kType{81, 1, "agent.ack"};
  std::string src, dst;
  std::uint64_t chan = 0;
  std::uint64_t upto = 0;         // every item up to here reached the destination or was refused
  std::vector<Refusal> refused;   // which of them were refused, and why
  std::uint64_t boot = 0;         // the destination host's boot, and its life's first serial:
  std::uint64_t first_serial = 0; // a sender that sees the boot grow knows the node restarted
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, AgentAck& m);
};

struct AgentGone {
  static constexpr MessageType kType{82, 1, "agent.gone"};
  std::string src, dst;
  std::uint64_t chan = 0;
  std::uint64_t upto = 0;   // items up to here reached it before it ended
  bool certain = true;      // items after upto certainly did not reach it
  std::string reason;       // noproc, or how it ended
  std::uint64_t boot = 0, first_serial = 0;  // as in AgentAck
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, AgentGone& m);
};

// A probe of a node whose agents this node's agents watch: answered with a pong, both
// carrying the sender's boot (see AgentAck).
struct AgentPing {
  static constexpr MessageType kType{90, 1, "agent.ping"};
  std::uint64_t boot = 0, first_serial = 0;
  bool pong = false;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, AgentPing& m);
};

struct AgentMoved {
  static constexpr MessageType kType{83, 1, "agent.moved"};
  std::string id;
  std::string node;
  std::uint64_t epoch = 0;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, AgentMoved& m);
};

struct SpawnRequest {
  static constexpr MessageType kType{84, 1, "agent.spawn"};
  std::string spawner;  // the endpoint that asked
  std::uint64_t req = 0;
  SpawnSpec spec;       // spec.node is the receiver
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, SpawnRequest& m);
};

struct SpawnResult {
  static constexpr MessageType kType{85, 1, "agent.spawned"};
  std::string spawner;
  std::uint64_t req = 0;
  bool ok = false;
  std::string id;      // ok: the new agent
  std::string error;   // not ok: why
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, SpawnResult& m);
};

struct ReplicaPut {
  static constexpr MessageType kType{86, 1, "agent.replica"};
  std::string id;
  std::string name;
  std::string type;
  std::uint8_t type_version = 1;
  std::uint64_t epoch = 0;    // ownership epoch of the instance that wrote it
  std::uint64_t version = 0;  // grows with every message the agent handled
  Bytes state;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, ReplicaPut& m);
};

struct ReplicaAck {
  static constexpr MessageType kType{87, 1, "agent.replica_ack"};
  std::string id;
  std::uint64_t version = 0;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, ReplicaAck& m);
};

struct RegistryRequest {
  static constexpr MessageType kType{88, 1, "agent.registry"};
  std::uint64_t req = 0;
  std::uint8_t hops = 0;
  Bytes command;  // registry.h: an encoded registry command, or a lookup
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, RegistryRequest& m);
};

struct RegistryReply {
  static constexpr MessageType kType{89, 1, "agent.registry_reply"};
  std::uint64_t req = 0;
  std::uint8_t outcome = 0;  // registry.h: ok, refused (nothing proposed), unknown
  std::string leader;        // refused: the leader the replier knows
  Bytes answer;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t version, RegistryReply& m);
};

void encode_spawn_spec(Writer& w, const SpawnSpec& s);
bool decode_spawn_spec(Reader& r, SpawnSpec& s);

}  // namespace mabeam::agents
