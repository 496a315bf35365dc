// SWIM membership with Lifeguard refinements (see membership.h).
#include "engine/membership/membership.h"

#include <algorithm>

#include "engine/fixed_math.h"

namespace mabeam {

using swim::GossipState;
using swim::Update;

namespace {

bool is_live(MemberState s) { return s == MemberState::active || s == MemberState::suspect; }

GossipState gossip_state(MemberState s) {
  switch (s) {
    case MemberState::joining:
    case MemberState::active: return GossipState::alive;
    case MemberState::suspect: return GossipState::suspect;
    case MemberState::down: return GossipState::dead;
    case MemberState::leaving:
    case MemberState::left: return GossipState::left;
  }
  return GossipState::dead;
}

}  // namespace

Membership::Membership(Node& node, MembershipConfig config, std::vector<std::string> seeds, std::uint64_t incarnation,
                       swim::NodeInfo info)
    : Service(node), config_(std::move(config)), incarnation_(incarnation), info_(std::move(info)) {
  for (auto& s : seeds)
    if (s != ctx_.self() && std::find(seeds_.begin(), seeds_.end(), s) == seeds_.end()) seeds_.push_back(s);
  node_.expose<MembershipView>(this);
  node_.route<swim::Ping>([this](const std::string& from, swim::Ping&& m) { on_ping(from, std::move(m)); });
  node_.route<swim::Ack>([this](const std::string& from, swim::Ack&& m) { on_ack(from, std::move(m)); });
  node_.route<swim::PingReq>([this](const std::string& from, swim::PingReq&& m) { on_ping_req(from, std::move(m)); });
  node_.route<swim::Join>([this](const std::string& from, swim::Join&& m) { on_join(from, std::move(m)); });
  node_.route<swim::PushPull>([this](const std::string& from, swim::PushPull&& m) { on_push_pull(from, std::move(m)); });
  node_.route<swim::Gossip>([this](const std::string& from, swim::Gossip&& m) { on_gossip(from, std::move(m)); });
  node_.route<swim::Nack>([this](const std::string& from, swim::Nack&& m) { on_nack(from, std::move(m)); });
}

// ---- lifecycle -------------------------------------------------------------------------

void Membership::start() {
  if (seeds_.empty()) {
    joined_ = true;
    self_state_ = MemberState::active;
    trace_member(ctx_.self(), MemberState::active, incarnation_);
  } else {
    trace_member(ctx_.self(), MemberState::joining, incarnation_);
    join_started_ = ctx_.now();
    join_attempt();
    ctx_.after(config_.join_timeout, [this] {
      if (joined_ || stopped_ || join_failed_traced_) return;
      join_failed_traced_ = true;
      node_.metrics().inc("membership_join_failed_total");
      if (ctx_.tracing())
        ctx_.emit(TraceEvent("join_failed").with("seeds", RawJson{json_string_array(seeds_)}).with("attempts", join_attempts_));
    });
  }
  // Random phases, so nodes started together do not probe and exchange in step.
  ctx_.after(static_cast<DurationUs>(ctx_.rng().below(static_cast<std::uint64_t>(config_.probe_interval))), [this] { tick(); });
  ctx_.after(static_cast<DurationUs>(ctx_.rng().below(static_cast<std::uint64_t>(config_.push_pull_interval))),
             [this] { push_pull_tick(); });
}

void Membership::stop() {
  if (stopped_) return;
  self_state_ = MemberState::leaving;
  trace_member(ctx_.self(), MemberState::leaving, incarnation_);
  // The process may exit right after this: hand the news to enough members that it
  // survives message loss; they piggyback it on.
  Update bye = self_update();
  bye.state = GossipState::left;
  bye.info = {};
  const std::size_t fanout = static_cast<std::size_t>(std::max(4, retransmit_limit()));
  for (const auto& to : pick(names_in({MemberState::active, MemberState::suspect}), fanout))
    ctx_.send_msg(to, swim::Gossip{{bye}});
  stopped_ = true;
  self_state_ = MemberState::left;
  trace_member(ctx_.self(), MemberState::left, incarnation_);
}

void Membership::join_attempt() {
  if (joined_ || stopped_) return;
  ++join_attempts_;
  node_.metrics().inc("membership_join_attempts_total");
  for (const auto& s : seeds_) ctx_.send_msg(s, swim::Join{self_update()});
  // Exponential backoff from probe_timeout, capped at half the join timeout.
  const DurationUs cap = std::max(config_.probe_timeout, config_.join_timeout / 2);
  DurationUs backoff = config_.probe_timeout;
  for (int i = 1; i < join_attempts_ && backoff < cap; ++i) backoff *= 2;
  ctx_.after(std::min(backoff, cap), [this] { join_attempt(); });
}

void Membership::finish_join() {
  joined_ = true;
  if (self_state_ == MemberState::joining) self_state_ = MemberState::active;
  trace_member(ctx_.self(), MemberState::active, incarnation_);
  spread(self_update());
  // Tell the members directly (up to kAnnounceMax of them; gossip carries it further), so a
  // restarted node, which they may hold down, is active everywhere at once.
  for (const auto& to : pick(names_in({MemberState::active, MemberState::suspect, MemberState::down}), kAnnounceMax))
    ctx_.send_msg(to, swim::Gossip{{self_update()}});
}

void Membership::add_peer(const std::string& name) {
  if (name == ctx_.self() || stopped_) return;
  if (!joined_) {
    if (std::find(seeds_.begin(), seeds_.end(), name) == seeds_.end()) seeds_.push_back(name);
    ctx_.send_msg(name, swim::Join{self_update()});
  } else if (auto it = members_.find(name); it == members_.end() || it->second.state == MemberState::down) {
    // A stranger, or a member we hold down that has just connected (it restarted, or a
    // partition healed): exchange full state so whichever side is wrong finds out now.
    ctx_.send_msg(name, swim::PushPull{false, full_state()});
  }
}

void Membership::set_load(double load, std::uint32_t agents) {
  info_.load = load;
  info_.agents = agents;
  ++incarnation_;  // newer news about the same node needs a newer incarnation to win
  spread(self_update());
}

// ---- join, anti-entropy, gossip --------------------------------------------------------

void Membership::on_join(const std::string& from, swim::Join&& m) {
  if (stopped_) return;
  node_.metrics().inc("membership_joins_served_total");
  if (m.self.node == from) merge({m.self}, false, from);
  ctx_.send_msg(from, swim::PushPull{true, full_state()});
}

void Membership::on_push_pull(const std::string& from, swim::PushPull&& m) {
  if (stopped_) return;
  auto it = members_.find(from);
  if (it != members_.end()) contact_with(from, it->second);
  const std::uint64_t before = incarnation_;
  merge(m.states, true, from);
  // Any completed exchange of full state joins the cluster, not only a seed's answer.
  if (!joined_) finish_join();
  if (!m.reply) {
    ctx_.send_msg(from, swim::PushPull{true, full_state()});
    return;
  }
  // The reply told us the peer holds us suspect, down or left: tell it the refutation now
  // rather than wait for it to come round.
  if (incarnation_ != before) ctx_.send_msg(from, swim::Gossip{{self_update()}});
}

void Membership::on_gossip(const std::string& from, swim::Gossip&& m) {
  if (stopped_) return;
  heard_from(from);
  merge(m.updates, false, from);
}

void Membership::push_pull_tick() {
  if (stopped_) return;
  // The rate limit of push-pulls to strangers only needs recent entries.
  for (auto it = pushed_to_unknown_.begin(); it != pushed_to_unknown_.end();)
    it = ctx_.now() - it->second >= 5 * config_.probe_interval ? pushed_to_unknown_.erase(it) : std::next(it);
  if (joined_) {
    const auto live = names_in({MemberState::active, MemberState::suspect});
    const auto dead = names_in({MemberState::down});
    if (!live.empty() || !dead.empty()) {
      const auto state = full_state();
      if (!live.empty()) ctx_.send_msg(live[ctx_.rng().below(live.size())], swim::PushPull{false, state});
      // Reconnect: a member we hold down may be alive behind a healed partition.
      if (!dead.empty()) ctx_.send_msg(dead[ctx_.rng().below(dead.size())], swim::PushPull{false, state});
      node_.metrics().inc("membership_push_pulls_total");
    }
  }
  ctx_.after(config_.push_pull_interval, [this] { push_pull_tick(); });
}

void Membership::heard_from(const std::string& from) {
  if (from == ctx_.self()) return;
  auto it = members_.find(from);
  if (it != members_.end()) {
    contact_with(from, it->second);
    if (it->second.state != MemberState::down) return;
  }
  // A stranger, or a node we hold down, is talking to us: exchange full state so whichever
  // side is wrong finds out (a restarted seed, the other side of a healed partition).
  if (!joined_) return;
  auto [pt, fresh] = pushed_to_unknown_.try_emplace(from, ctx_.now());
  if (!fresh && ctx_.now() - pt->second < 5 * config_.probe_interval) return;
  pt->second = ctx_.now();
  ctx_.send_msg(from, swim::PushPull{false, full_state()});
}

// ---- merging ---------------------------------------------------------------------------

void Membership::merge(const std::vector<Update>& updates, bool from_push_pull, const std::string& sender) {
  for (const auto& u : updates) apply(u, from_push_pull, sender);
}

void Membership::apply(const Update& u, bool from_push_pull, const std::string& sender) {
  if (u.node == ctx_.self()) {
    if (stopped_) return;
    // Others hold us suspect, down or left (or alive in a newer life than ours): refute, and
    // tell the accuser and whoever told us straight away (buddy system), since the gossip
    // may go round the other way.
    if ((u.state != GossipState::alive && u.incarnation >= incarnation_) || u.incarnation > incarnation_) {
      std::vector<std::string> tell;
      if (u.state != GossipState::alive) {
        if (!u.from.empty() && u.from != ctx_.self()) tell.push_back(u.from);
        if (!sender.empty() && sender != ctx_.self() && sender != u.from) tell.push_back(sender);
      }
      refute(u.incarnation, tell);
    }
    return;
  }
  auto it = members_.find(u.node);
  switch (u.state) {
    case GossipState::alive: {
      if (it == members_.end()) {
        it = members_.emplace(u.node, Member{}).first;
        // Probed from a random place in the current round (memberlist does the same).
        const std::size_t lo = std::min(probe_next_, probe_order_.size());
        const std::size_t at = lo + ctx_.rng().below(probe_order_.size() - lo + 1);
        probe_order_.insert(probe_order_.begin() + static_cast<std::ptrdiff_t>(at), u.node);
      } else if (u.incarnation < it->second.incarnation ||
                 (u.incarnation == it->second.incarnation && it->second.state != MemberState::joining)) {
        return;  // old news, or an alive that does not refute a suspicion or death
      }
      Member& m = it->second;
      m.incarnation = u.incarnation;
      m.info = u.info;
      m.last_heard = ctx_.now();
      clear_suspicion(u.node);
      set_state(u.node, m, MemberState::active);
      Update fwd = u;
      fwd.from.clear();
      spread(std::move(fwd));
      return;
    }
    case GossipState::suspect: {
      if (!u.from.empty() || sender.empty()) {
        apply_suspect(u);
      } else {
        Update s = u;  // a full state carries no accuser: the sender vouches for it
        s.from = sender;
        apply_suspect(s);
      }
      return;
    }
    case GossipState::dead: {
      if (it != members_.end() && is_live(it->second.state) && stale(u, it->second)) {
        node_.metrics().inc("membership_stale_accusations_total");
        return;
      }
      if (from_push_pull && it != members_.end() && is_live(it->second.state) &&
          u.incarnation >= it->second.incarnation) {
        // A peer's full state says dead: suspect first (the peer is the accuser), and let
        // the node refute.
        Update s = u;
        s.state = GossipState::suspect;
        s.from = sender;
        apply_suspect(s);
        return;
      }
      if (it == members_.end()) return;  // not known here (or already forgotten): ignored
      Member& m = it->second;
      if (u.incarnation < m.incarnation) return;
      if (m.state == MemberState::down || m.state == MemberState::left) {
        if (m.state == MemberState::down) m.incarnation = u.incarnation;
        return;
      }
      verify_death(u);
      return;
    }
    case GossipState::left: {
      // Not known here (or already forgotten), old news, or already known: ignored.
      if (it == members_.end() || u.incarnation < it->second.incarnation || it->second.state == MemberState::left) return;
      Member& m = it->second;
      m.incarnation = u.incarnation;
      clear_suspicion(u.node);
      set_state(u.node, m, MemberState::left);
      spread(Update{u.node, u.incarnation, GossipState::left, "", {}, 0});
      return;
    }
  }
}

void Membership::verify_death(const Update& u) {
  // Someone else's verdict about a member we hold alive: one probe of our own decides
  // whether we take it (on_hint_probe_end, weigh_refusals). A node that spoke to the
  // member since the verdict's evidence began has already ignored it (stale()); this is for
  // the rest, who may simply not have heard from it lately (a healed partition's far side
  // declared it down while we could reach it all along).
  auto pending = pending_deaths_.find(u.node);
  if (pending != pending_deaths_.end()) {
    if (u.incarnation > pending->second.update.incarnation) pending->second.update = u;
    return;
  }
  pending_deaths_[u.node] = PendingDeath{u, ctx_.now()};
  node_.metrics().inc("membership_death_verifications_total");
  probe_now(u.node, ctx_.now());
}

void Membership::accept_death(const std::string& node) {
  auto pending = pending_deaths_.find(node);
  if (pending == pending_deaths_.end()) return;
  const Update u = pending->second.update;
  pending_deaths_.erase(pending);
  auto it = members_.find(node);
  if (it == members_.end() || !is_live(it->second.state) || u.incarnation < it->second.incarnation) return;
  Member& m = it->second;
  m.incarnation = u.incarnation;
  m.accused_at = ctx_.now() - u.age;
  clear_suspicion(node);
  set_state(node, m, MemberState::down);
  spread(Update{node, u.incarnation, GossipState::dead, u.from, {}, u.age});
}

void Membership::apply_suspect(const Update& u) {
  auto it = members_.find(u.node);
  if (it == members_.end()) return;  // a suspicion of a node not known here: it may be gone
  Member& m = it->second;
  if (u.incarnation < m.incarnation || m.state == MemberState::down || m.state == MemberState::left) return;
  if (stale(u, m)) {
    node_.metrics().inc("membership_stale_accusations_total");
    return;
  }
  if (m.state == MemberState::suspect) {
    if (u.incarnation == m.incarnation) {
      confirm_suspicion(u.node, u.from, u.age);
      return;
    }
    clear_suspicion(u.node);
  }
  m.incarnation = u.incarnation;
  m.accused_at = ctx_.now() - u.age;
  start_suspicion(u.node, m, u.from);
  set_state(u.node, m, MemberState::suspect, u.from);
  const Update news{u.node, u.incarnation, GossipState::suspect, u.from, {}, u.age};
  spread(news);
  // Buddy system: the accuser tells the suspect directly, so a live one refutes at once.
  if (u.from == ctx_.self()) ctx_.send_msg(u.node, swim::Gossip{{news}});
}

void Membership::refute(std::uint64_t seen, const std::vector<std::string>& tell) {
  incarnation_ = std::max(incarnation_, seen) + 1;
  node_.metrics().inc("membership_refutations_total");
  change_health(+1);
  spread(self_update());
  if (ctx_.tracing()) ctx_.emit(TraceEvent("refute").with("incarnation", incarnation_));
  // The refutation goes straight to `tell` (the accuser and who told us) and to up to
  // kAnnounceMax members, so it outruns the accusation's gossip: a death declared by an
  // accuser who cannot hear us (a one-way cut) then meets our newer incarnation everywhere.
  std::vector<std::string> to = tell;
  for (auto& n : pick(names_in({MemberState::active, MemberState::suspect}), kAnnounceMax))
    if (std::find(to.begin(), to.end(), n) == to.end()) to.push_back(std::move(n));
  const swim::Gossip news{{self_update()}};
  for (const auto& n : to) ctx_.send_msg(n, news);
}

void Membership::start_suspicion(const std::string& node, Member& m, const std::string& accuser) {
  Suspicion s;
  s.incarnation = m.incarnation;
  s.start = ctx_.now();
  const std::size_t n = cluster_size();
  // max(1, log10(n + 1)) in Q32 fixed point (no libm in a decision: fixed_math.h).
  const auto scale = std::max(fixed::kOneQ32, fixed::log10_q32(static_cast<std::uint64_t>(n) + 1));
  s.min = static_cast<DurationUs>(
      (static_cast<unsigned __int128>(std::max(0, config_.suspicion_mult)) *
       static_cast<std::uint64_t>(std::max<DurationUs>(0, config_.probe_interval)) * scale) >>
      fixed::kQ);
  s.max = s.min * config_.suspicion_max_mult;
  s.k = config_.suspicion_mult - 2;
  if (static_cast<int>(n) - 2 < s.k) s.k = 0;  // too few members to expect confirmations
  s.accusers.insert(accuser);
  auto& slot = suspicions_[node] = std::move(s);
  schedule_suspicion(node, slot);
}

bool Membership::stale(const Update& u, const Member& m) const {
  // Strictly after: our own accusation (age 0) is never older than our last contact.
  return m.contact > ctx_.now() - u.age;
}

void Membership::confirm_suspicion(const std::string& node, const std::string& accuser, DurationUs age) {
  auto it = suspicions_.find(node);
  if (it == suspicions_.end() || accuser.empty()) return;
  if (!it->second.accusers.insert(accuser).second) return;
  node_.metrics().inc("membership_suspicion_confirmations_total");
  schedule_suspicion(node, it->second);
  // A new independent accuser is news worth passing on.
  spread(Update{node, it->second.incarnation, GossipState::suspect, accuser, {}, age});
}

DurationUs Membership::suspicion_timeout(const std::string& node) const {
  auto it = suspicions_.find(node);
  if (it == suspicions_.end()) return 0;
  const Suspicion& s = it->second;
  if (s.k < 1) return s.min;
  const int confirmations = static_cast<int>(s.accusers.size()) - 1;
  // Lifeguard: max - (max - min) * log(confirmations + 1) / log(k + 1), in Q32 fixed point.
  const std::uint64_t num = fixed::log2_q32(static_cast<std::uint64_t>(confirmations) + 1);
  const std::uint64_t den = fixed::log2_q32(static_cast<std::uint64_t>(s.k) + 1);  // k >= 1: den >= 1.0
  const auto cut = static_cast<DurationUs>(static_cast<unsigned __int128>(s.max - s.min) * num / den);
  const DurationUs t = s.max - cut;
  return std::max(s.min, t);
}

void Membership::schedule_suspicion(const std::string& node, Suspicion& s) {
  if (s.timer) ctx_.cancel(s.timer);
  const TimeUs due = s.start + suspicion_timeout(node);
  const std::uint64_t inc = s.incarnation;
  s.timer = ctx_.after(std::max<DurationUs>(0, due - ctx_.now()), [this, node, inc] { on_suspicion_timeout(node, inc); });
}

void Membership::on_suspicion_timeout(const std::string& node, std::uint64_t incarnation) {
  if (stopped_) return;
  auto it = members_.find(node);
  if (it == members_.end() || it->second.state != MemberState::suspect || it->second.incarnation != incarnation) return;
  Member& m = it->second;
  suspicions_.erase(node);
  if (m.contact > m.accused_at) {  // it spoke to us since it was accused: alive
    contact_with(node, m);
    return;
  }
  node_.metrics().inc("membership_declared_down_total");
  declare_down(node, m, nullptr, m.accused_at);
}

void Membership::contact_with(const std::string& node, Member& m) {
  m.last_heard = m.contact = ctx_.now();
  // A suspect that talks to us directly is alive: our suspicion is stale, whatever the
  // others still gossip (they are told the same way, or it refutes when it hears of it).
  if (m.state == MemberState::suspect && m.contact > m.accused_at) {
    clear_suspicion(node);
    node_.metrics().inc("membership_suspicions_dropped_on_contact_total");
    set_state(node, m, MemberState::active);
  }
}

void Membership::declare_down(const std::string& node, Member& m, const char* why, TimeUs evidence_since) {
  clear_suspicion(node);
  // The death dates from when the evidence began (the suspicion, or the refused probe):
  // a member that heard from the node since then knows better and ignores it.
  m.accused_at = evidence_since;
  set_state(node, m, MemberState::down, ctx_.self(), why);
  const Update news{node, m.incarnation, GossipState::dead, ctx_.self(), {}, ctx_.now() - evidence_since};
  spread(news);
  // The one who decides tells the members directly (up to kAnnounceMax; gossip carries it
  // further), so every node sees the death within a round trip rather than a few probe
  // rounds. Deaths are rare; this costs a message per member told, once.
  for (const auto& to : pick(names_in({MemberState::active, MemberState::suspect}, node), kAnnounceMax))
    ctx_.send_msg(to, swim::Gossip{{news}});
}

void Membership::clear_suspicion(const std::string& node) {
  auto it = suspicions_.find(node);
  if (it == suspicions_.end()) return;
  if (it->second.timer) ctx_.cancel(it->second.timer);
  suspicions_.erase(it);
}

void Membership::set_state(const std::string& node, Member& m, MemberState to, const std::string& accuser,
                           const char* why) {
  const MemberState from = m.state;
  if (from == to) return;
  m.state = to;
  m.since = ctx_.now();
  live_ = live_ + (is_live(to) ? 1 : 0) - (is_live(from) ? 1 : 0);
  node_.metrics().inc(std::string("membership_marked_") + to_string(to) + "_total");
  trace_member(node, to, m.incarnation, accuser, why);
  if (to == MemberState::down || to == MemberState::left) {
    const TimeUs since = m.since;
    ctx_.after(config_.reap_after, [this, node, since] { reap(node, since); });
  }
  // Listeners may subscribe or unsubscribe while being told: iterate over a copy.
  const auto listeners = listeners_;
  for (const auto& [handle, fn] : listeners) fn(node, from, to);
}

void Membership::reap(const std::string& node, TimeUs since) {
  auto it = members_.find(node);
  if (it == members_.end() || it->second.since != since) return;  // it has moved on since
  if (it->second.state != MemberState::down && it->second.state != MemberState::left) return;
  members_.erase(it);
  pushed_to_unknown_.erase(node);
  node_.metrics().inc("membership_reaped_total");
  if (ctx_.tracing()) ctx_.emit(TraceEvent("reap").with("subject", node));
}

// ---- helpers ---------------------------------------------------------------------------

void Membership::change_health(int delta) {
  health_ = std::clamp(health_ + delta, 0, std::max(0, config_.health_max - 1));
  node_.metrics().set("membership_health_score", health_);
}

void Membership::trace_member(const std::string& subject, MemberState s, std::uint64_t incarnation,
                              const std::string& accuser, const char* why) {
  if (!ctx_.tracing()) return;
  TraceEvent e("member");
  e.with("subject", subject);
  e.with("state", std::string(to_string(s)));
  e.with("incarnation", incarnation);
  if (!accuser.empty()) e.with("accuser", accuser);
  if (why) e.with("why", why);
  ctx_.emit(e);
}

Update Membership::self_update() const {
  return Update{ctx_.self(), incarnation_, stopped_ ? GossipState::left : GossipState::alive, "", info_, 0};
}

Update Membership::update_of(const std::string& node, const Member& m) const {
  Update u{node, m.incarnation, gossip_state(m.state), "", {}, 0};
  if (u.state == GossipState::alive) u.info = m.info;
  if (u.state == GossipState::suspect || u.state == GossipState::dead) u.age = ctx_.now() - m.accused_at;
  return u;
}

std::vector<Update> Membership::full_state() const {
  std::vector<Update> out;
  out.push_back(self_update());
  for (const auto& [name, m] : members_)
    if (m.state != MemberState::joining) out.push_back(update_of(name, m));
  return out;
}

std::vector<Update> Membership::piggyback() { return queue_.take(config_.piggyback_bytes_max, retransmit_limit(), ctx_.now()); }

void Membership::spread(Update u) { queue_.enqueue(std::move(u), ctx_.now()); }

int Membership::retransmit_limit() const { return swim::retransmit_limit(config_.retransmit_mult, cluster_size()); }

std::vector<std::string> Membership::pick(std::vector<std::string> from, std::size_t k) {
  // A partial Fisher-Yates shuffle: the first k are a uniform sample.
  k = std::min(k, from.size());
  for (std::size_t i = 0; i < k; ++i) std::swap(from[i], from[i + ctx_.rng().below(from.size() - i)]);
  from.resize(k);
  return from;
}

std::vector<std::string> Membership::names_in(std::initializer_list<MemberState> states, const std::string& except) const {
  std::vector<std::string> out;
  for (const auto& [name, m] : members_)
    if (name != except && std::find(states.begin(), states.end(), m.state) != states.end()) out.push_back(name);
  return out;
}

std::size_t Membership::cluster_size() const { return 1 + live_; }

// ---- MembershipView --------------------------------------------------------------------

std::vector<MemberInfo> Membership::members() const {
  std::vector<MemberInfo> out;
  auto info_of = [](MemberInfo& mi, const swim::NodeInfo& ni) {
    mi.capabilities = ni.capabilities;
    mi.resources = ni.resources;
    mi.load = ni.load;
    mi.agents = ni.agents;
  };
  MemberInfo me;
  me.name = ctx_.self();
  me.state = state_of(ctx_.self());
  me.incarnation = incarnation_;
  me.last_heard = ctx_.now();
  info_of(me, info_);
  bool self_added = false;
  for (const auto& [name, m] : members_) {
    if (m.state == MemberState::joining) continue;
    if (!self_added && ctx_.self() < name) {
      out.push_back(me);
      self_added = true;
    }
    MemberInfo mi;
    mi.name = name;
    mi.state = m.state;
    mi.incarnation = m.incarnation;
    mi.last_heard = m.last_heard;
    info_of(mi, m.info);
    out.push_back(std::move(mi));
  }
  if (!self_added) out.push_back(me);
  return out;
}

MemberState Membership::state_of(const std::string& node) const {
  if (node == ctx_.self()) return stopped_ ? MemberState::left : self_state_;
  auto it = members_.find(node);
  return it == members_.end() || it->second.state == MemberState::joining ? MemberState::down : it->second.state;
}

int Membership::subscribe(Listener listener) {
  const int h = next_listener_++;
  listeners_.emplace(h, std::move(listener));
  return h;
}

void Membership::unsubscribe(int handle) { listeners_.erase(handle); }

}  // namespace mabeam
