// The heartbeat failure detector (see heartbeat.h).
#include "engine/heartbeat.h"

#include <algorithm>

namespace mabeam {

const char* to_string(MemberState s) {
  switch (s) {
    case MemberState::joining: return "joining";
    case MemberState::active: return "active";
    case MemberState::suspect: return "suspect";
    case MemberState::down: return "down";
    case MemberState::leaving: return "leaving";
    case MemberState::left: return "left";
  }
  return "?";
}

const char* to_string(HeartbeatDetector::PeerState s) {
  switch (s) {
    case HeartbeatDetector::PeerState::unknown: return "joining";
    case HeartbeatDetector::PeerState::active: return "active";
    case HeartbeatDetector::PeerState::down: return "down";
    case HeartbeatDetector::PeerState::left: return "left";
  }
  return "?";
}

HeartbeatDetector::HeartbeatDetector(Node& node, HeartbeatConfig config, std::vector<std::string> peers,
                                     std::uint64_t incarnation)
    : Service(node), config_(config), incarnation_(incarnation) {
  node_.expose<MembershipView>(this);
  for (auto& p : peers)
    if (p != ctx_.self()) peers_[p] = Peer{};
  node_.route<Heartbeat>([this](const std::string& from, Heartbeat&& hb) { on_heartbeat(from, std::move(hb)); });
  node_.route<Leave>([this](const std::string& from, Leave&& m) { on_leave(from, std::move(m)); });
}

void HeartbeatDetector::add_peer(const std::string& name) {
  if (name == ctx_.self()) return;
  peers_.try_emplace(name);
}

void HeartbeatDetector::stop() {
  stopped_ = true;
  for (const auto& [name, peer] : peers_) ctx_.send_msg(name, Leave{incarnation_});
  if (ctx_.tracing())
    ctx_.emit(TraceEvent("member").with("subject", ctx_.self()).with("state", "left").with("incarnation", incarnation_));
}

void HeartbeatDetector::on_leave(const std::string& from, Leave&& m) {
  auto it = peers_.find(from);
  if (it == peers_.end() || m.incarnation < it->second.incarnation) return;
  it->second.incarnation = m.incarnation;
  if (it->second.state != PeerState::left) set_state(from, it->second, PeerState::left);
}

void HeartbeatDetector::start() {
  if (ctx_.tracing())
    ctx_.emit(TraceEvent("member").with("subject", ctx_.self()).with("state", "active").with("incarnation", incarnation_));
  // Stagger the first beat by a random fraction of the interval so nodes do not beat in step.
  ctx_.after(static_cast<DurationUs>(ctx_.rng().below(static_cast<std::uint64_t>(config_.interval))), [this] { tick(); });
}

void HeartbeatDetector::tick() {
  if (stopped_) return;
  const TimeUs now = ctx_.now();
  // This node's own stall (a pause: its timers waited) is no peer's silence: a peer is
  // blamed only for time this node was awake to hear it. Without this, a node resuming
  // from a stall would mark every peer down before reading the beats that waited for it.
  if (last_tick_ >= 0 && now - last_tick_ > 2 * config_.interval) {
    const DurationUs stall = now - last_tick_ - config_.interval;
    for (auto& [name, peer] : peers_) peer.last_heard = std::min(now, peer.last_heard + stall);
    node_.metrics().inc("heartbeat_own_stalls_total");
  }
  last_tick_ = now;
  ++seq_;
  for (auto& [name, peer] : peers_) {
    ctx_.send_msg(name, Heartbeat{incarnation_, seq_});
    if (peer.state == PeerState::active && now - peer.last_heard > config_.down_after) set_state(name, peer, PeerState::down);
  }
  ctx_.after(config_.interval, [this] { tick(); });
}

void HeartbeatDetector::on_heartbeat(const std::string& from, Heartbeat&& hb) {
  auto it = peers_.find(from);
  if (it == peers_.end()) return;  // not a configured peer: ignored
  Peer& p = it->second;
  p.last_heard = ctx_.now();
  if (hb.incarnation < p.incarnation) return;  // a stale beat from before a restart
  const bool new_incarnation = hb.incarnation > p.incarnation;
  if (p.state == PeerState::left && !new_incarnation) return;  // a beat sent before its Leave
  p.incarnation = hb.incarnation;
  if (p.state != PeerState::active || new_incarnation) set_state(from, p, PeerState::active);
}

namespace {
MemberState member_state(HeartbeatDetector::PeerState s) {
  switch (s) {
    case HeartbeatDetector::PeerState::unknown: return MemberState::joining;
    case HeartbeatDetector::PeerState::active: return MemberState::active;
    case HeartbeatDetector::PeerState::down: return MemberState::down;
    case HeartbeatDetector::PeerState::left: return MemberState::left;
  }
  return MemberState::down;
}
}  // namespace

void HeartbeatDetector::set_state(const std::string& name, Peer& p, PeerState s) {
  const PeerState before = p.state;
  p.state = s;
  node_.metrics().inc(std::string("heartbeat_marked_") + to_string(s) + "_total");
  if (ctx_.tracing())
    ctx_.emit(TraceEvent("member").with("subject", name).with("state", to_string(s)).with("incarnation", p.incarnation));
  // Listeners may subscribe or unsubscribe while being told: iterate over a copy.
  const auto listeners = listeners_;
  for (const auto& [handle, fn] : listeners) fn(name, member_state(before), member_state(s));
}

std::vector<MemberInfo> HeartbeatDetector::members() const {
  std::vector<MemberInfo> out;
  bool self_added = false;
  auto add_self = [&] {
    MemberInfo me;
    me.name = ctx_.self();
    me.state = stopped_ ? MemberState::left : MemberState::active;
    me.incarnation = incarnation_;
    me.last_heard = ctx_.now();
    out.push_back(std::move(me));
    self_added = true;
  };
  for (const auto& [name, p] : peers_) {
    if (!self_added && ctx_.self() < name) add_self();
    if (p.state == PeerState::unknown) continue;
    MemberInfo m;
    m.name = name;
    m.state = member_state(p.state);
    m.incarnation = p.incarnation;
    m.last_heard = p.last_heard;
    out.push_back(std::move(m));
  }
  if (!self_added) add_self();
  return out;
}

MemberState HeartbeatDetector::state_of(const std::string& node) const {
  if (node == ctx_.self()) return stopped_ ? MemberState::left : MemberState::active;
  auto it = peers_.find(node);
  return it == peers_.end() ? MemberState::down : member_state(it->second.state);
}

int HeartbeatDetector::subscribe(Listener listener) {
  const int h = next_listener_++;
  listeners_.emplace(h, std::move(listener));
  return h;
}

void HeartbeatDetector::unsubscribe(int handle) { listeners_.erase(handle); }

HeartbeatDetector::PeerState HeartbeatDetector::peer_state(const std::string& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? PeerState::unknown : it->second.state;
}

std::vector<std::string> HeartbeatDetector::active_peers() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : peers_)
    if (p.state == PeerState::active) out.push_back(name);
  return out;
}

}  // namespace mabeam
