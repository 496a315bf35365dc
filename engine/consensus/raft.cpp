// The Raft core, part one: construction and recovery, ticks, the term rules every message
// passes through, elections (PreVote, votes, CheckQuorum, the leader lease) and the Ready
// batch. Replication, commits, membership and reads are in replication.cpp.
#include <algorithm>
#include <cassert>

#include "engine/consensus/codec.h"
#include "engine/consensus/raft.h"

namespace mabeam::raft {

const char* to_string(Role r) {
  switch (r) {
    case Role::follower: return "follower";
    case Role::pre_candidate: return "pre_candidate";
    case Role::candidate: return "candidate";
    case Role::leader: return "leader";
  }
  return "?";
}

const char* to_string(MsgType t) {
  switch (t) {
    case MsgType::pre_vote: return "pre_vote";
    case MsgType::pre_vote_resp: return "pre_vote_resp";
    case MsgType::vote: return "vote";
    case MsgType::vote_resp: return "vote_resp";
    case MsgType::append: return "append";
    case MsgType::append_resp: return "append_resp";
    case MsgType::heartbeat: return "heartbeat";
    case MsgType::heartbeat_resp: return "heartbeat_resp";
    case MsgType::snapshot: return "snapshot";
    case MsgType::timeout_now: return "timeout_now";
  }
  return "?";
}

Raft::Raft(RaftConfig config, Rng rng, Recovered recovered) : config_(std::move(config)), rng_(rng) {
  assert(config_.election_ticks > config_.heartbeat_ticks && config_.heartbeat_ticks >= 1);
  if (config_.max_inflight == 0) config_.max_inflight = 1;
  if (config_.append_entries_max == 0) config_.append_entries_max = 1;
  hs_ = recovered.hard_state;
  if (recovered.snapshot) {
    snap_ = std::move(*recovered.snapshot);
  } else {
    snap_.config.voters = config_.initial_voters;
  }
  for (auto& e : recovered.entries) {
    if (e.index <= snap_.index) continue;
    if (e.index != last_index() + 1) break;  // the log is contiguous by construction
    if (e.kind == EntryKind::config) config_log_.emplace_back(e.index, Membership{});
    log_.push_back(std::move(e));
  }
  for (auto& [index, m] : config_log_) {
    auto decoded = decode_membership(entry_at(index)->data);
    if (decoded) m = std::move(*decoded);
  }
  recompute_config();
  stable_ = last_index();
  applied_ = snap_.index;
  hs_.commit = std::clamp(hs_.commit, snap_.index, last_index());
  hs_handed_ = hs_;
  reset_election_timer();
}

std::optional<Term> Raft::term_at(Index i) const {
  if (i == snap_.index) return snap_.term;
  if (i < snap_.index || i > last_index()) return std::nullopt;
  return log_[i - snap_.index - 1].term;
}

const Entry* Raft::entry_at(Index i) const {
  if (i <= snap_.index || i > last_index()) return nullptr;
  return &log_[i - snap_.index - 1];
}

Index Raft::match_of(const std::string& peer) const {
  if (peer == config_.self) return stable_;
  auto it = progress_.find(peer);
  return it == progress_.end() ? 0 : it->second.match;
}

void Raft::set_role(Role r) { role_ = r; }

void Raft::reset_election_timer() {
  election_elapsed_ = 0;
  const auto e = config_.election_ticks;
  randomized_timeout_ = static_cast<int>(rng_.between(e, 2 * e - 1));
}

// ---- ticks ----

void Raft::tick() {
  ++ticks_;
  if (role_ == Role::leader)
    tick_heartbeat();
  else
    tick_election();
  after_event();
}

void Raft::tick_election() {
  ++election_elapsed_;
  if (!config_now_.is_voter(config_.self) || election_elapsed_ < randomized_timeout_) return;
  campaign(false);
}

void Raft::tick_heartbeat() {
  ++election_elapsed_;
  ++heartbeat_elapsed_;
  if (!transfer_to_.empty() && ++transfer_elapsed_ >= config_.election_ticks) transfer_to_.clear();
  if (election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      std::size_t active = config_now_.is_voter(config_.self) ? 1 : 0;
      for (auto& [peer, pr] : progress_) {
        if (config_now_.is_voter(peer) && pr.recent_active) ++active;
        pr.recent_active = false;
      }
      if (active < config_now_.quorum()) {
        become_follower(hs_.term, "");
        return;
      }
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat();
  }
}

// ---- roles ----

void Raft::become_follower(Term term, const std::string& leader) {
  if (term > hs_.term) {
    hs_.term = term;
    hs_.vote.clear();
  }
  set_role(Role::follower);
  leader_ = leader;
  progress_.clear();
  promote_.clear();
  transfer_to_.clear();
  reads_.clear();
  reads_before_commit_.clear();
  read_round_pending_ = false;
  bcast_pending_ = false;
  reset_election_timer();
}

void Raft::campaign(bool transfer) {
  if (!config_now_.is_voter(config_.self)) return;
  if (role_ == Role::leader) return;
  if (config_.pre_vote && !transfer)
    become_pre_candidate();
  else
    become_candidate(transfer);
}

void Raft::leader_down(const std::string& node) {
  if (role_ != Role::follower || node.empty() || node != leader_) return;
  leader_.clear();
  const int quick = static_cast<int>(rng_.between(1, std::max(1, config_.election_ticks / 4)));
  election_elapsed_ = std::max(election_elapsed_, randomized_timeout_ - quick);
}

void Raft::become_pre_candidate() {
  set_role(Role::pre_candidate);
  leader_.clear();
  reset_election_timer();
  granted_ = {config_.self};
  refused_.clear();
  if (granted_.size() >= config_now_.quorum()) {
    become_candidate(false);
    return;
  }
  for (const auto& v : config_now_.voters) {
    if (v == config_.self) continue;
    Message m;
    m.type = MsgType::pre_vote;
    m.to = v;
    m.term = hs_.term + 1;
    m.log_index = last_index();
    m.log_term = last_term();
    send(std::move(m));
  }
}

void Raft::become_candidate(bool transfer) {
  hs_.term += 1;
  hs_.vote = config_.self;
  ++elections_;
  set_role(Role::candidate);
  leader_.clear();
  reset_election_timer();
  granted_ = {config_.self};
  refused_.clear();
  if (granted_.size() >= config_now_.quorum()) {
    become_leader();
    return;
  }
  for (const auto& v : config_now_.voters) {
    if (v == config_.self) continue;
    Message m;
    m.type = MsgType::vote;
    m.to = v;
    m.log_index = last_index();
    m.log_term = last_term();
    m.transfer = transfer;
    send(std::move(m));
  }
}

void Raft::become_leader() {
  set_role(Role::leader);
  leader_ = config_.self;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  hb_seq_ = 0;
  seq_ticks_.clear();
  progress_.clear();
  transfer_to_.clear();
  for (const auto& n : config_now_.voters)
    if (n != config_.self) progress_[n].next = last_index() + 1;
  for (const auto& n : config_now_.learners)
    if (n != config_.self) progress_[n].next = last_index() + 1;
  // Every peer gets an election timeout of grace before CheckQuorum counts it.
  for (auto& [peer, pr] : progress_) pr.recent_active = true;
  // An uncommitted config entry of an earlier term still counts as pending.
  pending_config_ = config_log_.empty() ? 0 : config_log_.back().first;
  append_local(EntryKind::noop, {});
}

// ---- messages ----

bool Raft::in_lease() const {
  return config_.check_quorum && !leader_.empty() && election_elapsed_ < config_.election_ticks;
}

void Raft::step(const Message& m) {
  if (m.cluster_id != config_.cluster_id || m.to != config_.self || m.from == config_.self) return;
  const bool vote_request = m.type == MsgType::pre_vote || m.type == MsgType::vote;
  if (m.term > hs_.term) {
    if (vote_request && !m.transfer && in_lease()) return;  // a leader is alive: ignore
    if (m.type == MsgType::pre_vote) {
      // Answered below without changing our term.
    } else if (m.type == MsgType::pre_vote_resp && !m.reject) {
      // A grant carries the term it was asked for; our term stays until we campaign.
    } else {
      const bool from_leader = m.type == MsgType::append || m.type == MsgType::heartbeat ||
                               m.type == MsgType::snapshot || m.type == MsgType::timeout_now;
      become_follower(m.term, from_leader ? m.from : "");
    }
  } else if (m.term < hs_.term) {
    if (m.type == MsgType::append || m.type == MsgType::heartbeat || m.type == MsgType::snapshot) {
      // A stale leader: tell it our term so it steps down.
      Message r;
      r.type = MsgType::append_resp;
      r.to = m.from;
      r.reject = true;
      send(std::move(r));
    } else if (m.type == MsgType::pre_vote) {
      Message r;
      r.type = MsgType::pre_vote_resp;
      r.to = m.from;
      r.reject = true;
      send(std::move(r));
    }
    return;
  }

  switch (m.type) {
    case MsgType::pre_vote:
    case MsgType::vote: handle_vote_request(m); break;
    case MsgType::pre_vote_resp:
      if (role_ == Role::pre_candidate) handle_vote_response(m);
      break;
    case MsgType::vote_resp:
      if (role_ == Role::candidate) handle_vote_response(m);
      break;
    case MsgType::append:
    case MsgType::heartbeat:
    case MsgType::snapshot:
      if (role_ == Role::leader) break;  // cannot happen in one term (election safety)
      if (role_ != Role::follower) become_follower(hs_.term, m.from);
      leader_ = m.from;
      election_elapsed_ = 0;
      if (m.type == MsgType::append)
        handle_append(m);
      else if (m.type == MsgType::heartbeat)
        handle_heartbeat(m);
      else
        handle_snapshot(m);
      break;
    case MsgType::append_resp:
      if (role_ == Role::leader) handle_append_response(m);
      break;
    case MsgType::heartbeat_resp:
      if (role_ == Role::leader) handle_heartbeat_response(m);
      break;
    case MsgType::timeout_now:
      if (role_ != Role::leader) campaign(true);
      break;
  }
  after_event();
}

bool Raft::log_up_to_date(Index li, Term lt) const {
  return lt > last_term() || (lt == last_term() && li >= last_index());
}

void Raft::handle_vote_request(const Message& m) {
  const bool pre = m.type == MsgType::pre_vote;
  bool can_vote = hs_.vote == m.from || (hs_.vote.empty() && leader_.empty()) || (pre && m.term > hs_.term);
  if (!pre && config_.bugs.double_vote) can_vote = true;
  Message r;
  r.type = pre ? MsgType::pre_vote_resp : MsgType::vote_resp;
  r.to = m.from;
  if (can_vote && log_up_to_date(m.log_index, m.log_term)) {
    r.term = m.term;  // for a pre-vote: the term asked about
    if (!pre) {
      hs_.vote = m.from;
      election_elapsed_ = 0;
    }
  } else {
    r.reject = true;
  }
  send(std::move(r));
}

void Raft::handle_vote_response(const Message& m) {
  const bool pre = role_ == Role::pre_candidate;
  if (pre && !m.reject && m.term != hs_.term + 1) return;  // a grant for an older round
  if (!config_now_.is_voter(m.from) || !counts(m)) return;
  (m.reject ? refused_ : granted_).insert(m.from);
  if (granted_.size() >= config_now_.quorum()) {
    if (pre)
      become_candidate(false);
    else
      become_leader();
  } else if (refused_.size() >= config_now_.quorum()) {
    become_follower(hs_.term, "");
  }
}

void Raft::send(Message m) {
  m.from = config_.self;
  m.cluster_id = config_.cluster_id;
  m.storage_id = config_.storage_id;
  if (m.term == 0) m.term = hs_.term;
  msgs_.push_back(std::move(m));
}

// ---- the Ready batch ----

bool Raft::has_ready() const {
  if (hs_ != hs_handed_ || snapshot_unpersisted_ || unpersisted_from_ != 0 || !msgs_.empty() || !read_states_.empty())
    return true;
  if (role_ == Role::leader && (bcast_pending_ || read_round_pending_)) return true;
  return std::min(hs_.commit, stable_) > applied_;
}

Ready Raft::take_ready() {
  if (role_ == Role::leader) {
    if (bcast_pending_) broadcast_append();
    if (read_round_pending_) {
      read_round_pending_ = false;
      broadcast_heartbeat();
    }
  }
  Ready r;
  if (hs_ != hs_handed_) {
    r.hard_state = hs_;
    hs_handed_ = hs_;
  }
  if (snapshot_unpersisted_) {
    r.snapshot = snap_;
    r.persisted_index = snap_.index;
    r.persisted_term = snap_.term;
    snapshot_unpersisted_ = false;
  }
  if (unpersisted_from_ != 0) {
    for (Index i = std::max(unpersisted_from_, first_index()); i <= last_index(); ++i) r.entries.push_back(*entry_at(i));
    unpersisted_from_ = 0;
    if (!r.entries.empty()) {
      r.persisted_index = r.entries.back().index;
      r.persisted_term = r.entries.back().term;
    }
  }
  r.messages = std::move(msgs_);
  msgs_.clear();
  const Index upto = std::min(hs_.commit, stable_);
  for (Index i = applied_ + 1; i <= upto; ++i) r.committed.push_back(*entry_at(i));
  if (upto > applied_) applied_ = upto;
  r.read_states = std::move(read_states_);
  read_states_.clear();
  return r;
}

void Raft::on_persisted(Index index, Term term) {
  if (index > stable_ && index <= last_index() && term_at(index) == term) stable_ = index;
  if (role_ == Role::leader) maybe_commit();
  after_event();
}

Status Raft::compact(Index index, Bytes data) {
  if (index <= snap_.index) return Status::ok();
  if (index > applied_)
    return Status::invalid("compact: index " + std::to_string(index) + " is past the applied index " + std::to_string(applied_));
  Snapshot s;
  s.index = index;
  s.term = *term_at(index);
  s.config = snap_.config;
  for (const auto& [i, m] : config_log_)
    if (i <= index) s.config = m;
  s.data = std::move(data);
  while (!log_.empty() && log_.front().index <= index) log_.pop_front();
  config_log_.erase(std::remove_if(config_log_.begin(), config_log_.end(), [&](const auto& c) { return c.first <= index; }),
                    config_log_.end());
  snap_ = std::move(s);
  return Status::ok();
}

void Raft::after_event() {
  // A leader removed from the configuration steps down once the removal is committed.
  if (role_ == Role::leader && !config_now_.is_voter(config_.self) && pending_config_ <= hs_.commit)
    become_follower(hs_.term, "");
}

}  // namespace mabeam::raft
