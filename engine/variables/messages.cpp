// Encoding of the variables service's messages and durable log records (see messages.h).
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
  for (auto& t : op.tags) {
    if (!r.str(t)) return false;
    if (!parse_dot(t)) return r.fail("or_set tag \"" + t + "\" is not a dot (writer#sequence)");
  }
  if (!r.count(n, 3)) return false;
  op.deps.resize(n);
  for (auto& d : op.deps)
    if (!(r.str(d.var) && r.str(d.node) && r.varint(d.count))) return false;
  return true;
}

namespace {

void put_vv(Writer& w, const VersionVector& vv) {
  w.varint(vv.size());
  for (const auto& [node, n] : vv) {
    w.str(node);
    w.varint(n);
  }
}

bool get_vv(Reader& r, VersionVector& vv) {
  std::size_t n = 0;
  if (!r.count(n, 2)) return false;
  for (std::size_t k = 0; k < n; ++k) {
    std::string node;
    std::uint64_t count = 0;
    if (!(r.str(node) && r.varint(count))) return false;
    vv[node] = count;
  }
  return true;
}

void put_dots(Writer& w, const std::set<Dot>& dots) {
  w.varint(dots.size());
  for (const auto& d : dots) {
    w.str(d.node);
    w.varint(d.seq);
  }
}

bool get_dots(Reader& r, std::set<Dot>& dots) {
  std::size_t n = 0;
  if (!r.count(n, 2)) return false;
  for (std::size_t k = 0; k < n; ++k) {
    Dot d;
    if (!(r.str(d.node) && r.varint(d.seq))) return false;
    if (d.seq == 0) return r.fail("dot sequence number 0");
    dots.insert(std::move(d));
  }
  return true;
}

void put_totals(Writer& w, const std::map<std::string, std::int64_t>& m) {
  w.varint(m.size());
  for (const auto& [node, n] : m) {
    w.str(node);
    w.i64(n);
  }
}

bool get_totals(Reader& r, std::map<std::string, std::int64_t>& m) {
  std::size_t n = 0;
  if (!r.count(n, 2)) return false;
  for (std::size_t k = 0; k < n; ++k) {
    std::string node;
    std::int64_t v = 0;
    if (!(r.str(node) && r.i64(v))) return false;
    m[node] = v;
  }
  return true;
}

void put_hlc(Writer& w, const Hlc& h) {
  w.i64(h.wall);
  w.varint(h.logical);
}

bool get_hlc(Reader& r, Hlc& h) {
  std::uint64_t logical = 0;
  if (!(r.i64(h.wall) && r.varint(logical))) return false;
  if (logical > UINT32_MAX) return r.fail("hlc logical counter exceeds 32 bits");
  h.logical = static_cast<std::uint32_t>(logical);
  return true;
}

void put_state(Writer& w, const VarState& s) {
  w.u8(static_cast<std::uint8_t>(s.resolve));
  switch (s.resolve) {
    case Resolve::lww:
      w.boolean(s.lww_ts.has_value());
      if (s.lww_ts) {
        put_hlc(w, *s.lww_ts);
        w.str(s.lww_ts->node);
      }
      w.str(s.value);
      break;
    case Resolve::custom: w.str(s.value); break;
    case Resolve::vector_clock:
      w.varint(s.siblings.size());
      for (const auto& sib : s.siblings) {
        w.str(sib.value);
        w.str(sib.node);
        w.varint(sib.seq);
      }
      put_vv(w, s.seen);
      break;
    case Resolve::g_counter:
    case Resolve::pn_counter:
      put_totals(w, s.plus);
      put_totals(w, s.minus);
      break;
    case Resolve::or_set:
      w.varint(s.elements.size());
      for (const auto& [element, dots] : s.elements) {
        w.str(element);
        put_dots(w, dots);
      }
      put_vv(w, s.seen);
      put_dots(w, s.cloud);
      break;
    case Resolve::max:
    case Resolve::min:
      w.boolean(s.extreme.has_value());
      if (s.extreme) w.i64(*s.extreme);
      break;
  }
}

bool get_or_set(Reader& r, VarState& s) {
  std::size_t n = 0;
  if (!r.count(n, 2)) return false;
  for (std::size_t k = 0; k < n; ++k) {
    std::string element;
    std::set<Dot> dots;
    if (!(r.str(element) && get_dots(r, dots))) return false;
    if (dots.empty()) return r.fail("or_set element without a dot");
    s.elements[element] = std::move(dots);
  }
  if (!(get_vv(r, s.seen) && get_dots(r, s.cloud))) return false;
  // A live dot the state has not seen, or a context not in its compact form, is not a state
  // any replica holds.
  for (const auto& [element, dots] : s.elements)
    for (const auto& d : dots)
      if (!s.has_seen(d)) return r.fail("or_set dot " + dot_text(d.node, d.seq) + " outside the state's context");
  for (const auto& [node, c] : s.seen)
    if (c == 0) return r.fail("or_set context entry of 0 for " + node);
  for (const auto& d : s.cloud) {
    auto it = s.seen.find(d.node);
    if (d.seq <= (it == s.seen.end() ? 0 : it->second) + 1) return r.fail("or_set context not compact");
  }
  return true;
}

bool get_state(Reader& r, VarState& s) {
  std::uint8_t kind = 0;
  if (!r.u8(kind)) return false;
  if (kind > static_cast<std::uint8_t>(Resolve::custom)) return r.fail("unknown resolution strategy " + std::to_string(kind));
  s.resolve = static_cast<Resolve>(kind);
  switch (s.resolve) {
    case Resolve::lww: {
      bool has = false;
      if (!r.boolean(has)) return false;
      if (has) {
        Hlc ts;
        if (!(get_hlc(r, ts) && r.str(ts.node))) return false;
        s.lww_ts = std::move(ts);
      }
      return r.str(s.value);
    }
    case Resolve::custom: return r.str(s.value);
    case Resolve::vector_clock: {
      std::size_t n = 0;
      if (!r.count(n, 3)) return false;
      for (std::size_t k = 0; k < n; ++k) {
        Sibling sib;
        if (!(r.str(sib.value) && r.str(sib.node) && r.varint(sib.seq))) return false;
        s.siblings.insert(std::move(sib));
      }
      return get_vv(r, s.seen);
    }
    case Resolve::g_counter:
    case Resolve::pn_counter: return get_totals(r, s.plus) && get_totals(r, s.minus);
    case Resolve::or_set: return get_or_set(r, s);
    case Resolve::max:
    case Resolve::min: {
      bool has = false;
      if (!r.boolean(has)) return false;
      if (!has) return true;
      std::int64_t v = 0;
      if (!r.i64(v)) return false;
      s.extreme = v;
      return true;
    }
  }
  return false;
}

}  // namespace

void VarSnapshot::encode(Writer& w) const {
  w.str(var);
  put_vv(w, vv);
  put_state(w, state);
}

bool VarSnapshot::decode(Reader& r, VarSnapshot& s) { return r.str(s.var) && get_vv(r, s.vv) && get_state(r, s.state); }

void VarTransfer::encode(Writer& w) const {
  put_hlc(w, clock);
  w.varint(vars.size());
  for (const auto& s : vars) s.encode(w);
}

bool VarTransfer::decode(Reader& r, std::uint8_t, VarTransfer& m) {
  std::size_t n = 0;
  if (!(get_hlc(r, m.clock) && r.count(n, 4))) return false;
  m.vars.resize(n);
  for (auto& s : m.vars)
    if (!VarSnapshot::decode(r, s)) return false;
  return true;
}

Bytes encode_record(const WriteOp& op) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(RecordKind::write));
  op.encode(w);
  return w.take();
}

Bytes encode_record(const Hlc& clock, const VarSnapshot& s) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(RecordKind::state));
  put_hlc(w, clock);
  s.encode(w);
  return w.take();
}

bool decode_record(const Bytes& bytes, LogRecord& out) {
  Reader r(bytes);
  if (!bytes.empty() && bytes[0] < 0x80) {  // the first format: a bare write
    out.kind = RecordKind::write;
    return WriteOp::decode(r, out.write) && r.at_end();
  }
  std::uint8_t kind = 0;
  if (!r.u8(kind)) return false;
  if (kind == static_cast<std::uint8_t>(RecordKind::write)) {
    out.kind = RecordKind::write;
    return WriteOp::decode(r, out.write) && r.at_end();
  }
  if (kind != static_cast<std::uint8_t>(RecordKind::state)) return false;
  out.kind = RecordKind::state;
  return get_hlc(r, out.clock) && VarSnapshot::decode(r, out.snapshot) && r.at_end();
}

void VarDigest::encode(Writer& w) const {
  w.boolean(reply);
  w.varint(vvs.size());
  for (const auto& [var, vv] : vvs) {
    w.str(var);
    put_vv(w, vv);
  }
}

bool VarDigest::decode(Reader& r, std::uint8_t, VarDigest& m) {
  std::size_t vars = 0;
  if (!(r.boolean(m.reply) && r.count(vars, 2))) return false;
  for (std::size_t i = 0; i < vars; ++i) {
    std::string var;
    if (!(r.str(var) && get_vv(r, m.vvs[var]))) return false;
  }
  return true;
}

}  // namespace mabeam::vars
