// The global name registry (see registry.h): its replicated state, the forwarding of
// operations to the leader, and the name lease.
#include "engine/agents/registry.h"

#include <algorithm>

#include "engine/agents/service.h"
#include "engine/fixed_math.h"

namespace mabeam::agents {

// ---- commands and answers ----

Bytes RegCommand::encode() const {
  Writer w;
  w.u8(static_cast<std::uint8_t>(cmd));
  w.str(name);
  w.str(id);
  w.str(node);
  w.varint(boot);
  w.varint(gen);
  w.varint(seq);
  return w.take();
}

bool RegCommand::decode(const Bytes& b, RegCommand& out) {
  Reader r(b);
  std::uint8_t c = 0;
  if (!r.u8(c) || c < 1 || c > 5) return false;
  out.cmd = static_cast<RegCmd>(c);
  return r.str(out.name, kIdBytesMax) && r.str(out.id, kIdBytesMax) && r.str(out.node, kIdBytesMax) &&
         r.varint(out.boot) && r.varint(out.gen) && r.varint(out.seq) && r.at_end();
}

Bytes RegAnswer::encode() const {
  Writer w;
  w.u8(static_cast<std::uint8_t>(code));
  w.str(holder);
  w.str(holder_node);
  w.varint(gen);
  return w.take();
}

bool RegAnswer::decode(const Bytes& b, RegAnswer& out) {
  Reader r(b);
  std::uint8_t c = 0;
  if (!r.u8(c) || c > 4) return false;
  out.code = static_cast<RegCode>(c);
  return r.str(out.holder, kIdBytesMax) && r.str(out.holder_node, kIdBytesMax) && r.varint(out.gen) && r.at_end();
}

// ---- the state machine ----

void RegistryState::free_lease(const std::string& node, std::uint64_t gen, std::vector<std::string>* freed) {
  for (auto it = names_.begin(); it != names_.end();) {
    if (it->second.node == node && it->second.gen == gen) {
      if (freed) freed->push_back(it->first);
      it = names_.erase(it);
    } else {
      ++it;
    }
  }
}

RegAnswer RegistryState::apply(std::uint64_t index, const RegCommand& c, std::vector<std::string>* freed) {
  RegAnswer a;
  switch (c.cmd) {
    case RegCmd::claim: {
      auto l = leases_.find(c.node);
      if (l != leases_.end() && l->second.boot > c.boot) {
        a.code = RegCode::stale;  // a claim from an earlier life of the node
        return a;
      }
      if (l == leases_.end() || l->second.boot < c.boot) {
        if (l != leases_.end()) free_lease(c.node, l->second.gen, freed);
        l = leases_.insert_or_assign(c.node, Lease{c.boot, index, 0}).first;
      } else {
        ++l->second.seq;
      }
      auto n = names_.find(c.name);
      if (n != names_.end() && n->second.id != c.id) {
        a.code = RegCode::taken;
        a.holder = n->second.id;
        a.holder_node = n->second.node;
        return a;
      }
      names_[c.name] = Holder{c.id, c.node, c.boot, l->second.gen};
      a.gen = l->second.gen;
      return a;
    }
    case RegCmd::release: {
      auto n = names_.find(c.name);
      if (n == names_.end() || n->second.id != c.id) {
        a.code = RegCode::noop;
        return a;
      }
      if (freed) freed->push_back(c.name);
      names_.erase(n);
      return a;
    }
    case RegCmd::renew: {
      auto l = leases_.find(c.node);
      if (l == leases_.end() || l->second.boot != c.boot || l->second.gen != c.gen) {
        a.code = RegCode::expired;
        return a;
      }
      ++l->second.seq;
      a.gen = l->second.gen;
      return a;
    }
    case RegCmd::expire: {
      auto l = leases_.find(c.node);
      if (l == leases_.end() || l->second.boot != c.boot || l->second.gen != c.gen || l->second.seq != c.seq) {
        a.code = RegCode::noop;  // renewed (or replaced) since the leader decided
        return a;
      }
      free_lease(c.node, c.gen, freed);
      leases_.erase(l);
      return a;
    }
    case RegCmd::lookup: return lookup(c.name);
  }
  return a;
}

RegAnswer RegistryState::lookup(const std::string& name) const {
  RegAnswer a;
  auto n = names_.find(name);
  if (n != names_.end()) {
    a.holder = n->second.id;
    a.holder_node = n->second.node;
    a.gen = n->second.gen;
  }
  return a;
}

Bytes RegistryState::snapshot() const {
  Writer w;
  w.varint(names_.size());
  for (const auto& [name, h] : names_) {
    w.str(name);
    w.str(h.id);
    w.str(h.node);
    w.varint(h.boot);
    w.varint(h.gen);
  }
  w.varint(leases_.size());
  for (const auto& [node, l] : leases_) {
    w.str(node);
    w.varint(l.boot);
    w.varint(l.gen);
    w.varint(l.seq);
  }
  return w.take();
}

Status RegistryState::restore(const Bytes& b) {
  Reader r(b);
  std::map<std::string, Holder> names;
  std::map<std::string, Lease> leases;
  std::size_t n = 0;
  if (!r.count(n, 5)) return Status::corrupt("registry snapshot: " + r.error());
  for (std::size_t i = 0; i < n; ++i) {
    std::string name;
    Holder h;
    if (!r.str(name, kIdBytesMax) || !r.str(h.id, kIdBytesMax) || !r.str(h.node, kIdBytesMax) || !r.varint(h.boot) ||
        !r.varint(h.gen))
      return Status::corrupt("registry snapshot: " + r.error());
    names[name] = h;
  }
  if (!r.count(n, 4)) return Status::corrupt("registry snapshot: " + r.error());
  for (std::size_t i = 0; i < n; ++i) {
    std::string node;
    Lease l;
    if (!r.str(node, kIdBytesMax) || !r.varint(l.boot) || !r.varint(l.gen) || !r.varint(l.seq))
      return Status::corrupt("registry snapshot: " + r.error());
    leases[node] = l;
  }
  if (!r.at_end()) return Status::corrupt("registry snapshot: trailing bytes");
  names_ = std::move(names);
  leases_ = std::move(leases);
  return Status::ok();
}

// ---- the service ----

namespace {
constexpr std::size_t kOpsMax = 65536;
constexpr std::size_t kCacheMax = 65536;
}  // namespace

Registry::Registry(Node& node, AgentsConfig config, std::uint64_t boot) : Service(node), config_(config), boot_(boot) {
  node_.route<RegistryRequest>([this](const std::string& f, RegistryRequest&& m) { on_request(f, std::move(m)); });
  node_.route<RegistryReply>([this](const std::string& f, RegistryReply&& m) { on_reply(f, std::move(m)); });
  node_.expose<Registry>(this);
}

void Registry::start() {
  log_ = node_.find<ReplicatedLog>();
  if (log_) log_->attach(this);
  std::weak_ptr<bool> alive = alive_;
  ctx_.after(config_.name_lease / 4, [this, alive] {
    if (!alive.expired()) expiry_tick();
  });
}

void Registry::stop() {
  stopped_ = true;
  // Names held here are released (best effort: the node is leaving).
  for (const auto& [name, id] : held_) {
    RegCommand c;
    c.cmd = RegCmd::release;
    c.name = name;
    c.id = id;
    submit(c, nullptr);
  }
}

AgentService* Registry::agents() { return node_.find<AgentService>(); }

void Registry::submit(RegCommand c, Done done) {
  if (!log_) {
    if (done) done(Outcome::refused, RegAnswer{}, ctx_.now());
    return;
  }
  if (ops_.size() >= kOpsMax) {
    node_.metrics().inc("registry_ops_refused_total");
    if (done) done(Outcome::refused, RegAnswer{}, ctx_.now());
    return;
  }
  const std::uint64_t req = next_req_++;
  Op& op = ops_[req];
  op.command = std::move(c);
  op.done = std::move(done);
  op.first_attempt = ctx_.now();
  std::weak_ptr<bool> alive = alive_;
  op.timeout = ctx_.after(config_.registry_timeout, [this, alive, req] {
    if (alive.expired()) return;
    auto it = ops_.find(req);
    if (it == ops_.end()) return;
    it->second.timeout = 0;
    finish(req, it->second.maybe_applied ? Outcome::unknown : Outcome::refused, RegAnswer{});
  });
  attempt(req);
}

void Registry::attempt(std::uint64_t req) {
  auto it = ops_.find(req);
  if (it == ops_.end()) return;
  Op& op = it->second;
  op.retry = 0;
  std::weak_ptr<bool> alive = alive_;
  op.retry = ctx_.after(config_.retransmit_interval, [this, alive, req] {
    if (!alive.expired()) attempt(req);
  });
  const bool read = op.command.cmd == RegCmd::lookup;
  if (log_->is_leader()) {
    if (!read) op.maybe_applied = true;
    execute("", req, op.command.encode());
    return;
  }
  std::string target = !op.hint.empty() ? op.hint : log_->leader();
  op.hint.clear();
  if (target.empty() || target == ctx_.self()) {
    const auto voters = log_->voters();
    std::vector<std::string> others;
    for (const auto& v : voters)
      if (v != ctx_.self()) others.push_back(v);
    if (others.empty()) {
      op.last_error = "no consensus leader known";
      return;
    }
    target = others[ctx_.rng().below(others.size())];
  }
  if (!read) op.maybe_applied = true;
  RegistryRequest m;
  m.req = req;
  m.command = op.command.encode();
  ctx_.send_msg(target, m);
}

void Registry::finish(std::uint64_t req, Outcome o, const RegAnswer& a) {
  auto it = ops_.find(req);
  if (it == ops_.end()) return;
  Op op = std::move(it->second);
  ops_.erase(it);
  ctx_.cancel(op.timeout);
  ctx_.cancel(op.retry);
  if (op.done) op.done(o, a, op.first_attempt);
}

void Registry::execute(const std::string& origin, std::uint64_t req, const Bytes& command) {
  RegCommand c;
  if (!RegCommand::decode(command, c)) return;
  if (c.cmd == RegCmd::lookup) {
    answer(origin, req, Outcome::ok, state_.lookup(c.name));
    return;
  }
  auto index = log_->propose(command);
  if (!index) {
    RegAnswer none;
    answer(origin, req, Outcome::refused, none);
    return;
  }
  executing_[*index] = Executing{origin, req, command};
}

void Registry::answer(const std::string& origin, std::uint64_t req, Outcome o, const RegAnswer& a) {
  if (origin.empty()) {
    if (o == Outcome::refused) return;  // the origin's retry timer tries again
    finish(req, o, a);
    return;
  }
  RegistryReply r;
  r.req = req;
  r.outcome = static_cast<std::uint8_t>(o);
  if (log_) r.leader = log_->leader();
  r.answer = a.encode();
  ctx_.send_msg(origin, r);
}

void Registry::on_request(const std::string& from, RegistryRequest&& m) {
  if (stopped_) return;
  if (!log_ || !log_->is_leader()) {
    RegistryReply r;
    r.req = m.req;
    r.outcome = static_cast<std::uint8_t>(Outcome::refused);
    if (log_) r.leader = log_->leader();
    ctx_.send_msg(from, r);
    return;
  }
  execute(from, m.req, m.command);
}

void Registry::on_reply(const std::string&, RegistryReply&& m) {
  auto it = ops_.find(m.req);
  if (it == ops_.end()) return;
  const auto o = static_cast<Outcome>(m.outcome);
  if (o == Outcome::refused) {
    // Not the leader: try the one it knows at once; otherwise the retry timer goes on.
    if (!m.leader.empty() && m.leader != ctx_.self()) {
      it->second.hint = m.leader;
      ctx_.cancel(it->second.retry);
      attempt(m.req);
    }
    return;
  }
  RegAnswer a;
  if (!RegAnswer::decode(m.answer, a)) return;
  finish(m.req, o, a);
}

void Registry::apply(std::uint64_t index, const Bytes& command) {
  RegCommand c;
  RegAnswer a;
  const bool ok = RegCommand::decode(command, c);
  if (ok) {
    std::vector<std::string> freed;
    a = state_.apply(index, c, &freed);
    if (c.cmd == RegCmd::claim || c.cmd == RegCmd::renew) lease_seen_[c.node] = ctx_.now();
    if (c.cmd == RegCmd::expire && a.code == RegCode::ok) {
      lease_seen_.erase(c.node);
      node_.metrics().inc("registry_expired_leases_total");
      if (ctx_.tracing())
        ctx_.emit(TraceEvent("registry_expire").with("subject", c.node).with("boot", c.boot).with("freed", RawJson{json_string_array(freed)}));
    }
    for (const auto& f : freed) cache_.erase(f);
  } else {
    node_.metrics().inc("registry_bad_commands_total");
  }
  auto e = executing_.find(index);
  if (e != executing_.end()) {
    Executing ex = std::move(e->second);
    executing_.erase(e);
    // Another leader's entry took this index: ours was never applied; the origin retries.
    if (ex.command == command && ok) answer(ex.origin, ex.req, Outcome::ok, a);
  }
  // Entries proposed at lower indexes that never applied were replaced.
  while (!executing_.empty() && executing_.begin()->first < index) executing_.erase(executing_.begin());
}

// ---- what this node's agents hold ----

void Registry::claim(const std::string& name, const std::string& id, std::function<void(Result<std::uint64_t>)> done) {
  RegCommand c;
  c.cmd = RegCmd::claim;
  c.name = name;
  c.id = id;
  c.node = ctx_.self();
  c.boot = boot_;
  if (!log_) {
    done(Status::unavailable("agent names need the registry's log: config.agents.sequencer (or the consensus service) is not set on this node"));
    return;
  }
  submit(c, [this, name, id, done](Outcome o, const RegAnswer& a, TimeUs first) {
    auto trace = [&](bool ok, const std::string& error) {
      if (!ctx_.tracing()) return;
      TraceEvent e("agent_name");
      e.with("name", name).with("agent", id).with("ok", ok);
      if (!a.holder.empty() && !ok) e.with("holder", a.holder);
      if (!error.empty()) e.with("error", error);
      ctx_.emit(e);
    };
    if (o != Outcome::ok) {
      const std::string why = o == Outcome::unknown
                                  ? "registry: no answer within " + std::to_string(config_.registry_timeout / 1000) +
                                        "ms (it may have been granted; it is released again)"
                                  : "registry: no consensus leader reachable within " +
                                        std::to_string(config_.registry_timeout / 1000) + "ms";
      trace(false, why);
      if (o == Outcome::unknown) release(name, id);
      done(Status::unavailable(why));
      return;
    }
    if (a.code == RegCode::taken) {
      cache_[name] = a.holder;
      const std::string why = "name \"" + name + "\" is held by " + a.holder;
      trace(false, why);
      done(Status::refused(why));
      return;
    }
    if (a.code != RegCode::ok) {
      const std::string why = "registry: this node's claim was refused (an earlier life of it)";
      trace(false, why);
      done(Status::refused(why));
      return;
    }
    if (lease_gen_ != 0 && a.gen != lease_gen_ && !held_.empty()) names_lost();  // the old lease expired
    lease_gen_ = a.gen;
    held_[name] = id;
    cache_[name] = id;
    extend_lease(first);
    arm_renew();
    trace(true, "");
    done(a.gen);
  });
}

void Registry::release(const std::string& name, const std::string& id) {
  auto h = held_.find(name);
  if (h != held_.end() && h->second == id) held_.erase(h);
  auto c = cache_.find(name);
  if (c != cache_.end() && c->second == id) cache_.erase(c);
  RegCommand cmd;
  cmd.cmd = RegCmd::release;
  cmd.name = name;
  cmd.id = id;
  submit(cmd, nullptr);
}

void Registry::whereis(const std::string& name, std::function<void(Result<std::string>)> done) {
  if (auto c = cache_.find(name); c != cache_.end()) {
    done(c->second);
    return;
  }
  if (!log_) {
    done(Status::unavailable("agent names need the registry's log: config.agents.sequencer (or the consensus service) is not set on this node"));
    return;
  }
  RegCommand c;
  c.cmd = RegCmd::lookup;
  c.name = name;
  submit(c, [this, name, done](Outcome o, const RegAnswer& a, TimeUs) {
    if (o != Outcome::ok) {
      done(Status::unavailable("registry: no consensus leader reachable to look \"" + name + "\" up"));
      return;
    }
    if (a.holder.empty()) {
      done(Status::not_found("no agent is registered as \"" + name + "\""));
      return;
    }
    if (cache_.size() >= kCacheMax) cache_.erase(cache_.begin());
    cache_[name] = a.holder;
    done(a.holder);
  });
}

std::string Registry::cached(const std::string& name) const {
  auto c = cache_.find(name);
  return c == cache_.end() ? "" : c->second;
}

bool Registry::lease_valid() const { return ctx_.now() < valid_until_; }

void Registry::extend_lease(TimeUs from) {
  // name_lease * (1 - 2 max_drift), in integers (parts per million).
  const DurationUs hold = config_.name_lease - config_.name_lease * 2 * fixed::to_ppm(config_.max_drift) / 1'000'000;
  valid_until_ = std::max(valid_until_, from + hold);
  lease_check();
}

// Tells the agent service when the lease lapses or comes back, and arms a check for the
// instant it lapses.
void Registry::lease_check() {
  const bool ok = lease_valid() || held_.empty();
  if (ok != lease_ok_) {
    lease_ok_ = ok;
    node_.metrics().set("registry_lease_valid", ok ? 1 : 0);
    if (ctx_.tracing()) ctx_.emit(TraceEvent("registry_lease").with("valid", ok));
    if (AgentService* a = agents()) a->on_lease(ok);
  }
  if (lease_timer_) ctx_.cancel(lease_timer_);
  lease_timer_ = 0;
  if (ok && !held_.empty()) {
    std::weak_ptr<bool> alive = alive_;
    lease_timer_ = ctx_.after(std::max<DurationUs>(1, valid_until_ - ctx_.now()), [this, alive] {
      if (alive.expired()) return;
      lease_timer_ = 0;
      lease_check();
    });
  }
}

void Registry::names_lost() {
  std::vector<std::string> names;
  for (const auto& [name, id] : held_) {
    names.push_back(name);
    cache_.erase(name);
  }
  held_.clear();
  lease_gen_ = 0;
  node_.metrics().inc("registry_leases_lost_total");
  // The agents end before the lease is reported back: a lapsed agent never resumes.
  if (AgentService* a = agents()) a->on_names_lost(names);
  lease_check();
}

void Registry::arm_renew() {
  if (renew_armed_ || held_.empty() || stopped_) return;
  renew_armed_ = true;
  std::weak_ptr<bool> alive = alive_;
  ctx_.after(config_.name_lease / 4, [this, alive] {
    if (alive.expired()) return;
    renew_armed_ = false;
    renew();
  });
}

void Registry::renew() {
  if (held_.empty() || stopped_) return;
  RegCommand c;
  c.cmd = RegCmd::renew;
  c.node = ctx_.self();
  c.boot = boot_;
  c.gen = lease_gen_;
  const std::uint64_t gen = lease_gen_;
  submit(c, [this, gen](Outcome o, const RegAnswer& a, TimeUs first) {
    if (gen != lease_gen_) return;  // a newer claim replaced the lease meanwhile
    if (o == Outcome::ok && a.code == RegCode::ok) extend_lease(first);
    else if (o == Outcome::ok && a.code == RegCode::expired) names_lost();
  });
  arm_renew();
}

// At the leader: expire the leases not claimed or renewed for long enough.
void Registry::expiry_tick() {
  if (stopped_) return;
  std::weak_ptr<bool> alive = alive_;
  ctx_.after(config_.name_lease / 4, [this, alive] {
    if (!alive.expired()) expiry_tick();
  });
  if (!log_) return;
  const bool leader = log_->is_leader();
  if (leader && !was_leader_)
    for (const auto& [node, l] : state_.leases()) lease_seen_[node] = ctx_.now();  // start counting afresh
  was_leader_ = leader;
  if (!leader) return;
  const DurationUs wait = config_.name_lease + config_.name_lease * 2 * fixed::to_ppm(config_.max_drift) / 1'000'000;
  for (const auto& [node, l] : state_.leases()) {
    auto seen = lease_seen_.find(node);
    if (seen == lease_seen_.end()) {
      lease_seen_[node] = ctx_.now();
      continue;
    }
    if (ctx_.now() - seen->second <= wait) continue;
    RegCommand c;
    c.cmd = RegCmd::expire;
    c.node = node;
    c.boot = l.boot;
    c.gen = l.gen;
    c.seq = l.seq;
    (void)log_->propose(c.encode());
  }
}

}  // namespace mabeam::agents
