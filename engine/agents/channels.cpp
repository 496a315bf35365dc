// Routing and channels of the agent service (see service.h and messages.h): where an
// endpoint lives, items handed over on this node, channels to other nodes (numbering,
// batching, retransmission, acknowledgement, reordering, forwarding), and what a sender is
// told when an item cannot be delivered.
#include <algorithm>
#include <cstdlib>

#include "engine/agents/ids.h"
#include "engine/agents/json.h"
#include "engine/agents/registry.h"
#include "engine/agents/service.h"

namespace mabeam::agents {

namespace {
constexpr std::uint8_t kForwardHopsMax = 4;
constexpr DurationUs kOutChannelIdle = sec(5);   // an empty channel is dropped after this
constexpr DurationUs kInChannelIdle = sec(60);   // longer than the sender's, so a channel is never reused unknown
}  // namespace


std::string AgentService::locate(const std::string& dst) const {
  if (auto f = forward_.find(dst); f != forward_.end()) return f->second;
  if (auto c = location_cache_.find(dst); c != location_cache_.end()) return c->second;
  return node_in_id(dst);
}

bool AgentService::node_down(const std::string& node) const {
  if (!view_ || node == ctx_.self()) return false;
  const MemberState s = view_->state_of(node);
  return s == MemberState::down || s == MemberState::left;
}

void AgentService::trace_send(const std::string& src, const std::string& to, const Item& item) {
  node_.metrics().inc("agent_messages_out_total");
  if (!ctx_.tracing()) return;
  TraceEvent e("agent_send");
  e.with("msg", src + "#" + std::to_string(item.number)).with("from", src).with("to", to);
  if (item.payload.type == kJsonType) {
    const std::string text = item.payload.text();
    if (text.size() <= 1024 && Json::parse(text)) e.with("body", RawJson{text});
    else e.with("bytes", static_cast<std::uint64_t>(item.payload.body.size()));
  } else {
    e.with("type", item.payload.type).with("bytes", static_cast<std::uint64_t>(item.payload.body.size()));
  }
  ctx_.emit(e);
}

void AgentService::trace_outcome(const std::string& msg_id, const Outcome& o) {
  if (o.kind != Outcome::Kind::ok) node_.metrics().inc(std::string("agent_outcomes_") + to_string(o.kind) + "_total");
  if (!ctx_.tracing()) return;
  TraceEvent e("agent_outcome");
  e.with("msg", msg_id).with("outcome", to_string(o.kind));
  if (!o.agent.empty()) e.with("agent", o.agent);
  if (!o.error.empty()) e.with("error", o.error);
  if (o.kind == Outcome::Kind::ok && !o.reply.empty() && o.reply.size() <= 1024 && Json::parse(o.reply))
    e.with("reply", RawJson{o.reply});
  ctx_.emit(e);
}

// ---- sending ----

void AgentService::send_item(const std::string& src, const std::string& to, Item item, bool retried) {
  if (is_agent_id(to) || is_client_endpoint(to)) {
    route(src, to, std::move(item), "", retried);
    return;
  }
  OutItem failed;
  failed.item = std::move(item);
  if (!valid_name(to)) {
    item_failed(src, to, failed, kNoproc, true, "\"" + to + "\" is neither an agent id nor an agent name");
    return;
  }
  if (!registry_ || !registry_->available()) {
    item_failed(src, to, failed, kNoproc, true, "no agent named \"" + to + "\" (names need config.agents.sequencer or the consensus service)");
    return;
  }
  const auto key = std::make_pair(src, to);
  auto wait = name_waits_.find(key);
  if (wait == name_waits_.end()) {
    const std::string id = registry_->cached(to);
    if (!id.empty()) {
      route(src, id, std::move(failed.item), to, retried);
      return;
    }
    wait = name_waits_.emplace(key, NameWait{}).first;
  }
  // Later items from the same sender to the same name wait behind it, in order.
  wait->second.items.push_back(std::move(failed.item));
  wait->second.retried = wait->second.retried || retried;
  resolve_name(to);
}

void AgentService::resolve_name(const std::string& name) {
  if (!resolving_.insert(name).second) return;
  std::weak_ptr<bool> alive = alive_;
  registry_->whereis(name, [this, alive, name](Result<std::string> r) {
    if (alive.expired()) return;
    name_resolved(name, r ? *r : "", r ? "" : r.status().message());
  });
}

void AgentService::name_resolved(const std::string& name, const std::string& id, const std::string& error) {
  resolving_.erase(name);
  std::vector<std::pair<std::string, NameWait>> ready;
  for (auto it = name_waits_.begin(); it != name_waits_.end();) {
    if (it->first.second == name) {
      ready.emplace_back(it->first.first, std::move(it->second));
      it = name_waits_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [src, wait] : ready)
    for (auto& item : wait.items) {
      if (!id.empty()) {
        route(src, id, std::move(item), name, wait.retried);
      } else {
        OutItem f;
        f.item = std::move(item);
        item_failed(src, name, f, kNoproc, true, error);
      }
    }
}

void AgentService::route(const std::string& src, const std::string& dst, Item item, const std::string& via_name,
                         bool retried) {
  if (item.kind == ItemKind::message && !via_name.empty()) {
    if (routed_by_name_.size() >= kRoutedByNameMax) routed_by_name_.erase(routed_by_name_.begin());
    std::uint64_t& last = routed_by_name_[{src, via_name}];
    last = std::max(last, item.number);
  }
  // What a sender remembers of its own items needs the id a name resolved to.
  if (Hosted* s = hosted(src)) {
    if (item.kind == ItemKind::monitor) s->monitoring[item.ref] = dst;
    if (item.kind == ItemKind::link && !via_name.empty() && s->links.erase(via_name)) s->links.insert(dst);
    if (item.kind == ItemKind::message && item.ref != 0)
      if (auto r = s->requests.find(item.ref); r != s->requests.end()) r->second.target = dst;
  } else if (item.kind == ItemKind::message && is_client_endpoint(src)) {
    auto c = clients_.find(src);
    if (c == clients_.end()) return;
    auto call = c->second.calls.find(item.ref);
    if (call == c->second.calls.end()) return;  // it timed out while the name resolved: never sent
    call->second.target = dst;
  }
  if (hosted(dst)) {
    const bool client_message = item.kind == ItemKind::message && is_client_endpoint(src);
    const std::uint64_t ref = item.ref;
    std::string refusal = accept(src, dst, item);
    OutItem oi;
    oi.item = std::move(item);
    if (!refusal.empty()) {
      item_failed(src, dst, oi, refusal, true);
      return;
    }
    // In the agent's mailbox: from here on it may be handled, so a timeout is unknown.
    if (client_message)
      if (auto c = clients_.find(src); c != clients_.end())
        if (auto call = c->second.calls.find(ref); call != c->second.calls.end()) call->second.sent = true;
    item_acked(src, dst, oi.item);
    return;
  }
  const std::string node = locate(dst);
  if (is_client_endpoint(dst) && node == ctx_.self()) {
    client_item(dst, src, std::move(item));
    return;
  }
  OutItem oi;
  oi.item = std::move(item);
  oi.via_name = via_name;
  oi.retried = retried;
  if (node.empty()) {
    item_failed(src, dst, oi, kNoproc, true, "\"" + dst + "\" names no node");
    return;
  }
  if (node == ctx_.self()) {
    // One of this node's ids that it does not host: it ended (or never started) here.
    auto t = tombstones_.find(dst);
    item_failed(src, dst, oi, kNoproc, true, t != tombstones_.end() ? "agent " + dst + " ended (" + t->second.reason + ")" : "");
    return;
  }
  if (node_down(node)) {
    item_failed(src, dst, oi, kNoconnection, true, "node " + node + " is down");
    return;
  }
  const auto key = std::make_pair(src, dst);
  auto [it, fresh] = out_.try_emplace(key);
  OutChannel& c = it->second;
  if (fresh) {
    c.chan = (boot_ << 32) | next_chan_++;
    c.node = node;
    c.last_activity = ctx_.now();
  }
  if (c.items.size() >= config_.channel_items_max) {
    node_.metrics().inc("agent_channel_full_total");
    item_failed(src, dst, oi, "channel_full", true,
                std::to_string(c.items.size()) + " items to " + dst + " wait for an acknowledgement (channel_items_max)");
    return;
  }
  oi.seq = c.next_seq++;
  c.items.push_back(std::move(oi));
  flush_due_.insert(key);
  arm_flush();
}

void AgentService::arm_flush() {
  if (flush_armed_) return;
  flush_armed_ = true;
  std::weak_ptr<bool> alive = alive_;
  ctx_.after(0, [this, alive] {
    if (alive.expired()) return;
    flush_armed_ = false;
    flush_all();
  });
}

void AgentService::flush_all() {
  std::set<std::pair<std::string, std::string>> due;
  due.swap(flush_due_);
  for (const auto& key : due) {
    auto it = out_.find(key);
    if (it != out_.end()) flush_channel(key, it->second, false);
  }
  send_acks();
}

void AgentService::flush_channel(const std::pair<std::string, std::string>& key, OutChannel& c, bool retransmit) {
  AgentItems m;
  m.src = key.first;
  m.dst = key.second;
  m.chan = c.chan;
  m.acked = c.acked;
  auto send_batch = [&] {
    if (m.items.empty()) return;
    ctx_.send_msg(c.node, m);
    node_.metrics().inc("agent_item_batches_total");
    m.items.clear();
  };
  std::size_t budget = retransmit ? config_.batch_items_max : SIZE_MAX;
  for (auto& oi : c.items) {
    if (!retransmit && oi.sent) continue;
    if (budget-- == 0) break;
    if (m.items.empty()) m.first_seq = oi.seq;
    if (!oi.sent && oi.item.kind == ItemKind::message && is_client_endpoint(m.src)) {
      if (auto cl = clients_.find(m.src); cl != clients_.end())
        if (auto call = cl->second.calls.find(oi.item.ref); call != cl->second.calls.end()) {
          call->second.sent = true;
          call->second.node = c.node;
        }
    }
    if (oi.sent) node_.metrics().inc("agent_items_retransmitted_total");
    oi.sent = true;
    m.items.push_back(oi.item);
    if (m.items.size() >= config_.batch_items_max) send_batch();
  }
  send_batch();
  c.last_sent = ctx_.now();
  c.last_activity = ctx_.now();
}

void AgentService::send_acks() {
  std::set<std::pair<std::string, std::string>> due;
  due.swap(acks_due_);
  for (const auto& key : due) {
    auto it = in_.find(key);
    if (it == in_.end()) continue;
    InChannel& c = it->second;
    AgentAck a;
    a.src = key.second;
    a.dst = key.first;
    a.chan = c.chan;
    a.upto = c.delivered;
    a.boot = boot_;
    a.first_serial = life_first_serial_;
    a.refused.assign(c.refusals.begin(), c.refusals.end());
    ctx_.send_msg(c.reply_node, a);
  }
}

void AgentService::retransmit_tick() {
  if (stopped_) return;
  const TimeUs now = ctx_.now();
  for (auto it = out_.begin(); it != out_.end();) {
    OutChannel& c = it->second;
    if (c.items.empty()) {
      if (now - c.last_activity > kOutChannelIdle) {
        it = out_.erase(it);
        continue;
      }
    } else if (now - c.last_sent >= config_.retransmit_interval) {
      flush_channel(it->first, c, true);
    }
    ++it;
  }
  for (auto it = in_.begin(); it != in_.end();) {
    if (it->second.early.empty() && now - it->second.last_activity > kInChannelIdle) it = in_.erase(it);
    else ++it;
  }
  retransmit_replicas();
  probe_peers();
  std::weak_ptr<bool> alive = alive_;
  retransmit_timer_ = ctx_.after(config_.retransmit_interval, [this, alive] {
    if (!alive.expired()) retransmit_tick();
  });
}

// ---- receiving ----

std::string AgentService::accept(const std::string& src, const std::string& dst, Item& item) {
  Hosted& h = *hosted(dst);
  if (item.kind != ItemKind::message) {
    accept_signal(h, src, item);
    return "";
  }
  if (auto st = TypeRegistry::check_message(*h.type, item.payload.type, item.payload.version); !st) {
    node_.metrics().inc("agent_refused_type_total");
    if (ctx_.tracing())
      ctx_.emit(TraceEvent("agent_refused").with("agent", dst).with("msg", src + "#" + std::to_string(item.number)).with("reason", st.message()));
    return st.message();
  }
  if (h.mailbox_messages >= config_.mailbox_max) {
    node_.metrics().inc("agent_mailbox_full_total");
    if (ctx_.tracing())
      ctx_.emit(TraceEvent("agent_refused").with("agent", dst).with("msg", src + "#" + std::to_string(item.number)).with("reason", "mailbox_full"));
    return "mailbox_full: agent " + dst + " holds " + std::to_string(h.mailbox_messages) + " messages (mailbox_max)";
  }
  Queued q;
  q.src = src;
  q.msg.from = src;
  q.msg.payload = std::move(item.payload);
  q.msg.wants_reply = item.flag;
  q.msg.number = item.number;
  q.request_ref = item.ref;
  if (config_.bugs.ack_without_delivery) {
    // The test-only bug: told it was handled, never handled.
    if (q.msg.wants_reply) send_reply(h, q, true, Payload::json("null"), "");
    return "";
  }
  enqueue(h, std::move(q));
  return "";
}

void AgentService::take_item(const std::pair<std::string, std::string>& key, std::uint64_t seq, Item item) {
  const std::string dst = key.first;
  const std::string src = key.second;
  if (hosted(dst)) {
    const std::string refusal = accept(src, dst, item);
    if (!refusal.empty())
      if (auto it = in_.find(key); it != in_.end() && it->second.refusals.size() < config_.channel_items_max)
        it->second.refusals.push_back(Refusal{seq, refusal});
  } else if (is_client_endpoint(dst)) {
    client_item(dst, src, std::move(item));
  }
}

void AgentService::on_items(const std::string& from, AgentItems&& m) {
  if (stopped_) return;
  const bool client_here = is_client_endpoint(m.dst) && clients_.count(m.dst) != 0;
  if (hosted(m.dst) || client_here) {
    const auto key = std::make_pair(m.dst, m.src);
    {
      InChannel& c = in_[key];
      if (c.chan != m.chan) {
        if (m.chan < c.chan) return;  // a stale channel: its items were failed at the sender
        c = InChannel{};
        c.chan = m.chan;
        // A channel this node forgot (idle past kInChannelIdle) resumes where the sender is.
        if (m.first_seq > 1 && m.acked + 1 >= m.first_seq) c.delivered = m.first_seq - 1;
      }
      c.reply_node = from;
      c.last_activity = ctx_.now();
      while (!c.refusals.empty() && c.refusals.front().seq <= m.acked) c.refusals.pop_front();
    }
    for (std::size_t k = 0; k < m.items.size(); ++k) {
      const std::uint64_t seq = m.first_seq + k;
      auto it = in_.find(key);
      if (it == in_.end()) break;  // the agent ended meanwhile; the rest is answered on retransmission
      InChannel& c = it->second;
      if (seq <= c.delivered) continue;  // a duplicate
      if (seq != c.delivered + 1 && !config_.bugs.no_reorder_buffer) {
        if (c.early.size() < config_.early_items_max) c.early.emplace(seq, std::move(m.items[k]));
        continue;
      }
      c.delivered = seq;
      take_item(key, seq, std::move(m.items[k]));
      while (true) {
        auto again = in_.find(key);
        if (again == in_.end()) break;
        InChannel& cc = again->second;
        auto e = cc.early.find(cc.delivered + 1);
        if (e == cc.early.end()) break;
        Item next = std::move(e->second);
        cc.early.erase(e);
        const std::uint64_t s = ++cc.delivered;
        take_item(key, s, std::move(next));
      }
    }
    if (in_.count(key)) {
      acks_due_.insert(key);
      arm_flush();
    }
    return;
  }
  if (auto f = forward_.find(m.dst); f != forward_.end()) {
    if (m.hops < kForwardHopsMax) {
      ++m.hops;
      ctx_.send_msg(f->second, m);
      node_.metrics().inc("agent_items_forwarded_total");
    }
    AgentMoved mv;
    mv.id = m.dst;
    mv.node = f->second;
    ctx_.send_msg(from, mv);
    return;
  }
  // Not here. Whether the items certainly did not reach it: see service.h.
  if (is_client_endpoint(m.dst) || node_in_id(m.dst) != ctx_.self()) {
    gone_answer(from, m, kNoproc, node_in_id(m.dst) == ctx_.self(), 0);
    return;
  }
  if (auto t = tombstones_.find(m.dst); t != tombstones_.end()) {
    std::uint64_t upto = 0;
    if (auto ch = t->second.channels.find(m.src); ch != t->second.channels.end()) {
      if (m.chan < ch->second.first) return;  // stale
      if (m.chan == ch->second.first) upto = ch->second.second;
    }
    gone_answer(from, m, t->second.reason, true, upto);
    return;
  }
  const std::uint64_t serial = serial_in_id(m.dst);
  // Never minted: certain. Minted in an earlier life, or its tombstone forgotten: not.
  gone_answer(from, m, kNoproc, serial >= next_serial_, 0);
}

void AgentService::gone_answer(const std::string& to, const AgentItems& m, const std::string& reason, bool certain,
                               std::uint64_t upto) {
  AgentGone g;
  g.src = m.src;
  g.dst = m.dst;
  g.chan = m.chan;
  g.upto = upto;
  g.certain = certain;
  g.reason = reason;
  g.boot = boot_;
  g.first_serial = life_first_serial_;
  ctx_.send_msg(to, g);
}

void AgentService::on_ack(const std::string& from, AgentAck&& m) {
  note_boot(from, m.boot, m.first_serial);
  auto it = out_.find({m.src, m.dst});
  if (it == out_.end() || it->second.chan != m.chan) return;
  OutChannel& c = it->second;
  std::map<std::uint64_t, std::string> refused;
  for (auto& f : m.refused) refused[f.seq] = std::move(f.reason);
  std::vector<OutItem> done;
  while (!c.items.empty() && c.items.front().seq <= m.upto) {
    done.push_back(std::move(c.items.front()));
    c.items.pop_front();
  }
  c.acked = std::max(c.acked, m.upto);
  c.last_activity = ctx_.now();
  for (const auto& oi : done) {
    auto r = refused.find(oi.seq);
    if (r != refused.end()) item_failed(m.src, m.dst, oi, r->second.rfind("mailbox_full", 0) == 0 ? "mailbox_full" : "refused", true, r->second);
    else item_acked(m.src, m.dst, oi.item);
  }
}

void AgentService::on_gone(const std::string& from, AgentGone&& m) {
  note_boot(from, m.boot, m.first_serial);
  auto it = out_.find({m.src, m.dst});
  if (it == out_.end() || it->second.chan != m.chan) return;
  OutChannel c = std::move(it->second);
  out_.erase(it);
  for (const auto& oi : c.items) {
    if (oi.seq <= m.upto) item_acked(m.src, m.dst, oi.item);
    else item_failed(m.src, m.dst, oi, m.reason == kNoproc || m.certain ? m.reason : kNoproc, m.certain || !oi.sent,
                     m.certain ? "" : "its node restarted: it may have been handled before", m.certain);
  }
  // Monitors and links the sender already had on it fire now (their signals may have died
  // with its node).
  if (Hosted* h = hosted(m.src)) {
    const std::string id = h->id;
    std::vector<std::uint64_t> refs;
    for (const auto& [ref, target] : h->monitoring)
      if (target == m.dst) refs.push_back(ref);
    for (auto ref : refs) fire_down(id, ref, m.dst, kNoproc);
    if ((h = hosted(id)) && h->links.count(m.dst)) {
      h->links.erase(m.dst);
      deliver_exit(id, m.dst, kNoproc, true, false);
    }
  }
}

void AgentService::on_moved(const std::string&, AgentMoved&& m) {
  if (m.node == ctx_.self() || !is_agent_id(m.id)) return;
  location_cache_[m.id] = m.node;
  for (auto& [key, c] : out_)
    if (key.second == m.id) c.node = m.node;
}

// ---- what senders are told ----

void AgentService::item_acked(const std::string& src, const std::string&, const Item& item) {
  if (!is_client_endpoint(src)) return;
  auto c = clients_.find(src);
  if (c == clients_.end()) return;
  if (item.kind == ItemKind::message) {
    auto call = c->second.calls.find(item.ref);
    if (call != c->second.calls.end() && call->second.enqueued) {
      auto fn = std::move(call->second.enqueued);
      call->second.enqueued = nullptr;
      fn();
    }
  } else if (item.kind == ItemKind::exit) {
    complete_call(src, item.number, Outcome{Outcome::Kind::ok, "null", "", ""});
  }
}

void AgentService::item_failed(const std::string& src, const std::string& dst, const OutItem& it,
                               const std::string& reason, bool certain, const std::string& detail, bool ended) {
  const Item& item = it.item;
  const std::string error = detail.empty() ? reason : reason + ": " + detail;
  // A cached name pointing at an ended agent: the name may be someone else's now. Asked
  // of the registry again, once.
  const bool by_name = item.kind == ItemKind::message || item.kind == ItemKind::exit ||
                       item.kind == ItemKind::monitor || item.kind == ItemKind::link;
  bool overtaken = false;
  if (item.kind == ItemKind::message && !it.via_name.empty()) {
    auto r = routed_by_name_.find({src, it.via_name});
    overtaken = r != routed_by_name_.end() && r->second > item.number;
  }
  if (by_name && !overtaken && !it.via_name.empty() && !it.retried && certain && (reason == kNoproc || ended) && registry_) {
    registry_->forget(it.via_name);
    send_item(src, it.via_name, item, true);
    return;
  }
  switch (item.kind) {
    case ItemKind::message: {
      const std::string target = it.via_name.empty() ? dst : it.via_name;
      Outcome o{certain ? Outcome::Kind::refused : Outcome::Kind::unknown, "", error, is_agent_id(dst) ? dst : ""};
      if (is_client_endpoint(src)) {
        complete_call(src, item.ref, o);
        return;
      }
      Hosted* h = hosted(src);
      if (!h) return;
      trace_outcome(src + "#" + std::to_string(item.number), o);
      Queued q;
      q.is_message = false;
      if (item.ref != 0) {
        auto r = h->requests.find(item.ref);
        if (r == h->requests.end()) return;
        ctx_.cancel(r->second.timer);
        h->requests.erase(r);
        q.sig.kind = SignalKind::reply;
        q.sig.ref = item.ref;
      } else {
        q.sig.kind = SignalKind::undeliverable;
      }
      q.sig.from = target;
      q.sig.reason = error;
      enqueue(*h, std::move(q));
      return;
    }
    case ItemKind::monitor:
      fire_down(src, item.ref, it.via_name.empty() ? dst : it.via_name, reason);
      return;
    case ItemKind::link: {
      Hosted* h = hosted(src);
      if (!h) return;
      const std::string target = h->links.count(dst) ? dst : it.via_name;
      if (!h->links.erase(target)) return;
      deliver_exit(src, target, reason, true, false);
      return;
    }
    case ItemKind::exit:
      if (is_client_endpoint(src)) complete_call(src, item.number, Outcome{Outcome::Kind::refused, "", error, ""});
      return;
    case ItemKind::spawned:
      // The spawner is gone before it heard of its child: the child does not outlive it.
      if (hosted(src)) terminate(src, kShutdown);
      return;
    default: return;
  }
}

void AgentService::fire_down(const std::string& watcher, std::uint64_t ref, const std::string& target,
                             const std::string& reason) {
  Hosted* h = hosted(watcher);
  if (!h || h->monitoring.erase(ref) == 0) return;
  node_.metrics().inc("agent_downs_total");
  if (ctx_.tracing())
    ctx_.emit(TraceEvent("agent_down").with("agent", watcher).with("target", target).with("ref", ref).with("reason", reason));
  Queued q;
  q.is_message = false;
  q.sig.kind = SignalKind::down;
  q.sig.from = target;
  q.sig.ref = ref;
  q.sig.reason = reason;
  enqueue(*h, std::move(q));
}

// ---- a lost node ----

void AgentService::note_boot(const std::string& node, std::uint64_t boot, std::uint64_t first_serial) {
  if (boot == 0) return;
  auto [it, fresh] = peer_boot_.try_emplace(node, boot);
  if (fresh || boot <= it->second) return;
  // The node restarted: whatever lived there in an earlier life is gone (ids below the new
  // life's first serial, clients of an earlier boot).
  it->second = boot;
  node_.metrics().inc("agent_peer_restarts_seen_total");
  node_lost(node, boot, first_serial);
}

bool AgentService::lost_with(const std::string& endpoint, const std::string& node, std::uint64_t boot,
                             std::uint64_t first_serial) const {
  if (locate(endpoint) != node) return false;
  if (boot == 0) return true;  // the whole node was lost
  if (is_client_endpoint(endpoint)) {
    const auto a = endpoint.find(':');
    const auto b = endpoint.find(':', a + 1);
    return std::strtoull(endpoint.substr(a + 1, b - a - 1).c_str(), nullptr, 10) < boot;
  }
  return node_in_id(endpoint) == node && serial_in_id(endpoint) < first_serial;
}

void AgentService::node_lost(const std::string& node, std::uint64_t boot, std::uint64_t first_serial) {
  if (node == ctx_.self()) return;
  if (boot == 0) peer_boot_.erase(node);
  const std::string why = boot == 0 ? "node " + node + " was lost" : "node " + node + " restarted";
  auto lost = [&](const std::string& e) { return lost_with(e, node, boot, first_serial); };
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& [key, c] : out_)
    if (c.node == node && (boot == 0 || lost(key.second))) keys.push_back(key);
  for (const auto& key : keys) {
    OutChannel c = std::move(out_[key]);
    out_.erase(key);
    for (const auto& oi : c.items) item_failed(key.first, key.second, oi, kNoconnection, !oi.sent, why);
  }
  std::vector<std::string> ids;
  for (const auto& [id, h] : hosted_) ids.push_back(id);
  for (const auto& id : ids) {
    Hosted* h = hosted(id);
    if (!h) continue;
    std::vector<std::pair<std::uint64_t, std::string>> downs;
    for (const auto& [ref, target] : h->monitoring)
      if (lost(target)) downs.emplace_back(ref, target);
    for (auto it = h->watchers.begin(); it != h->watchers.end();)
      it = lost(it->first) ? h->watchers.erase(it) : std::next(it);
    std::vector<std::string> exits;
    for (const auto& l : h->links)
      if (lost(l)) exits.push_back(l);
    std::vector<std::uint64_t> reqs;
    for (const auto& [ref, r] : h->requests)
      if (lost(r.target)) reqs.push_back(ref);
    for (auto ref : reqs) {
      if (!(h = hosted(id))) break;
      auto r = h->requests.find(ref);
      ctx_.cancel(r->second.timer);
      Queued q;
      q.is_message = false;
      q.sig.kind = SignalKind::reply;
      q.sig.ref = ref;
      q.sig.from = r->second.target;
      q.sig.reason = std::string(kNoconnection) + ": " + why + " (it may have been handled)";
      trace_outcome(id + "#" + std::to_string(r->second.number), Outcome{Outcome::Kind::unknown, "", q.sig.reason, r->second.target});
      h->requests.erase(r);
      enqueue(*h, std::move(q));
    }
    for (const auto& [ref, target] : downs) fire_down(id, ref, target, kNoconnection);
    for (const auto& l : exits) {
      if (!(h = hosted(id))) break;
      if (h->links.erase(l)) deliver_exit(id, l, kNoconnection, true, false);
    }
  }
  for (auto& [cid, client] : clients_) {
    std::vector<std::uint64_t> refs;
    for (const auto& [ref, call] : client.calls)
      if (call.sent && call.node == node && (boot == 0 || lost(call.target))) refs.push_back(ref);
    for (auto ref : refs)
      complete_call(cid, ref, Outcome{Outcome::Kind::unknown, "", std::string(kNoconnection) + ": " + why, ""});
  }
  if (boot == 0) {
    std::vector<std::pair<std::string, std::uint64_t>> spawns;
    for (const auto& [key, p] : spawns_)
      if (p.node == node) spawns.push_back(key);
    for (const auto& key : spawns) {
      auto p = spawns_.find(key);
      ctx_.cancel(p->second.retry);
      ctx_.cancel(p->second.timeout);
      spawns_.erase(p);
      spawn_finished(key.first, key.second, false, "", std::string(kNoconnection) + ": " + why);
    }
    for (auto it = location_cache_.begin(); it != location_cache_.end();)
      it = it->second == node ? location_cache_.erase(it) : std::next(it);
  }
}

// Nodes this node's agents watch (monitors, links, channels) are asked for their boot now
// and then, so a restart that the failure detector did not see as a death still ends the
// monitors and links on what lived there.
void AgentService::probe_peers() {
  if (++probe_round_ % kProbeEveryTicks != 0) return;
  std::set<std::string> nodes;
  for (const auto& [id, h] : hosted_) {
    for (const auto& [ref, target] : h.monitoring) nodes.insert(locate(target));
    for (const auto& l : h.links) nodes.insert(locate(l));
  }
  nodes.erase(ctx_.self());
  nodes.erase("");
  for (const auto& n : nodes) {
    if (node_down(n)) continue;
    AgentPing p;
    p.boot = boot_;
    p.first_serial = life_first_serial_;
    ctx_.send_msg(n, p);
  }
}

void AgentService::on_ping(const std::string& from, AgentPing&& m) {
  note_boot(from, m.boot, m.first_serial);
  if (m.pong) return;
  AgentPing p;
  p.boot = boot_;
  p.first_serial = life_first_serial_;
  p.pong = true;
  ctx_.send_msg(from, p);
}

}  // namespace mabeam::agents
