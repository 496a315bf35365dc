// The agent service: ids, hosting, spawning, the dispatch loop and the end of an agent
// (see service.h). Routing and channels are channels.cpp; monitors, links, replies and
// remote spawns signals.cpp; durable agents' replication durable.cpp.
#include "engine/agents/service.h"

#include <algorithm>
#include <cassert>

#include "engine/agents/ids.h"
#include "engine/agents/registry.h"

namespace mabeam::agents {

namespace {
// The serial high-water mark: one record, rewritten (atomically, durably) when a new block
// of serials is reserved.
const std::string kSerialFile = "agents.serial";
constexpr std::uint64_t kSerialBlock = 1024;
}  // namespace

const char* to_string(Outcome::Kind k) {
  switch (k) {
    case Outcome::Kind::ok: return "ok";
    case Outcome::Kind::refused: return "refused";
    case Outcome::Kind::unknown: return "unknown";
  }
  return "?";
}

// The context an agent acts through: every call lands in the service, on behalf of one
// hosted agent, looked up by id each time (a call after the agent ended does nothing).
class AgentService::Ctx final : public AgentContext {
 public:
  Ctx(AgentService& s, std::string id) : s_(s), id_(std::move(id)) {}
  const std::string& self() const override { return id_; }
  const std::string& node() const override { return s_.ctx_.self(); }
  const std::string& name() const override {
    static const std::string none;
    auto* h = s_.hosted(id_);
    return h ? h->name : none;
  }
  TimeUs now() const override { return s_.ctx_.now(); }
  Rng& rng() override { return s_.ctx_.rng(); }

  void send(const std::string& to, Payload p) override {
    Hosted* h = s_.hosted(id_);
    if (!h) return;
    Item item;
    item.kind = ItemKind::message;
    item.number = h->next_number++;
    item.payload = std::move(p);
    s_.trace_send(id_, to, item);
    s_.send_item(id_, to, std::move(item));
  }
  std::uint64_t request(const std::string& to, Payload p, DurationUs timeout) override {
    Hosted* h = s_.hosted(id_);
    if (!h) return 0;
    const std::uint64_t ref = h->next_ref++;
    Item item;
    item.kind = ItemKind::message;
    item.number = h->next_number++;
    item.ref = ref;
    item.flag = true;
    item.payload = std::move(p);
    const DurationUs t = timeout > 0 ? timeout : s_.config_.call_timeout;
    Request& r = h->requests[ref];
    r.target = to;
    r.number = item.number;
    std::weak_ptr<bool> alive = s_.alive_;
    r.timer = s_.ctx_.after(t, [svc = &s_, alive, id = id_, ref] {
      if (!alive.expired()) svc->request_timeout(id, ref);
    });
    s_.trace_send(id_, to, item);
    s_.send_item(id_, to, std::move(item));
    return ref;
  }
  void reply(Payload p) override {
    Hosted* h = s_.hosted(id_);
    if (!h || !h->current || !h->current->msg.wants_reply || h->replied) return;
    h->replied = true;
    s_.send_reply(*h, *h->current, true, std::move(p), "");
  }
  std::uint64_t spawn(SpawnSpec spec) override {
    Hosted* h = s_.hosted(id_);
    if (!h) return 0;
    const std::uint64_t ref = h->next_ref++;
    s_.spawn_for(id_, ref, std::move(spec));
    return ref;
  }
  std::uint64_t monitor(const std::string& target) override {
    Hosted* h = s_.hosted(id_);
    if (!h) return 0;
    const std::uint64_t ref = h->next_ref++;
    h->monitoring[ref] = target;
    Item item;
    item.kind = ItemKind::monitor;
    item.ref = ref;
    s_.send_item(id_, target, std::move(item));
    return ref;
  }
  void demonitor(std::uint64_t ref) override {
    Hosted* h = s_.hosted(id_);
    if (!h) return;
    auto it = h->monitoring.find(ref);
    if (it == h->monitoring.end()) return;
    const std::string target = it->second;
    h->monitoring.erase(it);
    Item item;
    item.kind = ItemKind::demonitor;
    item.ref = ref;
    s_.send_item(id_, target, std::move(item));
  }
  void link(const std::string& target) override {
    Hosted* h = s_.hosted(id_);
    if (!h || target == id_) return;
    h->links.insert(target);
    Item item;
    item.kind = ItemKind::link;
    s_.send_item(id_, target, std::move(item));
  }
  void unlink(const std::string& target) override {
    Hosted* h = s_.hosted(id_);
    if (!h || h->links.erase(target) == 0) return;
    Item item;
    item.kind = ItemKind::unlink;
    s_.send_item(id_, target, std::move(item));
  }
  void trap_exit(bool on) override {
    if (Hosted* h = s_.hosted(id_)) h->trap_exit = on;
  }
  void exit(const std::string& target, const std::string& reason) override {
    if (!s_.hosted(id_)) return;
    Item item;
    item.kind = ItemKind::exit;
    item.flag = reason == kKilled;
    item.reason = reason;
    s_.send_item(id_, target, std::move(item));
  }
  std::uint64_t start_timer(DurationUs after, std::string tag) override {
    Hosted* h = s_.hosted(id_);
    if (!h) return 0;
    const std::uint64_t tid = h->next_ref++;
    std::weak_ptr<bool> alive = s_.alive_;
    h->timers[tid] = s_.ctx_.after(std::max<DurationUs>(0, after), [svc = &s_, alive, id = id_, tid, tag = std::move(tag)] {
      if (alive.expired()) return;
      Hosted* hh = svc->hosted(id);
      if (!hh || hh->timers.erase(tid) == 0) return;
      Queued q;
      q.is_message = false;
      q.sig.kind = SignalKind::timer;
      q.sig.ref = tid;
      q.sig.tag = tag;
      svc->enqueue(*hh, std::move(q));
    });
    return tid;
  }
  void cancel_timer(std::uint64_t tid) override {
    Hosted* h = s_.hosted(id_);
    if (!h) return;
    auto it = h->timers.find(tid);
    if (it == h->timers.end()) return;
    s_.ctx_.cancel(it->second);
    h->timers.erase(it);
  }
  void stop(const std::string& reason) override {
    Hosted* h = s_.hosted(id_);
    if (!h || h->stopping) return;
    h->stopping = true;
    h->stop_reason = reason.empty() ? kNormal : reason;
  }

 private:
  AgentService& s_;
  std::string id_;
};

AgentService::AgentService(Node& node, AgentsConfig config, std::shared_ptr<const TypeRegistry> types, std::uint64_t boot)
    : Service(node), config_(config), types_(types ? std::move(types) : builtin_types()), boot_(boot) {
  node_.route<AgentItems>([this](const std::string& f, AgentItems&& m) { on_items(f, std::move(m)); });
  node_.route<AgentAck>([this](const std::string& f, AgentAck&& m) { on_ack(f, std::move(m)); });
  node_.route<AgentGone>([this](const std::string& f, AgentGone&& m) { on_gone(f, std::move(m)); });
  node_.route<AgentMoved>([this](const std::string& f, AgentMoved&& m) { on_moved(f, std::move(m)); });
  node_.route<SpawnRequest>([this](const std::string& f, SpawnRequest&& m) { on_spawn_request(f, std::move(m)); });
  node_.route<SpawnResult>([this](const std::string& f, SpawnResult&& m) { on_spawn_result(f, std::move(m)); });
  node_.route<ReplicaPut>([this](const std::string& f, ReplicaPut&& m) { on_replica_put(f, std::move(m)); });
  node_.route<ReplicaAck>([this](const std::string& f, ReplicaAck&& m) { on_replica_ack(f, std::move(m)); });
  node_.route<AgentPing>([this](const std::string& f, AgentPing&& m) { on_ping(f, std::move(m)); });
  node_.expose<AgentService>(this);
}

AgentService::~AgentService() = default;

void AgentService::start() {
  if (auto st = reserve_serials(); !st) {
    node_.metrics().inc("agent_serial_errors_total");
    if (ctx_.tracing()) ctx_.emit(TraceEvent("agent_error").with("error", st.message()));
  }
  view_ = node_.find<MembershipView>();
  registry_ = node_.find<Registry>();
  if (view_)
    view_handle_ = view_->subscribe([this](const std::string& n, MemberState, MemberState to) {
      if (to == MemberState::down || to == MemberState::left) node_lost(n);
    });
  std::weak_ptr<bool> alive = alive_;
  retransmit_timer_ = ctx_.after(config_.retransmit_interval, [this, alive] {
    if (!alive.expired()) retransmit_tick();
  });
}

void AgentService::stop() {
  // A graceful stop ends every hosted agent (reason shutdown) so monitors and links hear of
  // it before the node goes.
  std::vector<std::string> ids;
  for (const auto& [id, h] : hosted_) ids.push_back(id);
  for (const auto& id : ids) terminate(id, kShutdown);
  flush_all();
  send_acks();
  stopped_ = true;
  if (view_) view_->unsubscribe(view_handle_);
  view_ = nullptr;
}

// ---- ids ----

Status AgentService::reserve_serials() {
  auto records = ctx_.storage().read(kSerialFile);
  std::uint64_t high = 0;
  if (records && !records->empty()) {
    Reader r(records->back());
    if (!r.varint(high)) return Status::corrupt(kSerialFile + ": " + r.error());
  }
  if (next_serial_ <= high) next_serial_ = high + 1;
  if (reserved_upto_ == 0) life_first_serial_ = next_serial_;
  const std::uint64_t upto = next_serial_ + kSerialBlock - 1;
  Writer w;
  w.varint(upto);
  if (auto st = ctx_.storage().rewrite(kSerialFile, {w.take()}); !st) return st;
  reserved_upto_ = upto;
  return Status::ok();
}

Result<std::string> AgentService::mint_id() {
  if (next_serial_ > reserved_upto_) {
    if (auto st = reserve_serials(); !st) return Status::io_error("cannot reserve agent ids: " + st.message());
  }
  return ctx_.self() + "." + std::to_string(next_serial_++);
}

std::string AgentService::client_id(const std::string& label) const {
  return ctx_.self() + ":" + std::to_string(boot_) + ":" + label;
}


AgentService::Hosted* AgentService::hosted(const std::string& id) {
  auto it = hosted_.find(id);
  return it == hosted_.end() ? nullptr : &it->second;
}

std::string AgentService::hosted_by_name(const std::string& name) const {
  for (const auto& [id, h] : hosted_)
    if (h.name == name && h.started) return id;
  return "";
}

// ---- spawning ----

void AgentService::spawn(SpawnSpec spec, std::function<void(Result<std::string>)> done) {
  const std::string spawner = client_id("spawn");
  const std::uint64_t ref = clients_[spawner].next_ref++;
  api_spawns_[ref] = std::move(done);
  spawn_for(spawner, ref, std::move(spec));
}

void AgentService::spawn_for(const std::string& spawner, std::uint64_t ref, SpawnSpec spec) {
  if (spec.node == "best") {
    spawn_finished(spawner, ref, false, "", "node \"best\" needs the placement service, which is not built yet");
    return;
  }
  if (!spec.node.empty() && spec.node != ctx_.self()) {
    remote_spawn(spawner, ref, std::move(spec));
    return;
  }
  spec.node.clear();
  spawn_here(spec, spawner, ref, [this, spawner, ref, spec](Result<std::string> r) {
    if (!r) {
      spawn_finished(spawner, ref, false, "", r.status().message());
      return;
    }
    // A spawner on this node learns of the link or monitor before the child starts, so an
    // early end of the child reaches it.
    if (Hosted* p = hosted(spawner)) {
      if (spec.link) p->links.insert(*r);
      if (spec.monitor) p->monitoring[ref] = *r;
    }
    spawn_finished(spawner, ref, true, *r, "");
  });
}

void AgentService::spawn_here(const SpawnSpec& spec, const std::string& spawner, std::uint64_t spawn_ref,
                              std::function<void(Result<std::string>)> done) {
  auto fail = [&](const std::string& why) {
    node_.metrics().inc("agent_spawn_failures_total");
    if (ctx_.tracing()) {
      TraceEvent e("agent_spawn_failed");
      e.with("type", spec.type);
      if (!spec.name.empty()) e.with("name", spec.name);
      e.with("error", why);
      ctx_.emit(e);
    }
    done(Status::refused(why));
  };
  if (stopped_) return fail("the node is stopping");
  const AgentType* type = types_->find(spec.type);
  if (!type) {
    std::string known;
    for (const auto& n : types_->names()) known += (known.empty() ? "" : ", ") + n;
    return fail("unknown agent type \"" + spec.type + "\" (this node knows " + known + ")");
  }
  const std::uint8_t version = spec.state_version == 0 ? type->version : spec.state_version;
  if (auto st = TypeRegistry::check_state(*type, version); !st) return fail(st.message());
  if (hosted_.size() >= config_.agents_max)
    return fail("this node hosts " + std::to_string(hosted_.size()) + " agents, its agents_max");
  if (!spec.name.empty()) {
    if (!valid_name(spec.name)) return fail("\"" + spec.name + "\" is not a valid agent name ([A-Za-z_][A-Za-z0-9_-]*)");
    if (!registry_) return fail("agent names need the registry (the consensus service), which this node does not run");
  }
  std::unique_ptr<Agent> agent = type->make();
  if (auto st = agent->restore(spec.state, version); !st) return fail("bad state for " + spec.type + ": " + st.message());
  auto id = mint_id();
  if (!id) return fail(id.status().message());
  Hosted& h = hosted_[*id];
  h.id = *id;
  h.name = spec.name;
  h.type = type;
  h.agent = std::move(agent);
  h.ctx = std::make_unique<Ctx>(*this, *id);
  h.durable = spec.durable;
  h.placement = spec.placement;
  if (spec.link && !spawner.empty()) h.links.insert(spawner);
  if (spec.monitor && !spawner.empty()) h.watchers[spawner].insert(spawn_ref);
  if (spec.name.empty()) {
    done(*id);
    start_agent(h);
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  registry_->claim(spec.name, *id, [this, alive, id = *id, spec, done](Result<std::uint64_t> r) {
    if (alive.expired()) return;
    Hosted* hh = hosted(id);
    if (!hh) return;
    if (!r) {
      // Never started: nothing was dispatched, nobody knows the id; its items are refused.
      std::deque<Queued> left = std::move(hh->mailbox);
      hosted_.erase(id);
      add_tombstone(id, kNoproc, {});
      for (auto& q : left)
        if (q.is_message) refuse_queued(id, q, "the agent never started");
      node_.metrics().inc("agent_spawn_failures_total");
      if (ctx_.tracing())
        ctx_.emit(TraceEvent("agent_spawn_failed").with("type", spec.type).with("name", spec.name).with("error", r.status().message()));
      done(r.status());
      return;
    }
    done(id);
    if ((hh = hosted(id))) start_agent(*hh);
  });
}

void AgentService::start_agent(Hosted& h) {
  h.started = true;
  if (!h.name.empty() && registry_ && !registry_->lease_valid() && !config_.bugs.ignore_lease) h.suspended = true;
  node_.metrics().inc("agent_spawns_total");
  node_.metrics().set("agents", static_cast<double>(hosted_.size()));
  if (ctx_.tracing()) {
    TraceEvent e("agent_spawn");
    e.with("agent", h.id).with("type", h.type->name);
    if (!h.name.empty()) e.with("name", h.name);
    if (h.durable) e.with("durable", true);
    if (h.suspended) e.with("suspended", true);
    if (const std::string s = h.agent->summary(); !s.empty()) e.with("state", RawJson{s});
    ctx_.emit(e);
  }
  const std::string id = h.id;
  h.in_handler = true;
  h.agent->start(*h.ctx);
  if (Hosted* hh = hosted(id)) {
    hh->in_handler = false;
    finish_handler(*hh);
  }
  if (Hosted* hh = hosted(id); hh && !hh->mailbox.empty()) schedule_dispatch(*hh);
}

// ---- the mailbox and dispatch ----

void AgentService::enqueue(Hosted& h, Queued q) {
  if (q.is_message) ++h.mailbox_messages;
  h.mailbox.push_back(std::move(q));
  schedule_dispatch(h);
}

bool AgentService::can_dispatch(const Hosted& h) const {
  return h.started && !h.stopping && (!h.suspended || config_.bugs.ignore_lease);
}

void AgentService::schedule_dispatch(Hosted& h) {
  if (h.runnable || !can_dispatch(h) || h.mailbox.empty()) return;
  h.runnable = true;
  runnable_.push_back(h.id);
  if (dispatch_armed_) return;
  dispatch_armed_ = true;
  std::weak_ptr<bool> alive = alive_;
  ctx_.after(0, [this, alive] {
    if (!alive.expired()) run_dispatch();
  });
}

void AgentService::run_dispatch() {
  dispatch_armed_ = false;
  std::deque<std::string> turn;
  turn.swap(runnable_);
  for (const auto& id : turn) {
    Hosted* h = hosted(id);
    if (!h) continue;
    h->runnable = false;
    for (std::size_t k = 0; k < config_.dispatch_batch; ++k) {
      h = hosted(id);
      if (!h || h->mailbox.empty() || !can_dispatch(*h)) break;
      Queued q = std::move(h->mailbox.front());
      h->mailbox.pop_front();
      if (q.is_message) --h->mailbox_messages;
      dispatch_one(*h, std::move(q));
    }
    if ((h = hosted(id))) schedule_dispatch(*h);
  }
  flush_all();
}

void AgentService::dispatch_one(Hosted& h, Queued q) {
  const std::string id = h.id;
  h.in_handler = true;
  if (q.is_message) {
    node_.metrics().inc("agent_messages_in_total");
    h.current = &q;
    h.replied = false;
    if (h.durable) ++h.version;  // the version this message makes: held replies wait for it
    // The duplicate_delivery fault hands the message over twice, each handling traced.
    const int times = config_.bugs.duplicate_delivery ? 2 : 1;
    Hosted* hh = &h;
    for (int i = 0; i < times && hh; ++i) {
      hh->agent->handle(*hh->ctx, q.msg);
      hh = hosted(id);
      if (hh && ctx_.tracing()) {
        TraceEvent e("agent_deliver");
        e.with("msg", q.src + "#" + std::to_string(q.msg.number)).with("agent", id).with("from", q.src);
        if (const std::string s = hh->agent->summary(); !s.empty()) e.with("state", RawJson{s});
        ctx_.emit(e);
      }
    }
    if (!hh) return;
    if (hh->durable) replicate(*hh);
    if (q.msg.wants_reply && !hh->replied) send_reply(*hh, q, true, Payload::json("null"), "");
    hh->current = nullptr;
  } else {
    h.agent->signal(*h.ctx, q.sig);
  }
  if (Hosted* hh = hosted(id)) {
    hh->in_handler = false;
    finish_handler(*hh);
  }
}

void AgentService::finish_handler(Hosted& h) {
  if (h.stopping) terminate(h.id, h.stop_reason);
}

// ---- the end of an agent ----

void AgentService::add_tombstone(const std::string& id, const std::string& reason,
                                 std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> channels) {
  tombstones_[id] = Tombstone{reason, std::move(channels)};
  tombstone_order_.push_back(id);
  while (tombstone_order_.size() > config_.tombstones_max) {
    tombstones_.erase(tombstone_order_.front());
    tombstone_order_.pop_front();
  }
}

void AgentService::refuse_queued(const std::string& id, const Queued& q, const std::string& why) {
  Item r;
  r.kind = ItemKind::reply;
  r.ref = q.request_ref;
  r.number = q.msg.number;
  r.flag = false;
  r.reason = why;
  route(id, q.src, std::move(r));
}

void AgentService::terminate(std::string id, std::string reason_in) {
  // By value: callers pass fields of the record this erases.
  Hosted* hp = hosted(id);
  if (!hp) return;
  const std::string reason = reason_in.empty() ? kNormal : reason_in;
  if (hp->started && !hp->ended_callback) {
    hp->ended_callback = true;
    hp->stopping = true;
    hp->in_handler = true;
    hp->agent->stop(*hp->ctx, reason);
    hp = hosted(id);
    if (!hp) return;
    hp->in_handler = false;
  }
  Hosted h = std::move(*hp);
  // The channels that reached it, so late retransmissions are acknowledged, not refused.
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> chans;
  for (auto it = in_.lower_bound({id, ""}); it != in_.end() && it->first.first == id;) {
    chans[it->first.second] = {it->second.chan, it->second.delivered};
    acks_due_.erase(it->first);
    it = in_.erase(it);
  }
  hosted_.erase(id);
  add_tombstone(id, reason, std::move(chans));
  for (const auto& [tid, timer] : h.timers) ctx_.cancel(timer);
  for (const auto& [ref, r] : h.requests) ctx_.cancel(r.timer);
  for (auto it = spawns_.lower_bound({id, 0}); it != spawns_.end() && it->first.first == id;) {
    ctx_.cancel(it->second.retry);
    ctx_.cancel(it->second.timeout);
    it = spawns_.erase(it);
  }
  node_.metrics().set("agents", static_cast<double>(hosted_.size()));
  node_.metrics().inc("agent_stops_total");
  if (h.started) trace_stop(h, reason);
  // What waited in the mailbox was never handled: each sender is told.
  for (const auto& q : h.mailbox)
    if (q.is_message) refuse_queued(id, q, "agent " + id + " ended (" + reason + ") before handling it");
  for (const auto& [ref, target] : h.monitoring) {
    Item d;
    d.kind = ItemKind::demonitor;
    d.ref = ref;
    send_item(id, target, std::move(d));
  }
  for (const auto& [watcher, refs] : h.watchers)
    for (std::uint64_t ref : refs) {
      Item d;
      d.kind = ItemKind::down;
      d.ref = ref;
      d.reason = reason;
      route(id, watcher, std::move(d));
    }
  for (const auto& other : h.links) {
    Item e;
    e.kind = ItemKind::exit;
    e.ref = 1;  // carried by a link
    e.reason = reason;
    send_item(id, other, std::move(e));
  }
  if (h.durable) drop_replicas(h);
  if (!h.name.empty() && registry_ && h.started && !h.name_lost) registry_->release(h.name, id);
}

void AgentService::trace_stop(const Hosted& h, const std::string& reason) {
  if (!ctx_.tracing()) return;
  TraceEvent e("agent_stop");
  e.with("agent", h.id).with("reason", reason);
  if (!h.name.empty()) e.with("name", h.name);
  ctx_.emit(e);
}

// ---- the name lease ----

void AgentService::on_lease(bool valid) {
  for (auto& [id, h] : hosted_) {
    if (h.name.empty() || !h.started || h.suspended == !valid) continue;
    h.suspended = !valid;
    if (ctx_.tracing())
      ctx_.emit(TraceEvent(valid ? "agent_resume" : "agent_suspend").with("agent", id).with("name", h.name).with("why", "lease"));
  }
  if (valid)
    for (auto& [id, h] : hosted_) schedule_dispatch(h);
}

void AgentService::on_names_lost(const std::vector<std::string>& names) {
  std::vector<std::string> ids;
  for (const auto& [id, h] : hosted_)
    if (!h.name.empty() && std::find(names.begin(), names.end(), h.name) != names.end()) ids.push_back(id);
  for (const auto& id : ids) {
    if (Hosted* h = hosted(id)) h->name_lost = true;  // freed by the registry already
    terminate(id, kLeaseExpired);
  }
}

// ---- introspection ----

std::vector<AgentInfo> AgentService::agents() const {
  std::vector<AgentInfo> out;
  for (const auto& [id, h] : hosted_) {
    if (!h.started) continue;
    out.push_back(AgentInfo{id, h.name, h.type->name, h.durable, h.suspended, h.mailbox_messages, h.agent->summary()});
  }
  return out;
}

std::size_t AgentService::mailbox_depth() const {
  std::size_t n = 0;
  for (const auto& [id, h] : hosted_) n += h.mailbox_messages;
  return n;
}

}  // namespace mabeam::agents
