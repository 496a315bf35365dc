// The messages of the variables service (type ids 40..49):
// - VarWrites (40): writes, each a self-contained operation with its dot (writer, sequence
//   number per variable and writer), timestamp and dependencies. Sent eagerly by the writer
//   to the variable's replicas, in reply to a digest (anti-entropy), and at hand-off.
// - VarDigest (41): per variable, the version vector of writes applied (writer -> how many).
//   The receiver sends back what the sender lacks and, unless `reply` is set, its own digest
//   when it lacks something itself (push-pull).
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
  std::vector<std::string> tags;  // or_set remove: the tags it observed
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

struct VarDigest {
  static constexpr MessageType kType{41, 1, "var_digest"};
  bool reply = false;
  std::map<std::string, VersionVector> vvs;
  void encode(Writer& w) const;
  static bool decode(Reader& r, std::uint8_t, VarDigest& m);
};

}  // namespace mabeam::vars
