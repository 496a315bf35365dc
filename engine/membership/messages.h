// The SWIM membership protocol's wire messages (type ids 10..16) and the one record they
// all carry: an Update, one member's (incarnation, state) as its sender knows it, with the
// node info gossiped alongside. Pings, acks and ping-requests piggyback a bounded batch of
// updates (see transmit_queue.h); push-pull and join replies carry the whole member list.
//
// Decoders accept only what a well-formed peer could have sent: a state byte outside the
// enum, a truncated field or a forged count is an error, never a partial message.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/codec.h"
#include "engine/time.h"

namespace mabeam::swim {

// What the gossip says about a member. Precedence at equal incarnation: left > dead >
// suspect > alive; a higher incarnation of `alive` overrides suspect (a refutation) and
// dead (a restart or a refuted false death).
enum class GossipState : std::uint8_t { alive = 0, suspect = 1, dead = 2, left = 3 };
const char* to_string(GossipState s);

// Node info gossiped with membership (capabilities, resources, load, agent count).
struct NodeInfo {
  std::vector<std::string> capabilities;
  std::map<std::string, double> resources;
  double load = 0.0;
  std::uint32_t agents = 0;
  bool operator==(const NodeInfo&) const = default;
};

struct Update {
  std::string node;
  std::uint64_t incarnation = 0;
  GossipState state = GossipState::alive;
  std::string from;  // who raised a suspicion or a death (Lifeguard counts independent ones)
  NodeInfo info;     // meaningful for `alive`; empty otherwise
  // For `suspect` and `dead`: how long before this message the accusation was made, as its
  // holders measured it (each adds the time the news waited with it). A receiver that has
  // heard from the node itself since then holds newer evidence and ignores the accusation.
  // Not written by version 1 of the messages (read as 0).
  DurationUs age = 0;
};

// `version`: of the message that carries the updates (1 has no age).
void encode_update(Writer& w, const Update& u);
bool decode_update(Reader& r, Update& u, std::uint8_t version);
void encode_updates(Writer& w, const std::vector<Update>& us);
bool decode_updates(Reader& r, std::vector<Update>& us, std::uint8_t version);
// Encoded size of one update, for the piggyback byte budget.
std::size_t encoded_bytes(const Update& u);

struct Ping {
  static constexpr MessageType kType{10, 2, "swim.ping"};
  std::uint64_t seq = 0;
  std::string target;  // the node meant to answer: a stale address must not ack for another
  std::vector<Update> updates;
  void encode(Writer& w) const {
    w.varint(seq);
    w.str(target);
    encode_updates(w, updates);
  }
  static bool decode(Reader& r, std::uint8_t v, Ping& m) {
    return r.varint(m.seq) && r.str(m.target, 256) && decode_updates(r, m.updates, v);
  }
};

struct Ack {
  static constexpr MessageType kType{11, 2, "swim.ack"};
  std::uint64_t seq = 0;
  std::vector<Update> updates;
  void encode(Writer& w) const {
    w.varint(seq);
    encode_updates(w, updates);
  }
  static bool decode(Reader& r, std::uint8_t v, Ack& m) { return r.varint(m.seq) && decode_updates(r, m.updates, v); }
};

// "Ping `target` for me": the receiver pings it and relays the ack back with `seq`.
struct PingReq {
  static constexpr MessageType kType{12, 2, "swim.ping_req"};
  std::uint64_t seq = 0;
  std::string target;
  std::vector<Update> updates;
  void encode(Writer& w) const {
    w.varint(seq);
    w.str(target);
    encode_updates(w, updates);
  }
  static bool decode(Reader& r, std::uint8_t v, PingReq& m) {
    return r.varint(m.seq) && r.str(m.target, 256) && decode_updates(r, m.updates, v);
  }
};

// A helper's answer to a PingReq when it could not reach the target: its connection attempt
// was refused (no process listens at the target's address). Evidence, not proof: the prober
// weighs it with its own (membership.h, "Refusals").
struct Nack {
  static constexpr MessageType kType{16, 1, "swim.nack"};
  std::uint64_t seq = 0;  // the requester's probe sequence number
  void encode(Writer& w) const { w.varint(seq); }
  static bool decode(Reader& r, std::uint8_t, Nack& m) { return r.varint(m.seq); }
};

// A joining node's request to a seed; answered with a PushPull reply (the full state).
struct Join {
  static constexpr MessageType kType{13, 2, "swim.join"};
  Update self;
  void encode(Writer& w) const { encode_update(w, self); }
  static bool decode(Reader& r, std::uint8_t v, Join& m) { return decode_update(r, m.self, v); }
};

// Anti-entropy: the sender's whole member list (self included); a request is answered
// with the receiver's list.
struct PushPull {
  static constexpr MessageType kType{14, 2, "swim.push_pull"};
  bool reply = false;
  std::vector<Update> states;
  void encode(Writer& w) const {
    w.boolean(reply);
    encode_updates(w, states);
  }
  static bool decode(Reader& r, std::uint8_t v, PushPull& m) { return r.boolean(m.reply) && decode_updates(r, m.states, v); }
};

// Updates sent on their own: a leaving node's goodbye, a refutation after a push-pull.
struct Gossip {
  static constexpr MessageType kType{15, 2, "swim.gossip"};
  std::vector<Update> updates;
  void encode(Writer& w) const { encode_updates(w, updates); }
  static bool decode(Reader& r, std::uint8_t v, Gossip& m) { return decode_updates(r, m.updates, v); }
};

}  // namespace mabeam::swim
