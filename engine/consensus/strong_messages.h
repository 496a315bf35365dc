// Messages and log commands of the strong variables (type ids 70..71), and the command
// format the Raft log carries for them:
// - StrongOpMsg (70): a client operation forwarded towards the leader (`hops` bounds the
//   forwarding: a node that is not the leader passes it on once, to the leader it knows).
// - StrongReplyMsg (71): the outcome, sent by the node that executed it straight to the
//   origin: ok, fail (certainly not applied: a cas that did not match, an entry replaced
//   by another leader's) or refused (nothing was proposed: not the leader; try again).
// - Command: a write or cas as an entry's data: who asked (origin, request) so the leader
//   can answer, the operation's trace id, the variable and the values (JSON texts).
#pragma once
#include <cstdint>
#include <string>

#include "engine/codec.h"

namespace mabeam::raft {

enum class StrongKind : std::uint8_t { read = 0, write = 1, cas = 2 };
enum class StrongOutcome : std::uint8_t { ok = 0, fail = 1, refused = 2 };

inline constexpr std::size_t kStrongValueBytesMax = 64 * 1024;

struct StrongOpMsg {
  static constexpr MessageType kType{70, 1, "strong.op"};
  std::uint64_t req = 0;
  std::string origin;
  std::uint8_t hops = 0;
  StrongKind kind = StrongKind::read;
  std::string op_id;
  std::string var;
  std::string value;     // write: the value; cas: the new value
  std::string expected;  // cas
  void encode(Writer& w) const {
    w.u64(req);
    w.str(origin);
    w.u8(hops);
    w.u8(static_cast<std::uint8_t>(kind));
    w.str(op_id);
    w.str(var);
    w.str(value);
    w.str(expected);
  }
  static bool decode(Reader& r, std::uint8_t, StrongOpMsg& m) {
    std::uint8_t kind = 0;
    if (!r.u64(m.req) || !r.str(m.origin, 256) || !r.u8(m.hops) || !r.u8(kind)) return false;
    if (kind > 2) return r.fail("unknown strong operation kind " + std::to_string(kind));
    m.kind = static_cast<StrongKind>(kind);
    return r.str(m.op_id, 256) && r.str(m.var, 256) && r.str(m.value, kStrongValueBytesMax) &&
           r.str(m.expected, kStrongValueBytesMax);
  }
};

struct StrongReplyMsg {
  static constexpr MessageType kType{71, 1, "strong.reply"};
  std::uint64_t req = 0;
  StrongOutcome outcome = StrongOutcome::refused;
  std::string value;   // read: the value; cas fail: the value found
  std::string reason;  // fail, refused: why
  std::string leader;  // refused: the leader the replier knows, if any
  void encode(Writer& w) const {
    w.u64(req);
    w.u8(static_cast<std::uint8_t>(outcome));
    w.str(value);
    w.str(reason);
    w.str(leader);
  }
  static bool decode(Reader& r, std::uint8_t, StrongReplyMsg& m) {
    std::uint8_t o = 0;
    if (!r.u64(m.req) || !r.u8(o)) return false;
    if (o > 2) return r.fail("unknown strong outcome " + std::to_string(o));
    m.outcome = static_cast<StrongOutcome>(o);
    return r.str(m.value, kStrongValueBytesMax) && r.str(m.reason, 4096) && r.str(m.leader, 256);
  }
};

// A write or cas in the log. Reads do not go through the log (ReadIndex).
struct Command {
  std::string origin;
  std::uint64_t req = 0;
  std::string executor;  // the leader that proposed it (answers the origin)
  StrongKind kind = StrongKind::write;
  std::string op_id;
  std::string var;
  std::string value;
  std::string expected;
  Bytes encode() const {
    Writer w;
    w.str(origin);
    w.u64(req);
    w.str(executor);
    w.u8(static_cast<std::uint8_t>(kind));
    w.str(op_id);
    w.str(var);
    w.str(value);
    w.str(expected);
    return w.take();
  }
  static bool decode(const Bytes& b, Command& c) {
    Reader r(b);
    std::uint8_t kind = 0;
    if (!r.str(c.origin, 256) || !r.u64(c.req) || !r.str(c.executor, 256) || !r.u8(kind) || kind < 1 || kind > 2) return false;
    c.kind = static_cast<StrongKind>(kind);
    return r.str(c.op_id, 256) && r.str(c.var, 256) && r.str(c.value, kStrongValueBytesMax) &&
           r.str(c.expected, kStrongValueBytesMax) && r.at_end();
  }
};

}  // namespace mabeam::raft
