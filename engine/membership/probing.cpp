// SWIM membership, the failure detector's half (see membership.h): the round-robin probe,
// indirect probes through helpers, probes started by the host's hints (a closed
// connection), and the weighing of refused connections as evidence of a death.
#include <algorithm>

#include "engine/membership/membership.h"

namespace mabeam {

using swim::GossipState;
using swim::Update;

namespace {
bool is_live(MemberState s) { return s == MemberState::active || s == MemberState::suspect; }
}  // namespace

// ---- the round-robin probe -------------------------------------------------------------

void Membership::tick() {
  if (stopped_) return;
  if (probe_.active) settle_verification(probe_);
  if (probe_.active && !probe_.acked) {
    // Neither the target nor any helper answered within the whole period.
    node_.metrics().inc("membership_probes_failed_total");
    change_health(+1);
    // A member already suspect (by someone else) gets our independent confirmation, which
    // shortens its suspicion (Lifeguard).
    auto it = members_.find(probe_.target);
    if (it != members_.end() && is_live(it->second.state))
      apply_suspect(Update{probe_.target, it->second.incarnation, GossipState::suspect, ctx_.self(), {}, 0});
  }
  probe_.active = false;

  // The next target in this round's shuffled order; a new round reshuffles.
  std::string target;
  for (int pass = 0; pass < 2 && target.empty(); ++pass) {
    while (probe_next_ < probe_order_.size()) {
      const std::string& cand = probe_order_[probe_next_++];
      auto it = members_.find(cand);
      if (it != members_.end() && is_live(it->second.state)) {
        target = cand;
        break;
      }
    }
    if (target.empty()) {
      probe_order_ = names_in({MemberState::active, MemberState::suspect});
      for (std::size_t i = probe_order_.size(); i > 1; --i)
        std::swap(probe_order_[i - 1], probe_order_[ctx_.rng().below(i)]);
      probe_next_ = 0;
    }
  }
  if (!target.empty()) {
    probe_ = Probe{};
    probe_.active = true;
    probe_.seq = ++seq_;
    probe_.target = target;
    probe_.started = ctx_.now();
    node_.metrics().inc("membership_probes_total");
    ctx_.send_msg(target, swim::Ping{probe_.seq, target, ping_updates(target)});
    const std::uint64_t seq = probe_.seq;
    ctx_.after(scaled(config_.probe_timeout), [this, seq] { on_probe_timeout(seq); });
  }
  ctx_.after(scaled(config_.probe_interval), [this] { tick(); });
}

void Membership::on_probe_timeout(std::uint64_t seq) {
  if (stopped_ || !probe_.active || probe_.acked || probe_.seq != seq) return;
  probe_indirectly(probe_);
}

void Membership::probe_indirectly(Probe& probe) {
  if (probe.indirect_sent) return;
  probe.indirect_sent = true;
  node_.metrics().inc("membership_indirect_probes_total");
  auto helpers = pick(names_in({MemberState::active}, probe.target), static_cast<std::size_t>(config_.indirect_probes));
  probe.helpers = helpers.size();
  for (const auto& h : helpers) ctx_.send_msg(h, swim::PingReq{probe.seq, probe.target, piggyback()});
}

std::vector<Update> Membership::ping_updates(const std::string& target) {
  auto updates = piggyback();
  // Buddy system: a suspect hears of its suspicion on the very probe it gets.
  auto it = members_.find(target);
  if (it != members_.end() && it->second.state == MemberState::suspect) {
    updates.erase(std::remove_if(updates.begin(), updates.end(), [&](const Update& u) { return u.node == target; }),
                  updates.end());
    updates.insert(updates.begin(), Update{target, it->second.incarnation, GossipState::suspect, ctx_.self(), {},
                                           ctx_.now() - it->second.accused_at});
  }
  return updates;
}

// ---- probes after hints, and refusals --------------------------------------------------

Membership::Probe* Membership::probe_of(std::uint64_t seq) {
  if (probe_.active && probe_.seq == seq) return &probe_;
  auto h = hint_probes_.find(seq);
  return h == hint_probes_.end() ? nullptr : &h->second;
}

void Membership::hint_unreachable(const std::string& name) {
  if (stopped_ || !joined_) return;
  auto it = members_.find(name);
  if (it == members_.end() || it->second.state != MemberState::active) return;
  probe_now(name);
}

void Membership::probe_now(const std::string& name, TimeUs since) {
  // Being probed since the question arose: that probe's end decides.
  if (probe_.active && !probe_.acked && probe_.target == name && probe_.started >= since) return;
  for (auto& [seq, h] : hint_probes_)
    if (h.target == name && h.started >= since) return;
  const std::uint64_t seq = ++seq_;
  Probe& h = hint_probes_[seq];
  h.active = true;
  h.seq = seq;
  h.target = name;
  h.started = ctx_.now();
  node_.metrics().inc("membership_hint_probes_total");
  ctx_.send_msg(name, swim::Ping{seq, name, ping_updates(name)});
  ctx_.after(scaled(config_.probe_timeout), [this, seq] {
    auto p = hint_probes_.find(seq);
    if (stopped_ || p == hint_probes_.end() || p->second.acked) return;
    probe_indirectly(p->second);
  });
  ctx_.after(scaled(config_.probe_interval), [this, seq] { on_hint_probe_end(seq); });
}

void Membership::on_hint_probe_end(std::uint64_t seq) {
  auto h = hint_probes_.find(seq);
  if (h == hint_probes_.end()) return;
  const Probe probe = h->second;
  hint_probes_.erase(h);
  if (stopped_) return;
  if (settle_verification(probe)) return;
  if (probe.acked) return;
  auto it = members_.find(probe.target);
  if (it == members_.end() || !is_live(it->second.state)) return;
  node_.metrics().inc("membership_hint_probes_failed_total");
  apply_suspect(Update{probe.target, it->second.incarnation, GossipState::suspect, ctx_.self(), {}, 0});
}

void Membership::hint_refused(const std::string& name) {
  if (stopped_ || !joined_ || name == ctx_.self()) return;
  node_.metrics().inc("membership_refusals_total");
  // A helper relaying a ping to `name` tells the requester at once.
  for (auto& [seq, r] : relays_) {
    if (r.target != name || r.nacked) continue;
    r.nacked = true;
    ctx_.send_msg(r.requester, swim::Nack{r.seq});
  }
  // A probe of `name` in flight: ask the helpers now, and weigh the evidence.
  bool probing = false;
  auto weigh = [&](Probe& p) {
    if (p.target != name || p.acked) return;
    probing = true;
    p.refused = true;
    probe_indirectly(p);
    weigh_refusals(p);
  };
  if (probe_.active) weigh(probe_);
  for (auto& [seq, h] : hint_probes_) weigh(h);
  // Otherwise the refusal is a hint like a closed connection: probe now, and that probe's
  // own ping will be refused in turn if nothing listens there.
  if (!probing) hint_unreachable(name);
}

void Membership::on_nack(const std::string& from, swim::Nack&& m) {
  if (stopped_) return;
  heard_from(from);
  Probe* p = probe_of(m.seq);
  if (!p || p->acked) return;
  p->refusing.insert(from);
  weigh_refusals(*p);
}

bool Membership::settle_verification(const Probe& p) {
  auto pending = pending_deaths_.find(p.target);
  if (pending == pending_deaths_.end() || p.started < pending->second.since) return false;
  if (p.acked) {
    // It answered us: the verdict was someone else's view, not ours.
    pending_deaths_.erase(p.target);
    node_.metrics().inc("membership_deaths_not_confirmed_total");
  } else {
    accept_death(p.target);
  }
  return true;
}

void Membership::weigh_refusals(Probe& p) {
  if (!p.refused || p.acked) return;
  // A verdict we were verifying, and our own refusal: that settles it.
  if (auto pending = pending_deaths_.find(p.target); pending != pending_deaths_.end() && p.started >= pending->second.since) {
    p.acked = true;
    accept_death(p.target);
    return;
  }
  // Our own refusal, and a helper's, or nobody to ask: enough to skip the suspicion.
  if (p.refusing.empty() && !(p.indirect_sent && p.helpers == 0)) return;
  auto it = members_.find(p.target);
  if (it == members_.end() || !is_live(it->second.state)) return;
  p.acked = true;  // settled: the probe's end must not also suspect it
  node_.metrics().inc("membership_declared_down_refused_total");
  declare_down(p.target, it->second, "refused", p.started);
}

// ---- pings, acks, ping-requests --------------------------------------------------------

void Membership::on_ping(const std::string& from, swim::Ping&& m) {
  if (stopped_) return;
  heard_from(from);
  merge(m.updates, false, from);
  if (m.target != ctx_.self()) {
    node_.metrics().inc("membership_misdirected_pings_total");
    return;
  }
  // The ack proves we are alive; with our current incarnation in it, a prober that still
  // holds us suspect at an older one (having missed the refutation's gossip) clears it.
  auto updates = piggyback();
  updates.erase(std::remove_if(updates.begin(), updates.end(), [&](const Update& u) { return u.node == ctx_.self(); }),
                updates.end());
  updates.insert(updates.begin(), self_update());
  ctx_.send_msg(from, swim::Ack{m.seq, std::move(updates)});
}

void Membership::on_ack(const std::string& from, swim::Ack&& m) {
  if (stopped_) return;
  heard_from(from);
  merge(m.updates, false, from);
  if (auto h = hint_probes_.find(m.seq); h != hint_probes_.end()) {
    h->second.acked = true;
    if (auto t = members_.find(h->second.target); t != members_.end()) contact_with(t->first, t->second);
    return;
  }
  auto relay = relays_.find(m.seq);
  if (relay != relays_.end()) {
    ctx_.send_msg(relay->second.requester, swim::Ack{relay->second.seq, piggyback()});
    relays_.erase(relay);
    return;
  }
  if (probe_.active && !probe_.acked && m.seq == probe_.seq) {
    probe_.acked = true;
    change_health(-1);
    // Relayed or not, the ack is the target's own answer to us.
    if (auto t = members_.find(probe_.target); t != members_.end()) contact_with(t->first, t->second);
  }
}

void Membership::on_ping_req(const std::string& from, swim::PingReq&& m) {
  if (stopped_) return;
  heard_from(from);
  merge(m.updates, false, from);
  if (m.target == ctx_.self() || m.target == from) return;
  const std::uint64_t seq = ++seq_;
  relays_[seq] = Relay{from, m.seq, m.target, false};
  ctx_.send_msg(m.target, swim::Ping{seq, m.target, piggyback()});
  // A relay not answered within the requester's period is useless: forget it.
  ctx_.after(config_.probe_interval, [this, seq] { relays_.erase(seq); });
}

}  // namespace mabeam
