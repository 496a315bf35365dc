// Encodings of the Raft core's values: the messages peers exchange (type ids 60..69, one
// per MsgType, all with one body layout), configuration entries, snapshots, and the records
// of the consensus service's files:
//   raft.log   records: a kind byte, then an Entry (kind 1; an entry at index i replaces
//              every entry from i on, which is how a truncation reaches the disk) or a
//              HardState (kind 2; the last one wins).
//   raft.snap  one record: the latest snapshot (rewritten atomically).
//   raft.meta  one record: the cluster id and this data directory's storage id.
// Decoders never trust their input: every count is bounded and checked against what is
// left, and a malformed record is an error value naming what was wrong.
#pragma once
#include <optional>

#include "engine/codec.h"
#include "engine/consensus/types.h"
#include "engine/status.h"

namespace mabeam::raft {

void encode_entry(Writer& w, const Entry& e);
bool decode_entry(Reader& r, Entry& e);
void encode_membership(Writer& w, const Membership& m);
bool decode_membership(Reader& r, Membership& m);
Bytes encode_membership(const Membership& m);
Result<Membership> decode_membership(const Bytes& b);
void encode_snapshot(Writer& w, const Snapshot& s);
bool decode_snapshot(Reader& r, Snapshot& s);
void encode_body(Writer& w, const Message& m);
bool decode_body(Reader& r, Message& m);

// The wire name of one MsgType (a function, not an in-class array: clang refuses a
// static constexpr array read in a sibling member's constant initializer).
constexpr const char* wire_name(MsgType k) {
  switch (k) {
    case MsgType::pre_vote: return "raft.pre_vote";
    case MsgType::pre_vote_resp: return "raft.pre_vote_resp";
    case MsgType::vote: return "raft.vote";
    case MsgType::vote_resp: return "raft.vote_resp";
    case MsgType::append: return "raft.append";
    case MsgType::append_resp: return "raft.append_resp";
    case MsgType::heartbeat: return "raft.heartbeat";
    case MsgType::heartbeat_resp: return "raft.heartbeat_resp";
    case MsgType::snapshot: return "raft.snapshot";
    case MsgType::timeout_now: return "raft.timeout_now";
  }
  return "";
}

// The wire type of one MsgType; the message's `type` comes from the type id.
template <MsgType K>
struct Wire {
  static constexpr MessageType kType{static_cast<std::uint16_t>(59 + static_cast<int>(K)), 1, wire_name(K)};
  Message msg;
  void encode(Writer& w) const { encode_body(w, msg); }
  static bool decode(Reader& r, std::uint8_t, Wire& out) {
    out.msg.type = K;
    return decode_body(r, out.msg);
  }
};
// Encodes a message with the header of its type.
Bytes encode_wire(const Message& m);
const MessageType& wire_type(MsgType t);

enum class LogRecord : std::uint8_t { entry = 1, hard_state = 2 };
Bytes encode_entry_record(const Entry& e);
Bytes encode_hard_state_record(const HardState& hs);
// One record of raft.log: exactly one of `entry` and `hard_state` is set.
struct DecodedRecord {
  std::optional<Entry> entry;
  std::optional<HardState> hard_state;
};
Result<DecodedRecord> decode_log_record(const Bytes& b);

Bytes encode_snapshot_record(const Snapshot& s);
Result<Snapshot> decode_snapshot_record(const Bytes& b);

struct Meta {
  std::uint64_t cluster_id = 0;
  std::uint64_t storage_id = 0;
};
Bytes encode_meta(const Meta& m);
Result<Meta> decode_meta(const Bytes& b);

}  // namespace mabeam::raft
