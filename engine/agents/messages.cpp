// Encodings of the agent service's messages (see messages.h).
#include "engine/agents/messages.h"

namespace mabeam::agents {

const char* to_string(ItemKind k) {
  switch (k) {
    case ItemKind::message: return "message";
    case ItemKind::reply: return "reply";
    case ItemKind::monitor: return "monitor";
    case ItemKind::demonitor: return "demonitor";
    case ItemKind::down: return "down";
    case ItemKind::link: return "link";
    case ItemKind::unlink: return "unlink";
    case ItemKind::exit: return "exit";
    case ItemKind::spawned: return "spawned";
  }
  return "?";
}

const char* to_string(SignalKind k) {
  switch (k) {
    case SignalKind::down: return "down";
    case SignalKind::exit: return "exit";
    case SignalKind::reply: return "reply";
    case SignalKind::timer: return "timer";
    case SignalKind::spawned: return "spawned";
    case SignalKind::undeliverable: return "undeliverable";
  }
  return "?";
}

void Item::encode(Writer& w) const {
  w.u8(static_cast<std::uint8_t>(kind));
  w.varint(number);
  w.varint(ref);
  w.boolean(flag);
  if (kind == ItemKind::message || kind == ItemKind::reply) {
    w.str(payload.type);
    w.u8(payload.version);
    w.bytes(payload.body);
  }
  w.str(reason);
}

bool Item::decode(Reader& r, Item& out) {
  std::uint8_t kind = 0;
  if (!r.u8(kind)) return false;
  if (kind > static_cast<std::uint8_t>(ItemKind::spawned)) return r.fail("unknown channel item kind " + std::to_string(kind));
  out.kind = static_cast<ItemKind>(kind);
  if (!r.varint(out.number) || !r.varint(out.ref) || !r.boolean(out.flag)) return false;
  if (out.kind == ItemKind::message || out.kind == ItemKind::reply) {
    if (!r.str(out.payload.type, kIdBytesMax) || !r.u8(out.payload.version) || !r.bytes(out.payload.body, kBodyBytesMax))
      return false;
  }
  return r.str(out.reason, kIdBytesMax * 4);
}

void AgentItems::encode(Writer& w) const {
  w.str(src);
  w.str(dst);
  w.varint(chan);
  w.varint(first_seq);
  w.varint(acked);
  w.u8(hops);
  w.varint(items.size());
  for (const auto& i : items) i.encode(w);
}

bool AgentItems::decode(Reader& r, std::uint8_t, AgentItems& m) {
  std::size_t n = 0;
  if (!r.str(m.src, kIdBytesMax) || !r.str(m.dst, kIdBytesMax) || !r.varint(m.chan) || !r.varint(m.first_seq) ||
      !r.varint(m.acked) || !r.u8(m.hops) || !r.count(n, 5))
    return false;
  if (m.first_seq == 0) return r.fail("agent.items: seq 0");
  m.items.resize(n);
  for (auto& i : m.items)
    if (!Item::decode(r, i)) return false;
  return true;
}

void AgentAck::encode(Writer& w) const {
  w.str(src);
  w.str(dst);
  w.varint(chan);
  w.varint(upto);
  w.varint(refused.size());
  for (const auto& f : refused) {
    w.varint(f.seq);
    w.str(f.reason);
  }
  w.varint(boot);
  w.varint(first_serial);
}

bool AgentAck::decode(Reader& r, std::uint8_t, AgentAck& m) {
  std::size_t n = 0;
  if (!r.str(m.src, kIdBytesMax) || !r.str(m.dst, kIdBytesMax) || !r.varint(m.chan) || !r.varint(m.upto) ||
      !r.count(n, 2))
    return false;
  m.refused.resize(n);
  for (auto& f : m.refused)
    if (!r.varint(f.seq) || !r.str(f.reason, kIdBytesMax * 4)) return false;
  return r.varint(m.boot) && r.varint(m.first_serial);
}

void AgentGone::encode(Writer& w) const {
  w.str(src);
  w.str(dst);
  w.varint(chan);
  w.varint(upto);
  w.boolean(certain);
  w.str(reason);
  w.varint(boot);
  w.varint(first_serial);
}

bool AgentGone::decode(Reader& r, std::uint8_t, AgentGone& m) {
  return r.str(m.src, kIdBytesMax) && r.str(m.dst, kIdBytesMax) && r.varint(m.chan) && r.varint(m.upto) &&
         r.boolean(m.certain) && r.str(m.reason, kIdBytesMax * 4) && r.varint(m.boot) && r.varint(m.first_serial);
}

void AgentPing::encode(Writer& w) const {
  w.varint(boot);
  w.varint(first_serial);
  w.boolean(pong);
}

bool AgentPing::decode(Reader& r, std::uint8_t, AgentPing& m) {
  return r.varint(m.boot) && r.varint(m.first_serial) && r.boolean(m.pong);
}

void AgentMoved::encode(Writer& w) const {
  w.str(id);
  w.str(node);
  w.varint(epoch);
}

bool AgentMoved::decode(Reader& r, std::uint8_t, AgentMoved& m) {
  return r.str(m.id, kIdBytesMax) && r.str(m.node, kIdBytesMax) && r.varint(m.epoch);
}

void encode_spawn_spec(Writer& w, const SpawnSpec& s) {
  w.str(s.type);
  w.str(s.node);
  w.str(s.name);
  w.bytes(s.state);
  w.u8(s.state_version);
  w.boolean(s.durable);
  w.boolean(s.link);
  w.boolean(s.monitor);
  w.varint(s.placement.demand.size());
  for (const auto& [k, v] : s.placement.demand) {
    w.str(k);
    w.f64(v);
  }
  for (const auto* list : {&s.placement.requires_caps, &s.placement.affinity, &s.placement.anti_affinity}) {
    w.varint(list->size());
    for (const auto& e : *list) w.str(e);
  }
}

bool decode_spawn_spec(Reader& r, SpawnSpec& s) {
  std::size_t n = 0;
  if (!r.str(s.type, kIdBytesMax) || !r.str(s.node, kIdBytesMax) || !r.str(s.name, kIdBytesMax) ||
      !r.bytes(s.state, kBodyBytesMax) || !r.u8(s.state_version) || !r.boolean(s.durable) || !r.boolean(s.link) ||
      !r.boolean(s.monitor) || !r.count(n, 9))
    return false;
  for (std::size_t i = 0; i < n; ++i) {
    std::string k;
    double v = 0;
    if (!r.str(k, kIdBytesMax) || !r.f64(v)) return false;
    s.placement.demand[k] = v;
  }
  for (auto* list : {&s.placement.requires_caps, &s.placement.affinity, &s.placement.anti_affinity}) {
    if (!r.count(n, 1)) return false;
    list->resize(n);
    for (auto& e : *list)
      if (!r.str(e, kIdBytesMax)) return false;
  }
  return true;
}

void SpawnRequest::encode(Writer& w) const {
  w.str(spawner);
  w.varint(req);
  encode_spawn_spec(w, spec);
}

bool SpawnRequest::decode(Reader& r, std::uint8_t, SpawnRequest& m) {
  return r.str(m.spawner, kIdBytesMax) && r.varint(m.req) && decode_spawn_spec(r, m.spec);
}

void SpawnResult::encode(Writer& w) const {
  w.str(spawner);
  w.varint(req);
  w.boolean(ok);
  w.str(id);
  w.str(error);
}

bool SpawnResult::decode(Reader& r, std::uint8_t, SpawnResult& m) {
  return r.str(m.spawner, kIdBytesMax) && r.varint(m.req) && r.boolean(m.ok) && r.str(m.id, kIdBytesMax) &&
         r.str(m.error, kIdBytesMax * 4);
}

void ReplicaPut::encode(Writer& w) const {
  w.str(id);
  w.str(name);
  w.str(type);
  w.u8(type_version);
  w.varint(epoch);
  w.varint(version);
  w.bytes(state);
}

bool ReplicaPut::decode(Reader& r, std::uint8_t, ReplicaPut& m) {
  return r.str(m.id, kIdBytesMax) && r.str(m.name, kIdBytesMax) && r.str(m.type, kIdBytesMax) &&
         r.u8(m.type_version) && r.varint(m.epoch) && r.varint(m.version) && r.bytes(m.state, kBodyBytesMax);
}

void ReplicaAck::encode(Writer& w) const {
  w.str(id);
  w.varint(version);
}

bool ReplicaAck::decode(Reader& r, std::uint8_t, ReplicaAck& m) { return r.str(m.id, kIdBytesMax) && r.varint(m.version); }

void RegistryRequest::encode(Writer& w) const {
  w.varint(req);
  w.u8(hops);
  w.bytes(command);
}

bool RegistryRequest::decode(Reader& r, std::uint8_t, RegistryRequest& m) {
  return r.varint(m.req) && r.u8(m.hops) && r.bytes(m.command, 64 * 1024);
}

void RegistryReply::encode(Writer& w) const {
  w.varint(req);
  w.u8(outcome);
  w.str(leader);
  w.bytes(answer);
}

bool RegistryReply::decode(Reader& r, std::uint8_t, RegistryReply& m) {
  if (!r.varint(m.req) || !r.u8(m.outcome)) return false;
  if (m.outcome > 2) return r.fail("agent.registry_reply: unknown outcome " + std::to_string(m.outcome));
  return r.str(m.leader, kIdBytesMax) && r.bytes(m.answer, 64 * 1024);
}

}  // namespace mabeam::agents
