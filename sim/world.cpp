// The simulated world (see world.h).
#include "sim/world.h"

#include <cassert>
#include <cmath>

#include "engine/fixed_math.h"
#include "engine/node_setup.h"
#include "engine/version.h"

namespace mabeam::sim {

// ---- SimNode: one node's Context -------------------------------------------------------

SimNode::SimNode(World& world, std::uint32_t index, std::string name, std::uint64_t seed)
    : world_(world),
      index_(index),
      name_(std::move(name)),
      rng_(Rng::for_node(seed, name_)),
      disk_(Rng::derived(seed, "disk/" + name_)) {
  disk_.set_schedule([this](DurationUs delay, std::function<void()> fn) { after(delay, std::move(fn)); });
}

SimNode::~SimNode() = default;

TimeUs SimNode::now() const {
  const TimeUs elapsed = world_.now() - global_anchor_;
  if (drift_ppb_ == 0) return local_anchor_ + elapsed;
  // elapsed * drift, rounded to nearest (half away from zero), in integers.
  const __int128 skew = static_cast<__int128>(elapsed) * drift_ppb_;
  const __int128 half = 500'000'000;
  return local_anchor_ + elapsed + static_cast<TimeUs>(skew >= 0 ? (skew + half) / 1'000'000'000 : (skew - half) / 1'000'000'000);
}

TimeUs SimNode::wall_now() const { return now() + wall_offset_; }

DurationUs SimNode::to_global(DurationUs local) const {
  if (drift_ppb_ == 0 || local <= 0) return local;
  // ceil(local / (1 + drift)), in integers (drift > -1: the loader bounds it by max_drift).
  const __int128 num = static_cast<__int128>(local) * 1'000'000'000;
  const __int128 den = 1'000'000'000 + drift_ppb_;
  return static_cast<DurationUs>((num + den - 1) / den);
}

void SimNode::send(const std::string& to, const MessageType& type, Bytes message) {
  world_.send_from(*this, to, type, std::move(message));
}

TimerId SimNode::after(DurationUs delay, TimerFn fn) {
  std::uint32_t slot;
  if (!timers_free_.empty()) {
    slot = timers_free_.back();
    timers_free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(timers_.size());
    timers_.emplace_back();
  }
  TimerSlot& t = timers_[slot];
  t.fn = std::move(fn);
  t.armed = true;
  const TimerId id = (TimerId{t.gen} << 32) | slot;
  world_.sched_.after(to_global(delay), [this, id] { fire_timer(id); });
  return id;
}

void SimNode::cancel(TimerId id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xffffffffu);
  if (slot >= timers_.size() || timers_[slot].gen != static_cast<std::uint32_t>(id >> 32) || !timers_[slot].armed) return;
  TimerSlot& t = timers_[slot];
  t.fn = nullptr;
  t.armed = false;
  ++t.gen;
  timers_free_.push_back(slot);
}

void SimNode::clear_timers() {
  for (std::uint32_t slot = 0; slot < timers_.size(); ++slot)
    if (timers_[slot].armed) cancel((TimerId{timers_[slot].gen} << 32) | slot);
}

void SimNode::fire_timer(TimerId id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xffffffffu);
  if (slot >= timers_.size() || timers_[slot].gen != static_cast<std::uint32_t>(id >> 32) || !timers_[slot].armed)
    return;  // cancelled, or the node crashed since
  if (paused_) {
    deferred_.push_back({Deferred::Kind::timer, id});
    return;
  }
  TimerFn fn = std::move(timers_[slot].fn);
  cancel(id);  // frees the slot before the callback may set new timers
  fn();
}

void SimNode::notify(Deferred::Kind kind, std::uint32_t peer) {
  if (!node_) return;
  if (paused_) {
    deferred_.push_back({kind, peer});
    return;
  }
  const std::string& name = world_.names_[peer];
  world_.trace_line(name_, TraceEvent(kind == Deferred::Kind::closed ? "conn_closed" : "conn_refused").with("peer", name));
  if (auto* view = node_->find<MembershipView>()) {
    if (kind == Deferred::Kind::closed) view->hint_unreachable(name);
    else view->hint_refused(name);
  }
}

bool SimNode::tracing() const { return world_.options_.trace; }

void SimNode::emit(const TraceEvent& event) {
  if (event.ev == "leader") {
    for (const auto& [key, value] : event.fields)
      if (key == "term" && std::holds_alternative<std::int64_t>(value)) {
        leader_term_ = std::get<std::int64_t>(value);
        leader_claim_ = ++world_.leader_claims_;
      }
  }
  world_.trace_line(name_, event);
}

// ---- World -------------------------------------------------------------------------------

World::World(std::vector<std::string> names, LinkParams network, WorldOptions options, NodeInstaller installer)
    : options_(std::move(options)),
      installer_(std::move(installer)),
      names_(std::move(names)),
      net_(names_.size(), network, options_.seed) {
  for (std::uint32_t i = 0; i < names_.size(); ++i) {
    index_.emplace(names_[i], i);
    nodes_.push_back(std::make_unique<SimNode>(*this, i, names_[i], options_.seed));
  }
  connected_.assign(names_.size() * names_.size(), 0);
  refusal_pending_.assign(names_.size() * names_.size(), 0);
  if (options_.trace) {
    trace_ += "{\"trace\":\"mabeam\",\"version\":" + std::to_string(kTraceFormatVersion) + ",\"source\":\"sim\",\"seed\":" + std::to_string(options_.seed) +
              ",\"scenario\":";
    append_json_string(trace_, options_.scenario);
    trace_ += ",\"nodes\":[";
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (i) trace_ += ',';
      append_json_string(trace_, names_[i]);
    }
    trace_ += "]}\n";
  }
}

World::~World() {
  // Nodes' services may touch their Context while being destroyed: destroy them first.
  for (auto& n : nodes_) n->node_.reset();
}

int World::index_of(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : static_cast<int>(it->second);
}

void World::trace_line(const std::string& node, const TraceEvent& e) {
  if (options_.trace) append_trace_line(trace_, sched_.now(), node, e);
}

void World::emit_global(const TraceEvent& e) { trace_line("*", e); }

int World::leader() const {
  int best = -1;
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    const SimNode& n = *nodes_[i];
    if (!n.up() || n.leader_term_ < 0) continue;
    if (best < 0) {
      best = static_cast<int>(i);
      continue;
    }
    const SimNode& b = *nodes_[static_cast<std::size_t>(best)];
    if (n.leader_term_ > b.leader_term_ || (n.leader_term_ == b.leader_term_ && n.leader_claim_ > b.leader_claim_))
      best = static_cast<int>(i);
  }
  return best;
}

void World::boot(std::uint32_t i, const char* ev) {
  SimNode& n = *nodes_[i];
  auto incarnation = record_boot(n.disk_);
  if (!incarnation) {
    trace_line(n.name_, TraceEvent("node_start_failed").with("reason", incarnation.status().message()));
    return;
  }
  n.node_ = std::make_unique<Node>(n);
  n.booted_ = true;
  ++n.boots_;
  n.leader_term_ = -1;
  trace_line(n.name_, TraceEvent(ev).with("incarnation", *incarnation));
  installer_(*n.node_, *incarnation);
  n.node_->start();
}

void World::start(std::uint32_t i) {
  if (nodes_[i]->up()) return;
  boot(i, "node_start");
}

void World::crash(std::uint32_t i, CrashDisk disk) {
  SimNode& n = *nodes_[i];
  if (!n.up()) {
    trace_line(n.name_, TraceEvent("fault_ignored").with("fault", "crash").with("reason", "node is not running"));
    return;
  }
  trace_line(n.name_, TraceEvent("node_crash"));
  stop_process(n);
  n.disk_.crash(disk);
  close_connections(i);
}

void World::stop_process(SimNode& n) {
  n.node_.reset();
  n.clear_timers();
  for (const auto& d : n.deferred_) {
    if (d.kind != SimNode::Deferred::Kind::message) continue;
    ++counters_.dropped_node_down;
    const auto slot = static_cast<std::uint32_t>(d.id);
    if (options_.trace_messages)
      trace_line(n.name_, TraceEvent("msg_drop").with("from", names_[inflight_[slot].from]).with("id", inflight_[slot].id).with("reason", "node_down"));
    release(slot);
  }
  n.deferred_.clear();
  n.paused_ = false;
}

void World::join(std::uint32_t i) {
  SimNode& n = *nodes_[i];
  if (n.up()) {
    trace_line(n.name_, TraceEvent("fault_ignored").with("fault", "join").with("reason", "node is running"));
    return;
  }
  boot(i, n.booted_ ? "node_restart" : "node_start");
}

void World::leave(std::uint32_t i) {
  SimNode& n = *nodes_[i];
  if (!n.up() || n.paused_) {
    trace_line(n.name_, TraceEvent("fault_ignored").with("fault", "leave").with("reason", n.up() ? "node is paused" : "node is not running"));
    return;
  }
  trace_line(n.name_, TraceEvent("node_leave"));
  n.node_->stop();
  stop_process(n);
  n.disk_.flush_all();
  close_connections(i);
}

void World::restart(std::uint32_t i) {
  SimNode& n = *nodes_[i];
  if (n.up()) {
    trace_line(n.name_, TraceEvent("fault_ignored").with("fault", "restart").with("reason", "node is running"));
    return;
  }
  boot(i, "node_restart");
}

void World::pause(std::uint32_t i, DurationUs for_us) {
  SimNode& n = *nodes_[i];
  if (!n.up() || n.paused_) {
    trace_line(n.name_, TraceEvent("fault_ignored").with("fault", "pause").with("reason", n.up() ? "already paused" : "node is not running"));
    return;
  }
  n.paused_ = true;
  const std::uint64_t pause = ++n.pauses_;
  trace_line(n.name_, TraceEvent("node_pause").with("for", for_us));
  // The resume belongs to this pause only: a crash in between ends the pause instead.
  sched_.after(for_us, [this, i, pause] {
    if (nodes_[i]->pauses_ == pause && nodes_[i]->paused_) resume(i);
  });
}

void World::resume(std::uint32_t i) {
  SimNode& n = *nodes_[i];
  n.paused_ = false;
  trace_line(n.name_, TraceEvent("node_resume"));
  // What came due during the pause now fires, in the order it came due.
  std::vector<SimNode::Deferred> due;
  due.swap(n.deferred_);
  SimNode* np = &n;
  for (const auto& d : due) {
    using K = SimNode::Deferred::Kind;
    switch (d.kind) {
      case K::timer: sched_.at(sched_.now(), [np, id = d.id] { np->fire_timer(id); }); break;
      case K::message: sched_.at(sched_.now(), [this, slot = static_cast<std::uint32_t>(d.id)] { deliver(slot); }); break;
      case K::closed:
      case K::refused:
        sched_.at(sched_.now(), [np, kind = d.kind, peer = static_cast<std::uint32_t>(d.id)] { np->notify(kind, peer); });
        break;
    }
  }
}

void World::clock_skew(std::uint32_t i, DurationUs offset, double drift) {
  SimNode& n = *nodes_[i];
  n.local_anchor_ = n.now();
  n.global_anchor_ = sched_.now();
  n.drift_ppb_ = fixed::to_ppb(drift);
  n.wall_offset_ += offset;
  trace_line(n.name_, TraceEvent("clock_skew").with("offset", offset).with("drift", drift));
}

void World::disk_fault(std::uint32_t i, DurationUs for_us) {
  SimNode& n = *nodes_[i];
  n.disk_.set_faulty(true);
  trace_line(n.name_, TraceEvent("disk_fault").with("for", for_us));
  sched_.after(for_us, [this, i] {
    nodes_[i]->disk_.set_faulty(false);
    trace_line(names_[i], TraceEvent("disk_ok"));
  });
}

void World::partition(const std::vector<std::vector<std::string>>& groups, const std::string& layer) {
  // Nodes named in no group form one more group together.
  std::vector<std::uint32_t> group_of(names_.size(), static_cast<std::uint32_t>(groups.size()));
  std::string text = "[";
  for (std::uint32_t g = 0; g < groups.size(); ++g) {
    for (const auto& name : groups[g]) {
      const int j = index_of(name);
      assert(j >= 0 && "partition names were validated at load");
      group_of[static_cast<std::size_t>(j)] = g;
    }
    if (g) text += ',';
    text += json_string_array(groups[g]);
  }
  net_.partition(layer, std::move(group_of));
  TraceEvent e("partition");
  e.with("groups", RawJson{text + "]"});
  if (!layer.empty()) e.with("layer", layer);
  emit_global(e);
}

void World::partition_oneway(const std::vector<std::string>& from, const std::vector<std::string>& to,
                             const std::string& layer) {
  std::vector<std::uint32_t> f, t;
  for (const auto& n : from) f.push_back(static_cast<std::uint32_t>(index_of(n)));
  for (const auto& n : to) t.push_back(static_cast<std::uint32_t>(index_of(n)));
  net_.partition_oneway(layer, f, t);
  TraceEvent e("partition_oneway");
  e.with("from", RawJson{json_string_array(from)}).with("to", RawJson{json_string_array(to)});
  if (!layer.empty()) e.with("layer", layer);
  emit_global(e);
}

void World::heal(const std::string& layer) {
  net_.heal(layer);
  TraceEvent e("heal");
  if (!layer.empty()) e.with("layer", layer);
  emit_global(e);
}

void World::link(const std::string& from, const std::string& to, const std::optional<Latency>& latency,
                 std::optional<double> loss, std::optional<double> duplicate, std::optional<double> reorder,
                 bool both_ways) {
  const auto f = static_cast<std::uint32_t>(index_of(from));
  const auto t = static_cast<std::uint32_t>(index_of(to));
  net_.override_link(f, t, latency, loss, duplicate, reorder);
  if (both_ways) net_.override_link(t, f, latency, loss, duplicate, reorder);
  TraceEvent e("link");
  e.with("from", from).with("to", to).with("both", both_ways);
  if (loss) e.with("loss", *loss);
  if (duplicate) e.with("duplicate", *duplicate);
  if (reorder) e.with("reorder", *reorder);
  if (latency) e.with("latency_changed", true).with("latency_mean", latency_mean_us(*latency));
  emit_global(e);
}

void World::send_from(SimNode& src, const std::string& to, const MessageType& type, Bytes message) {
  if (src.paused_) return;  // a stalled process sends nothing (cannot happen: it runs nothing)
  const int j = index_of(to);
  const std::uint64_t id = next_msg_id_++;
  ++counters_.sent;
  if (j < 0) {
    if (options_.trace_messages)
      trace_line(src.name_, TraceEvent("msg_drop").with("to", to).with("type", type.name).with("id", id).with("reason", "unknown_node"));
    return;
  }
  const auto dst = static_cast<std::uint32_t>(j);
  if (options_.trace_messages)
    trace_line(src.name_, TraceEvent("msg_send").with("to", to).with("type", type.name).with("id", id).with("bytes", static_cast<std::int64_t>(message.size())));
  const Network::Fate fate = net_.route(src.index_, dst, sched_.now());
  if (fate.dropped) {
    if (fate.dropped[0] == 'p') ++counters_.dropped_partition;
    else ++counters_.dropped_loss;
    if (options_.trace_messages)
      trace_line(src.name_, TraceEvent("msg_drop").with("to", to).with("type", type.name).with("id", id).with("reason", fate.dropped));
    return;
  }
  if (fate.copies > 1) ++counters_.duplicated;
  for (int c = 0; c < fate.copies; ++c) {
    std::uint32_t slot;
    if (!inflight_free_.empty()) {
      slot = inflight_free_.back();
      inflight_free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(inflight_.size());
      inflight_.emplace_back();
    }
    InFlight& m = inflight_[slot];
    m.from = src.index_;
    m.to = dst;
    m.id = id;
    m.type_name = type.name;
    m.bytes = (c + 1 == fate.copies) ? std::move(message) : message;
    sched_.at(fate.arrive[c], [this, slot] { deliver(slot); });
  }
}

void World::release(std::uint32_t slot) {
  inflight_[slot].bytes = Bytes{};
  inflight_free_.push_back(slot);
}

void World::deliver(std::uint32_t slot) {
  SimNode& dst = *nodes_[inflight_[slot].to];
  const std::uint32_t from = inflight_[slot].from;
  const std::uint64_t id = inflight_[slot].id;
  const char* type_name = inflight_[slot].type_name;
  const char* reason = nullptr;
  if (!dst.up()) reason = "node_down";
  else if (net_.cut(from, dst.index_)) reason = "partition";  // cut while in flight
  if (reason) {
    if (reason[0] == 'n') {
      ++counters_.dropped_node_down;
      refuse(from, dst.index_);
    } else {
      ++counters_.dropped_partition;
    }
    if (options_.trace_messages)
      trace_line(dst.name_, TraceEvent("msg_drop").with("from", names_[from]).with("type", type_name).with("id", id).with("reason", reason));
    release(slot);
    return;
  }
  const std::size_t n = names_.size();
  connected_[from * n + dst.index_] = connected_[dst.index_ * n + from] = 1;
  if (dst.paused_) {
    dst.deferred_.push_back({SimNode::Deferred::Kind::message, slot});
    return;
  }
  // Take the bytes out first: handling the message may send more and grow inflight_.
  Bytes bytes = std::move(inflight_[slot].bytes);
  release(slot);
  ++counters_.delivered;
  if (options_.trace_messages)
    trace_line(dst.name_, TraceEvent("msg_recv").with("from", names_[from]).with("type", type_name).with("id", id));
  Status s = dst.node_->deliver(names_[from], bytes);
  if (!s) {
    ++counters_.dropped_decode;
    trace_line(dst.name_, TraceEvent("msg_drop").with("from", names_[from]).with("id", id).with("reason", "decode").with("error", s.message()));
  }
}

TimeUs World::control_arrival(std::uint32_t from, std::uint32_t to) {
  constexpr int kTries = 3;
  constexpr DurationUs kRetransmit = ms(200);
  for (int attempt = 0; attempt < kTries; ++attempt) {
    const Network::Fate fate = net_.route(from, to, sched_.now());
    if (!fate.dropped) return fate.arrive[0] + attempt * kRetransmit;
    if (fate.dropped[0] == 'p') return -1;  // cut: nothing gets through
  }
  return -1;
}

void World::close_connections(std::uint32_t i) {
  const std::size_t n = names_.size();
  for (std::uint32_t j = 0; j < n; ++j) {
    if (j == i || !connected_[i * n + j]) continue;
    connected_[i * n + j] = connected_[j * n + i] = 0;
    if (!nodes_[j]->up()) continue;
    const TimeUs at = control_arrival(i, j);
    if (at < 0) continue;
    SimNode* peer = nodes_[j].get();
    const std::uint64_t life = peer->boots_;
    sched_.at(at, [peer, life, i] {
      if (peer->boots_ == life) peer->notify(SimNode::Deferred::Kind::closed, i);
    });
  }
}

void World::refuse(std::uint32_t from, std::uint32_t dead) {
  const std::size_t n = names_.size();
  if (!nodes_[from]->up() || refusal_pending_[from * n + dead]) return;
  const TimeUs at = control_arrival(dead, from);
  if (at < 0) return;
  refusal_pending_[from * n + dead] = 1;
  SimNode* sender = nodes_[from].get();
  const std::uint64_t life = sender->boots_;
  sched_.at(at, [this, sender, life, from, dead] {
    refusal_pending_[from * names_.size() + dead] = 0;
    if (sender->boots_ == life && !nodes_[dead]->up()) sender->notify(SimNode::Deferred::Kind::refused, dead);
  });
}

std::map<std::string, double> World::node_metrics() const {
  std::map<std::string, double> out;
  for (const auto& n : nodes_) {
    if (!n->node_) continue;
    for (const auto& [k, v] : n->node_->metrics().counters()) out[k] += v;
  }
  return out;
}

}  // namespace mabeam::sim
