// Encoding of SWIM updates (see messages.h).
#include "engine/membership/messages.h"

#include <algorithm>

namespace mabeam::swim {

namespace {
constexpr std::size_t kNameBytesMax = 256;
constexpr std::size_t kCapabilitiesMax = 256;
constexpr std::size_t kResourcesMax = 256;
// node, incarnation, state, from, capability count, resource count, load, agents.
constexpr std::size_t kUpdateBytesMin = 1 + 1 + 1 + 1 + 1 + 1 + 8 + 1;
constexpr DurationUs kAgeMax = sec(30LL * 24 * 3600);  // older news than this is garbage
}  // namespace

const char* to_string(GossipState s) {
  switch (s) {
    case GossipState::alive: return "alive";
    case GossipState::suspect: return "suspect";
    case GossipState::dead: return "dead";
    case GossipState::left: return "left";
  }
  return "?";
}

void encode_update(Writer& w, const Update& u) {
  w.str(u.node);
  w.varint(u.incarnation);
  w.u8(static_cast<std::uint8_t>(u.state));
  w.str(u.from);
  w.varint(u.info.capabilities.size());
  for (const auto& c : u.info.capabilities) w.str(c);
  w.varint(u.info.resources.size());
  for (const auto& [k, v] : u.info.resources) {
    w.str(k);
    w.f64(v);
  }
  w.f64(u.info.load);
  w.varint(u.info.agents);
  w.varint(static_cast<std::uint64_t>(std::max<DurationUs>(0, u.age)));
}

bool decode_update(Reader& r, Update& u, std::uint8_t version) {
  std::uint8_t state = 0;
  if (!r.str(u.node, kNameBytesMax) || !r.varint(u.incarnation) || !r.u8(state)) return false;
  if (state > static_cast<std::uint8_t>(GossipState::left)) return r.fail("update: unknown member state " + std::to_string(state));
  u.state = static_cast<GossipState>(state);
  if (u.node.empty()) return r.fail("update: empty node name");
  if (!r.str(u.from, kNameBytesMax)) return false;
  std::size_t n = 0;
  if (!r.count(n, 1, kCapabilitiesMax)) return false;
  u.info.capabilities.resize(n);
  for (auto& c : u.info.capabilities)
    if (!r.str(c, kNameBytesMax)) return false;
  if (!r.count(n, 9, kResourcesMax)) return false;
  for (std::size_t i = 0; i < n; ++i) {
    std::string k;
    double v = 0;
    if (!r.str(k, kNameBytesMax) || !r.f64(v)) return false;
    u.info.resources[k] = v;
  }
  std::uint64_t agents = 0;
  if (!r.f64(u.info.load) || !r.varint(agents)) return false;
  if (agents > 0xffffffffu) return r.fail("update: agent count out of range");
  u.info.agents = static_cast<std::uint32_t>(agents);
  u.age = 0;
  if (version >= 2) {
    std::uint64_t age = 0;
    if (!r.varint(age)) return false;
    if (age > static_cast<std::uint64_t>(kAgeMax)) return r.fail("update: age out of range");
    u.age = static_cast<DurationUs>(age);
  }
  return true;
}

void encode_updates(Writer& w, const std::vector<Update>& us) {
  w.varint(us.size());
  for (const auto& u : us) encode_update(w, u);
}

bool decode_updates(Reader& r, std::vector<Update>& us, std::uint8_t version) {
  std::size_t n = 0;
  if (!r.count(n, kUpdateBytesMin)) return false;
  us.resize(n);
  for (auto& u : us)
    if (!decode_update(r, u, version)) return false;
  return true;
}

std::size_t encoded_bytes(const Update& u) {
  Writer w;
  encode_update(w, u);
  return w.size();
}

}  // namespace mabeam::swim
