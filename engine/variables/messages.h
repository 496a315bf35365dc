// The messages of the variables service (type ids 40..49), and the records of its durable
// log, which reuse their encodings:
// - VarWrites (40): writes, each a self-contained operation with its dot (writer, sequence
//   number per variable and writer), timestamp and dependencies. Sent eagerly by the writer
//   to the variable's replicas, in reply to a digest (anti-entropy), and at hand-off.
// - VarDigest (41): per variable, the version vector of writes applied (writer -> how many).
//   The receiver sends back what the sender lacks and, unless `reply` is set, its own digest
//   when it lacks something itself (push-pull).
// - VarTransfer (42): whole variable states (VarSnapshot: the CRDT state and the version
//   vector of the writes it includes) with the sender's clock, sent instead of writes when
//   the digest's sender lacks writes older than the ones the replica still keeps. The
//   receiver merges them all at once.
// - Log records (variables.log): a record kind byte, then a WriteOp (a write applied), or
//   the clock and a VarSnapshot (a state merged: a compaction's snapshot or a transfer).
//   Records of the first format (a bare WriteOp, whose first byte is a short name's length,
//   below 0x80) still read as writes.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/codec.h"
#include "engine/variables/crdt.h"

namespace mabeam::vars {

enum class OpKind : std::uint8_t { set = 0, add = 1, remove = 2, incr = 3 };
const char* to_string(OpKind k);

// A dependency: the variable's writes from `node` up to `count` must be applied first.
struct Dep {
  std::string var;
  std::string node;
  std::uint64_t count = 0;
};

struct WriteOp {
  std::string var;
  std::string origin;
  std::uint64_t seq = 0;  // 1, 2, ... per (var, origin)
  Hlc ts;                 // ts.node == origin
  OpKind kind = OpKind::set;
  std::string value;      // JSON text (set, add, remove; incr: the amount)
  std::int64_t total_plus = 0, total_minus = 0;  // counters: the origin's totals after this write
  std::vector<std::string> tags;  // or_set remove: the tags (dot texts, "n1#5") it observed
  std::vector<Dep> deps;          // the variable's own context first, then (causal) others

  void encode(Writer& w) const;
  static bool decode(Reader& r, WriteOp& op);
};

struct VarWrites {
  static constexpr MessageType kType{40, 1, "var_writes"};
  std::vector<WriteOp> ops;
  void encode(Writer& w) const {
    w.varint(ops.size());
    for (const auto& op : ops) op.encode(w);
  }
  static bool decode(Reader& r, std::uint8_t, VarWrites& m) {
    std::size_t n = 0;
    if (!r.count(n, 8)) return false;
    m.ops.resize(n);
    for (auto& op : m.ops)
      if (!WriteOp::decode(r, op)) return false;
    return true;
  }
};

// One variable's whole replicated state: the CRDT state and, per writer, how many of its
// writes the state includes (its writes 1..n, all of them).
struct VarSnapshot {
  std::string var;
  VersionVector vv;
  VarState state;  // state.resolve comes with the encoding; merge_fn is the receiver's to set
  void encode(Writer& w) const;
  static bool decode(Reader& r, VarSnapshot& s);
};

struct VarTransfer {
  static constexpr MessageType kType{42, 1, "var_transfer"};
  Hlc clock;  // the sender's clock: after every included write's timestamp
  std::vector<VarSnapshot> vars;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t, VarTransfer& m);
};

enum class RecordKind : std::uint8_t { write = 0xC1, state = 0xC2 };

struct LogRecord {
  RecordKind kind = RecordKind::write;
  WriteOp write;         // kind write
  Hlc clock;             // kind state: the node's clock when it was written
  VarSnapshot snapshot;  // kind state
};
Bytes encode_record(const WriteOp& op);
Bytes encode_record(const Hlc& clock, const VarSnapshot& s);
// Reads a whole record; false (with r's error) if it is not one.
bool decode_record(const Bytes& bytes, LogRecord& out);

struct VarDigest {
  static constexpr MessageType kType{41, 1, "var_digest"};
  bool reply = false;
  std::map<std::string, VersionVector> vvs;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t, VarDigest& m);
};

}  // namespace mabeam::vars
