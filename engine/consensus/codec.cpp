// Encodings of Raft messages, entries, snapshots and the consensus files (see codec.h).
#include "engine/consensus/codec.h"

namespace mabeam::raft {

namespace {
constexpr std::size_t kEntryBytesMin = 4;      // term, index, kind, data length
constexpr std::size_t kMembersMax = 1024;
constexpr std::size_t kEntriesPerMessageMax = 1 << 16;
constexpr std::size_t kSnapshotBytesMax = 64u << 20;

void names(Writer& w, const std::set<std::string>& s) {
  w.varint(s.size());
  for (const auto& n : s) w.str(n);
}
bool names(Reader& r, std::set<std::string>& s) {
  std::size_t n = 0;
  if (!r.count(n, 1, kMembersMax)) return false;
  for (std::size_t i = 0; i < n; ++i) {
    std::string name;
    if (!r.str(name, 256)) return false;
    s.insert(std::move(name));
  }
  return true;
}
}  // namespace

void encode_entry(Writer& w, const Entry& e) {
  w.varint(e.term);
  w.varint(e.index);
  w.u8(static_cast<std::uint8_t>(e.kind));
  w.bytes(e.data);
}

bool decode_entry(Reader& r, Entry& e) {
  std::uint8_t kind = 0;
  if (!r.varint(e.term) || !r.varint(e.index) || !r.u8(kind)) return false;
  if (kind > static_cast<std::uint8_t>(EntryKind::config)) return r.fail("unknown entry kind " + std::to_string(kind));
  e.kind = static_cast<EntryKind>(kind);
  return r.bytes(e.data);
}

void encode_membership(Writer& w, const Membership& m) {
  names(w, m.voters);
  names(w, m.learners);
  w.varint(m.ids.size());
  for (const auto& [n, id] : m.ids) {
    w.str(n);
    w.u64(id);
  }
}

bool decode_membership(Reader& r, Membership& m) {
  if (!names(r, m.voters) || !names(r, m.learners)) return false;
  std::size_t n = 0;
  if (!r.count(n, 9, kMembersMax)) return false;
  for (std::size_t i = 0; i < n; ++i) {
    std::string name;
    std::uint64_t id = 0;
    if (!r.str(name, 256) || !r.u64(id)) return false;
    m.ids[name] = id;
  }
  return true;
}

Bytes encode_membership(const Membership& m) {
  Writer w;
  encode_membership(w, m);
  return w.take();
}

Result<Membership> decode_membership(const Bytes& b) {
  Reader r(b);
  Membership m;
  if (!decode_membership(r, m) || !r.ok()) return Status::corrupt("raft config entry: " + r.error());
  if (!r.at_end()) return Status::corrupt("raft config entry: trailing bytes");
  return m;
}

void encode_snapshot(Writer& w, const Snapshot& s) {
  w.varint(s.index);
  w.varint(s.term);
  encode_membership(w, s.config);
  w.bytes(s.data);
}

bool decode_snapshot(Reader& r, Snapshot& s) {
  return r.varint(s.index) && r.varint(s.term) && decode_membership(r, s.config) && r.bytes(s.data, kSnapshotBytesMax);
}

void encode_body(Writer& w, const Message& m) {
  w.str(m.from);
  w.str(m.to);
  w.varint(m.term);
  w.u64(m.cluster_id);
  w.u64(m.storage_id);
  w.varint(m.log_index);
  w.varint(m.log_term);
  w.varint(m.commit);
  w.varint(m.entries.size());
  for (const auto& e : m.entries) encode_entry(w, e);
  w.boolean(m.reject);
  w.varint(m.hint);
  w.varint(m.seq);
  w.boolean(m.transfer);
  w.boolean(m.snapshot.has_value());
  if (m.snapshot) encode_snapshot(w, *m.snapshot);
}

bool decode_body(Reader& r, Message& m) {
  if (!r.str(m.from, 256) || !r.str(m.to, 256) || !r.varint(m.term) || !r.u64(m.cluster_id) || !r.u64(m.storage_id) ||
      !r.varint(m.log_index) || !r.varint(m.log_term) || !r.varint(m.commit))
    return false;
  std::size_t n = 0;
  if (!r.count(n, kEntryBytesMin, kEntriesPerMessageMax)) return false;
  m.entries.resize(n);
  for (auto& e : m.entries)
    if (!decode_entry(r, e)) return false;
  bool has_snapshot = false;
  if (!r.boolean(m.reject) || !r.varint(m.hint) || !r.varint(m.seq) || !r.boolean(m.transfer) || !r.boolean(has_snapshot))
    return false;
  if (has_snapshot) {
    m.snapshot.emplace();
    if (!decode_snapshot(r, *m.snapshot)) return false;
  }
  return true;
}

namespace {
template <MsgType K>
constexpr const MessageType* type_of() {
  return &Wire<K>::kType;
}
constexpr const MessageType* kWireTypes[] = {nullptr,
                                             type_of<MsgType::pre_vote>(),
                                             type_of<MsgType::pre_vote_resp>(),
                                             type_of<MsgType::vote>(),
                                             type_of<MsgType::vote_resp>(),
                                             type_of<MsgType::append>(),
                                             type_of<MsgType::append_resp>(),
                                             type_of<MsgType::heartbeat>(),
                                             type_of<MsgType::heartbeat_resp>(),
                                             type_of<MsgType::snapshot>(),
                                             type_of<MsgType::timeout_now>()};
}  // namespace

const MessageType& wire_type(MsgType t) { return *kWireTypes[static_cast<int>(t)]; }

Bytes encode_wire(const Message& m) {
  const MessageType& t = wire_type(m.type);
  Writer w;
  w.u16(t.id);
  w.u8(t.version);
  encode_body(w, m);
  return w.take();
}

Bytes encode_entry_record(const Entry& e) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(LogRecord::entry));
  encode_entry(w, e);
  return w.take();
}

Bytes encode_hard_state_record(const HardState& hs) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(LogRecord::hard_state));
  w.varint(hs.term);
  w.str(hs.vote);
  w.varint(hs.commit);
  return w.take();
}

Result<DecodedRecord> decode_log_record(const Bytes& b) {
  Reader r(b);
  std::uint8_t kind = 0;
  DecodedRecord out;
  if (!r.u8(kind)) return Status::corrupt("raft.log record: empty");
  if (kind == static_cast<std::uint8_t>(LogRecord::entry)) {
    out.entry.emplace();
    if (!decode_entry(r, *out.entry)) return Status::corrupt("raft.log entry record: " + r.error());
  } else if (kind == static_cast<std::uint8_t>(LogRecord::hard_state)) {
    out.hard_state.emplace();
    if (!r.varint(out.hard_state->term) || !r.str(out.hard_state->vote, 256) || !r.varint(out.hard_state->commit))
      return Status::corrupt("raft.log hard state record: " + r.error());
  } else {
    return Status::corrupt("raft.log record: unknown kind " + std::to_string(kind) + " (expected 1 or 2)");
  }
  if (!r.ok()) return Status::corrupt("raft.log record: " + r.error());
  if (!r.at_end()) return Status::corrupt("raft.log record: " + std::to_string(r.remaining()) + " trailing bytes");
  return out;
}

Bytes encode_snapshot_record(const Snapshot& s) {
  Writer w;
  encode_snapshot(w, s);
  return w.take();
}

Result<Snapshot> decode_snapshot_record(const Bytes& b) {
  Reader r(b);
  Snapshot s;
  if (!decode_snapshot(r, s) || !r.ok()) return Status::corrupt("raft.snap: " + r.error());
  if (!r.at_end()) return Status::corrupt("raft.snap: trailing bytes");
  return s;
}

Bytes encode_meta(const Meta& m) {
  Writer w;
  w.u64(m.cluster_id);
  w.u64(m.storage_id);
  return w.take();
}

Result<Meta> decode_meta(const Bytes& b) {
  Reader r(b);
  Meta m;
  if (!r.u64(m.cluster_id) || !r.u64(m.storage_id)) return Status::corrupt("raft.meta: " + r.error());
  if (!r.at_end()) return Status::corrupt("raft.meta: trailing bytes");
  return m;
}

}  // namespace mabeam::raft
