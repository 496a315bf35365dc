// Signals of the agent service (see service.h): monitors, links and exits as they reach an
// agent, replies to requests, the node's clients (calls, kills, their outcomes), and spawns
// on other nodes.
#include "engine/agents/ids.h"
#include "engine/agents/registry.h"
#include "engine/agents/service.h"

namespace mabeam::agents {

namespace {
constexpr std::size_t kSpawnAnswersMax = 4096;
constexpr std::size_t kClientCallsMax = 65536;
}  // namespace

// ---- signals reaching an agent ----

void AgentService::accept_signal(Hosted& h, const std::string& src, Item& item) {
  const std::string id = h.id;
  switch (item.kind) {
    case ItemKind::monitor: h.watchers[src].insert(item.ref); return;
    case ItemKind::demonitor: {
      auto w = h.watchers.find(src);
      if (w != h.watchers.end() && w->second.erase(item.ref) && w->second.empty()) h.watchers.erase(w);
      return;
    }
    case ItemKind::down: fire_down(id, item.ref, src, item.reason); return;
    case ItemKind::link: h.links.insert(src); return;
    case ItemKind::unlink: h.links.erase(src); return;
    case ItemKind::exit: {
      const bool via_link = item.ref == 1;
      if (via_link && h.links.erase(src) == 0) return;  // unlinked meanwhile: ignored, as in Erlang
      deliver_exit(id, src, item.reason, via_link, item.flag);
      return;
    }
    case ItemKind::reply: {
      Queued q;
      q.is_message = false;
      if (item.ref == 0) {
        // A plain send that was accepted but never handled (the agent ended first).
        trace_outcome(id + "#" + std::to_string(item.number), Outcome{Outcome::Kind::refused, "", item.reason, src});
        q.sig.kind = SignalKind::undeliverable;
      } else {
        auto r = h.requests.find(item.ref);
        if (r == h.requests.end()) return;  // it timed out already
        ctx_.cancel(r->second.timer);
        trace_outcome(id + "#" + std::to_string(r->second.number),
                      Outcome{item.flag ? Outcome::Kind::ok : Outcome::Kind::refused, item.payload.text(), item.reason, src});
        h.requests.erase(r);
        q.sig.kind = SignalKind::reply;
        q.sig.ref = item.ref;
        q.sig.ok = item.flag;
        q.sig.body = std::move(item.payload);
      }
      q.sig.from = src;
      q.sig.reason = item.reason;
      enqueue(h, std::move(q));
      return;
    }
    case ItemKind::spawned: {
      auto p = spawns_.find({id, item.ref});
      if (p == spawns_.end()) {
        // Its spawner gave up on it: the child does not live on unsupervised.
        Item kill;
        kill.kind = ItemKind::exit;
        kill.flag = true;
        kill.reason = kKilled;
        route(id, src, std::move(kill));
        return;
      }
      if (p->second.spec.link) h.links.insert(src);
      if (p->second.spec.monitor) h.monitoring[item.ref] = src;
      ctx_.cancel(p->second.retry);
      ctx_.cancel(p->second.timeout);
      spawns_.erase(p);
      Queued q;
      q.is_message = false;
      q.sig.kind = SignalKind::spawned;
      q.sig.ref = item.ref;
      q.sig.ok = true;
      q.sig.from = src;
      enqueue(h, std::move(q));
      return;
    }
    case ItemKind::message: return;  // accept() handles messages
  }
}

void AgentService::deliver_exit(const std::string& id, const std::string& from, const std::string& reason, bool via_link,
                                bool untrappable) {
  Hosted* h = hosted(id);
  if (!h) return;
  const bool trapped = !untrappable && h->trap_exit;
  if (!untrappable && !trapped && reason == kNormal) return;  // a normal exit ends nobody
  node_.metrics().inc("agent_exits_total");
  if (ctx_.tracing())
    ctx_.emit(TraceEvent("agent_exit").with("agent", id).with("from", from).with("reason", reason).with("trapped", trapped).with("link", via_link));
  if (trapped) {
    Queued q;
    q.is_message = false;
    q.sig.kind = SignalKind::exit;
    q.sig.from = from;
    q.sig.reason = reason;
    enqueue(*h, std::move(q));
    return;
  }
  // An untrappable exit ends it with its reason ("killed" for a plain kill).
  const std::string why = reason.empty() ? std::string(kKilled) : reason;
  if (h->in_handler) {
    h->stopping = true;
    h->stop_reason = why;
    return;
  }
  terminate(id, why);
}

void AgentService::request_timeout(const std::string& id, std::uint64_t ref) {
  Hosted* h = hosted(id);
  if (!h) return;
  auto r = h->requests.find(ref);
  if (r == h->requests.end()) return;
  trace_outcome(id + "#" + std::to_string(r->second.number), Outcome{Outcome::Kind::unknown, "", "timeout", r->second.target});
  Queued q;
  q.is_message = false;
  q.sig.kind = SignalKind::reply;
  q.sig.ref = ref;
  q.sig.from = r->second.target;
  q.sig.reason = "timeout";
  h->requests.erase(r);
  enqueue(*h, std::move(q));
}

void AgentService::send_reply(Hosted& h, const Queued& q, bool ok, Payload p, const std::string& reason) {
  Item r;
  r.kind = ItemKind::reply;
  r.ref = q.request_ref;
  r.number = q.msg.number;
  r.flag = ok;
  r.payload = std::move(p);
  r.reason = reason;
  if (h.durable && ok) {
    hold_until_replicated(h, [this, id = h.id, src = q.src, r]() mutable { route(id, src, std::move(r)); });
    return;
  }
  route(h.id, q.src, std::move(r));
}

// ---- clients ----

void AgentService::call(const std::string& label, const std::string& to, Payload p, DurationUs timeout, OutcomeFn done,
                        std::function<void()> enqueued) {
  const std::string cid = client_id(label);
  Client& c = clients_[cid];
  const std::uint64_t ref = c.next_ref++;
  Item item;
  item.kind = ItemKind::message;
  item.number = c.next_number++;
  item.ref = ref;
  item.flag = true;
  item.payload = std::move(p);
  const std::string msg_id = cid + "#" + std::to_string(item.number);
  trace_send(cid, to, item);
  if (c.calls.size() >= kClientCallsMax || stopped_) {
    Outcome o{Outcome::Kind::refused, "", "too many calls in flight from this node's client " + label, ""};
    trace_outcome(msg_id, o);
    done(o);
    return;
  }
  ClientCall& call = c.calls[ref];
  call.done = std::move(done);
  call.enqueued = std::move(enqueued);
  call.msg_id = msg_id;
  std::weak_ptr<bool> alive = alive_;
  call.timer = ctx_.after(timeout > 0 ? timeout : config_.call_timeout, [this, alive, cid, ref] {
    if (alive.expired()) return;
    auto cl = clients_.find(cid);
    if (cl == clients_.end()) return;
    auto it = cl->second.calls.find(ref);
    if (it == cl->second.calls.end()) return;
    it->second.timer = 0;
    // Never left this node and never reached a mailbox (its name did not resolve in time):
    // certainly not handled.
    const bool sent = it->second.sent || (!it->second.target.empty() && hosts(it->second.target));
    complete_call(cid, ref, Outcome{sent ? Outcome::Kind::unknown : Outcome::Kind::refused, "",
                                    sent ? "timeout: no answer in time (it may have been handled)"
                                         : "timeout: the name did not resolve in time",
                                    it->second.target});
  });
  send_item(cid, to, std::move(item));
}

void AgentService::kill(const std::string& label, const std::string& target, const std::string& reason, OutcomeFn done) {
  const std::string cid = client_id(label);
  Client& c = clients_[cid];
  const std::uint64_t ref = c.next_ref++;
  ClientCall& call = c.calls[ref];
  call.done = std::move(done);
  std::weak_ptr<bool> alive = alive_;
  call.timer = ctx_.after(config_.call_timeout, [this, alive, cid, ref] {
    if (!alive.expired()) complete_call(cid, ref, Outcome{Outcome::Kind::unknown, "", "timeout", ""});
  });
  Item item;
  item.kind = ItemKind::exit;
  item.number = ref;  // the call it completes
  item.flag = true;   // untrappable
  item.reason = reason.empty() ? kKilled : reason;
  send_item(cid, target, std::move(item));
}

void AgentService::client_item(const std::string& client, const std::string& src, Item item) {
  if (item.kind == ItemKind::reply) {
    Outcome o{item.flag ? Outcome::Kind::ok : Outcome::Kind::refused, item.flag ? item.payload.text() : "", item.reason, src};
    if (o.kind == Outcome::Kind::ok && o.reply.empty()) o.reply = "null";
    complete_call(client, item.ref, o);
    return;
  }
  if (item.kind == ItemKind::spawned) {
    auto p = spawns_.find({client, item.ref});
    if (p == spawns_.end()) {
      Item kill;
      kill.kind = ItemKind::exit;
      kill.flag = true;
      kill.reason = kKilled;
      route(client, src, std::move(kill));
      return;
    }
    ctx_.cancel(p->second.retry);
    ctx_.cancel(p->second.timeout);
    spawns_.erase(p);
    spawn_finished(client, item.ref, true, src, "");
  }
  // Monitors and links are agents' business; a client ignores other items.
}

void AgentService::complete_call(const std::string& client, std::uint64_t ref, Outcome o) {
  auto cl = clients_.find(client);
  if (cl == clients_.end()) return;
  auto it = cl->second.calls.find(ref);
  if (it == cl->second.calls.end()) return;
  ClientCall call = std::move(it->second);
  cl->second.calls.erase(it);
  if (call.timer) ctx_.cancel(call.timer);
  if (o.agent.empty()) o.agent = call.target;
  if (!call.msg_id.empty()) trace_outcome(call.msg_id, o);
  if (call.done) call.done(o);
}

// ---- spawns on other nodes ----

void AgentService::spawn_finished(const std::string& spawner, std::uint64_t ref, bool ok, const std::string& id,
                                  const std::string& error) {
  if (is_client_endpoint(spawner)) {
    auto it = api_spawns_.find(ref);
    if (it == api_spawns_.end()) return;
    auto done = std::move(it->second);
    api_spawns_.erase(it);
    if (ok) done(id);
    else done(Status::refused(error));
    return;
  }
  Hosted* h = hosted(spawner);
  if (!h) {
    // The spawner ended before its child started: the child does not outlive it.
    if (ok) {
      Item kill;
      kill.kind = ItemKind::exit;
      kill.flag = true;
      kill.reason = kKilled;
      route(spawner, id, std::move(kill));
    }
    return;
  }
  Queued q;
  q.is_message = false;
  q.sig.kind = SignalKind::spawned;
  q.sig.ref = ref;
  q.sig.ok = ok;
  q.sig.from = id;
  q.sig.reason = error;
  enqueue(*h, std::move(q));
}

void AgentService::remote_spawn(const std::string& spawner, std::uint64_t ref, SpawnSpec spec) {
  if (node_down(spec.node)) {
    spawn_finished(spawner, ref, false, "", std::string(kNoconnection) + ": node " + spec.node + " is down");
    return;
  }
  const auto key = std::make_pair(spawner, ref);
  PendingSpawn& p = spawns_[key];
  p.node = spec.node;
  p.spec = std::move(spec);
  std::weak_ptr<bool> alive = alive_;
  p.timeout = ctx_.after(config_.spawn_timeout, [this, alive, key] {
    if (alive.expired()) return;
    auto it = spawns_.find(key);
    if (it == spawns_.end()) return;
    ctx_.cancel(it->second.retry);
    const std::string node = it->second.node;
    spawns_.erase(it);
    spawn_finished(key.first, key.second, false, "", "no answer from node " + node + " in time");
  });
  spawn_attempt(spawner, ref);
}

void AgentService::spawn_attempt(const std::string& spawner, std::uint64_t ref) {
  auto it = spawns_.find({spawner, ref});
  if (it == spawns_.end() || it->second.answered) return;
  SpawnRequest m;
  m.spawner = spawner;
  m.req = ref;
  m.spec = it->second.spec;
  ctx_.send_msg(it->second.node, m);
  std::weak_ptr<bool> alive = alive_;
  it->second.retry = ctx_.after(config_.retransmit_interval, [this, alive, spawner, ref] {
    if (!alive.expired()) spawn_attempt(spawner, ref);
  });
}

void AgentService::on_spawn_request(const std::string& from, SpawnRequest&& m) {
  if (stopped_) return;
  const auto key = std::make_pair(m.spawner, m.req);
  if (auto a = spawn_answers_.find(key); a != spawn_answers_.end()) {
    if (a->second.req != 0) ctx_.send_msg(from, a->second);  // req 0: still being spawned
    return;
  }
  spawn_answers_[key] = SpawnResult{};
  spawn_answer_order_.push_back(key);
  while (spawn_answer_order_.size() > kSpawnAnswersMax) {
    spawn_answers_.erase(spawn_answer_order_.front());
    spawn_answer_order_.pop_front();
  }
  SpawnSpec spec = std::move(m.spec);
  spec.node.clear();
  std::weak_ptr<bool> alive = alive_;
  spawn_here(spec, m.spawner, m.req, [this, alive, from, key](Result<std::string> r) {
    if (alive.expired()) return;
    SpawnResult res;
    res.spawner = key.first;
    res.req = key.second;
    res.ok = r.is_ok();
    if (r) {
      res.id = *r;
      // The child's first item to its spawner: anything it sends later comes after it.
      Item s;
      s.kind = ItemKind::spawned;
      s.ref = key.second;
      route(*r, key.first, std::move(s));
    } else {
      res.error = r.status().message();
    }
    if (auto a = spawn_answers_.find(key); a != spawn_answers_.end()) a->second = res;
    ctx_.send_msg(from, res);
  });
}

void AgentService::on_spawn_result(const std::string&, SpawnResult&& m) {
  auto it = spawns_.find({m.spawner, m.req});
  if (it == spawns_.end()) return;
  if (m.ok) {
    // Started: its `spawned` item follows on its channel (reliable, and before anything else
    // the child sends), so stop asking and stop counting down.
    it->second.answered = true;
    ctx_.cancel(it->second.retry);
    ctx_.cancel(it->second.timeout);
    return;
  }
  ctx_.cancel(it->second.retry);
  ctx_.cancel(it->second.timeout);
  spawns_.erase(it);
  spawn_finished(m.spawner, m.req, false, "", m.error);
}

}  // namespace mabeam::agents
