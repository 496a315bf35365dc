// Encoding of the variables service's messages (see messages.h).
#include "engine/variables/messages.h"

namespace mabeam::vars {

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::set: return "set";
    case OpKind::add: return "add";
    case OpKind::remove: return "remove";
    case OpKind::incr: return "incr";
  }
  return "?";
}

void WriteOp::encode(Writer& w) const {
  w.str(var);
  w.str(origin);
  w.varint(seq);
  w.i64(ts.wall);
  w.varint(ts.logical);
  w.u8(static_cast<std::uint8_t>(kind));
  w.str(value);
  w.i64(total_plus);
  w.i64(total_minus);
  w.varint(tags.size());
  for (const auto& t : tags) w.str(t);
  w.varint(deps.size());
  for (const auto& d : deps) {
    w.str(d.var);
    w.str(d.node);
    w.varint(d.count);
  }
}

bool WriteOp::decode(Reader& r, WriteOp& op) {
  std::uint64_t logical = 0;
  std::uint8_t kind = 0;
  if (!(r.str(op.var) && r.str(op.origin) && r.varint(op.seq) && r.i64(op.ts.wall) && r.varint(logical) && r.u8(kind) &&
        r.str(op.value) && r.i64(op.total_plus) && r.i64(op.total_minus)))
    return false;
  if (logical > UINT32_MAX) return r.fail("hlc logical counter exceeds 32 bits");
  if (kind > static_cast<std::uint8_t>(OpKind::incr)) return r.fail("unknown write kind " + std::to_string(kind));
  if (op.seq == 0) return r.fail("write sequence number 0");
  op.ts.logical = static_cast<std::uint32_t>(logical);
  op.ts.node = op.origin;
  op.kind = static_cast<OpKind>(kind);
  std::size_t n = 0;
  if (!r.count(n, 1)) return false;
  op.tags.resize(n);
  for (auto& t : op.tags)
    if (!r.str(t)) return false;
  if (!r.count(n, 3)) return false;
  op.deps.resize(n);
  for (auto& d : op.deps)
    if (!(r.str(d.var) && r.str(d.node) && r.varint(d.count))) return false;
  return true;
}

void VarDigest::encode(Writer& w) const {
  w.boolean(reply);
  w.varint(vvs.size());
  for (const auto& [var, vv] : vvs) {
    w.str(var);
    w.varint(vv.size());
    for (const auto& [node, n] : vv) {
      w.str(node);
      w.varint(n);
    }
  }
}

bool VarDigest::decode(Reader& r, std::uint8_t, VarDigest& m) {
  std::size_t vars = 0;
  if (!(r.boolean(m.reply) && r.count(vars, 2))) return false;
  for (std::size_t i = 0; i < vars; ++i) {
    std::string var;
    std::size_t n = 0;
    if (!(r.str(var) && r.count(n, 2))) return false;
    auto& vv = m.vvs[var];
    for (std::size_t k = 0; k < n; ++k) {
      std::string node;
      std::uint64_t count = 0;
      if (!(r.str(node) && r.varint(count))) return false;
      vv[node] = count;
    }
  }
  return true;
}

}  // namespace mabeam::vars
