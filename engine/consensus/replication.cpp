// The Raft core, part two: log replication (probe/replicate/snapshot progress, a bounded
// pipeline of appends per follower), the commit rule, membership changes one voter at a
// time with learners promoted once caught up, leadership transfer, and ReadIndex/lease
// reads. See raft.h for the whole picture.
#include <algorithm>
#include <cassert>

#include "engine/consensus/codec.h"
#include "engine/consensus/raft.h"
#include "engine/fixed_math.h"

namespace mabeam::raft {

namespace {
constexpr std::size_t kPendingReadsMax = 4096;
constexpr std::size_t kSeqTicksKept = 256;
}  // namespace

// ---- the leader's side ----

void Raft::send_append(const std::string& to, bool allow_empty) {
  auto it = progress_.find(to);
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  if (pr.state == ProgressState::snapshot) return;
  if (pr.state == ProgressState::probe && pr.paused) return;
  if (pr.state == ProgressState::replicate && pr.inflight.size() >= config_.max_inflight) return;
  const Index prev = pr.next - 1;
  const auto prev_term = term_at(prev);
  if (!prev_term) {
    // The entries it needs are compacted away: send the snapshot.
    pr.state = ProgressState::snapshot;
    pr.snapshot_index = snap_.index;
    pr.snapshot_tick = ticks_;
    pr.inflight.clear();
    Message m;
    m.type = MsgType::snapshot;
    m.to = to;
    m.snapshot = snap_;
    send(std::move(m));
    return;
  }
  Message m;
  m.type = MsgType::append;
  m.to = to;
  m.log_index = prev;
  m.log_term = *prev_term;
  m.commit = hs_.commit;
  std::size_t bytes = 0;
  for (Index i = pr.next; i <= last_index() && m.entries.size() < config_.append_entries_max; ++i) {
    const Entry& e = *entry_at(i);
    if (!m.entries.empty() && bytes + e.data.size() > config_.append_bytes_max) break;
    bytes += e.data.size();
    m.entries.push_back(e);
  }
  if (m.entries.empty() && !allow_empty) return;
  if (pr.state == ProgressState::replicate) {
    if (!m.entries.empty()) {
      pr.next = m.entries.back().index + 1;
      pr.inflight.push_back(m.entries.back().index);
    }
  } else {
    pr.paused = true;
  }
  send(std::move(m));
}

void Raft::broadcast_append() {
  bcast_pending_ = false;
  const bool commit_news = commit_sent_ < hs_.commit;
  commit_sent_ = hs_.commit;
  for (auto& [peer, pr] : progress_) {
    // Keep the pipeline full; an empty append carries a new commit index to idle followers.
    const bool idle = pr.state == ProgressState::replicate && pr.inflight.empty() && pr.next > last_index();
    send_append(peer, commit_news && idle);
    while (pr.state == ProgressState::replicate && pr.next <= last_index() && pr.inflight.size() < config_.max_inflight) {
      const Index before = pr.next;
      send_append(peer, false);
      if (pr.next == before) break;
    }
  }
}

void Raft::send_heartbeat(const std::string& to) {
  Message m;
  m.type = MsgType::heartbeat;
  m.to = to;
  m.commit = std::min(match_of(to), hs_.commit);
  m.seq = hb_seq_;
  send(std::move(m));
}

void Raft::broadcast_heartbeat() {
  ++hb_seq_;
  seq_ticks_.emplace_back(hb_seq_, ticks_);
  while (seq_ticks_.size() > kSeqTicksKept) seq_ticks_.pop_front();
  for (const auto& [peer, pr] : progress_) send_heartbeat(peer);
  check_reads();
}

bool Raft::counts(const Message& m) {
  auto it = config_now_.ids.find(m.from);
  if (it != config_now_.ids.end() && it->second != 0 && it->second != m.storage_id) {
    ++foreign_answers_;
    last_foreign_ = m.from;
    return false;
  }
  if (m.storage_id != 0) seen_ids_[m.from] = m.storage_id;
  return true;
}

void Raft::handle_append_response(const Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end() || !counts(m)) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  if (m.reject) {
    // Stale unless it answers the append we would send now.
    if (pr.state == ProgressState::replicate ? m.log_index <= pr.match : m.log_index != pr.next - 1) return;
    pr.next = std::max(pr.match + 1, std::min(m.hint + 1, m.log_index));
    pr.state = ProgressState::probe;
    pr.paused = false;
    pr.inflight.clear();
    send_append(m.from, true);
    return;
  }
  if (m.hint > pr.match) {
    pr.match = m.hint;
    pr.next = std::max(pr.next, m.hint + 1);
  }
  switch (pr.state) {
    case ProgressState::probe:
      if (m.hint + 1 >= pr.next) {
        pr.state = ProgressState::replicate;
        pr.next = pr.match + 1;
        pr.inflight.clear();
      }
      pr.paused = false;
      break;
    case ProgressState::snapshot:
      if (pr.match >= pr.snapshot_index) {
        pr.state = ProgressState::replicate;
        pr.next = pr.match + 1;
        pr.inflight.clear();
      }
      break;
    case ProgressState::replicate:
      while (!pr.inflight.empty() && pr.inflight.front() <= pr.match) pr.inflight.pop_front();
      break;
  }
  if (maybe_commit()) bcast_pending_ = true;
  if (m.from == transfer_to_ && pr.match == last_index()) {
    Message t;
    t.type = MsgType::timeout_now;
    t.to = m.from;
    send(std::move(t));
  }
  bcast_pending_ = bcast_pending_ || pr.next <= last_index();
  maybe_change_config();
}

void Raft::handle_heartbeat_response(const Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end() || !counts(m)) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  pr.acked_seq = std::max(pr.acked_seq, m.seq);
  if (pr.state == ProgressState::probe) pr.paused = false;
  // A lost append would hold a slot of the pipeline forever; free one per heartbeat.
  if (pr.state == ProgressState::replicate && pr.inflight.size() >= config_.max_inflight) pr.inflight.pop_front();
  if (pr.state == ProgressState::snapshot && ticks_ - pr.snapshot_tick >= static_cast<std::uint64_t>(config_.election_ticks)) {
    pr.state = ProgressState::probe;  // the snapshot was lost: try again
    pr.paused = false;
    pr.next = pr.match + 1;
  }
  if (pr.state == ProgressState::replicate && pr.match < last_index()) {
    // No progress since the last answer: the appends in flight were lost (nothing else
    // would tell: a follower only rejects an append it receives). Resend from its match.
    if (pr.match == pr.match_at_heartbeat) {
      pr.state = ProgressState::probe;
      pr.next = pr.match + 1;
      pr.paused = false;
      pr.inflight.clear();
    }
    pr.match_at_heartbeat = pr.match;
  }
  if (pr.match < last_index()) send_append(m.from, false);
  check_reads();
  maybe_change_config();
}

bool Raft::maybe_commit() {
  std::vector<Index> matches;
  for (const auto& v : config_now_.voters) matches.push_back(match_of(v));
  if (matches.empty()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const Index n = matches[config_now_.quorum() - 1];
  if (n <= hs_.commit || term_at(n) != hs_.term) return false;
  advance_commit(n);
  return true;
}

void Raft::advance_commit(Index to) {
  if (to <= hs_.commit) return;
  const bool had = committed_in_term();
  hs_.commit = to;
  if (role_ == Role::leader && !had && committed_in_term()) release_waiting_reads();
}

bool Raft::committed_in_term() const { return term_at(hs_.commit) == hs_.term; }

// ---- the follower's side ----

void Raft::handle_append(const Message& m) {
  Message r;
  r.type = MsgType::append_resp;
  r.to = m.from;
  r.log_index = m.log_index;
  if (m.log_index < hs_.commit) {
    r.hint = hs_.commit;  // everything up to our commit is settled: resume from there
    send(std::move(r));
    return;
  }
  if (term_at(m.log_index) == m.log_term) {
    append_entries(m.entries);
    const Index last_new = m.log_index + m.entries.size();
    advance_commit(std::min(m.commit, last_new));
    r.hint = last_new;
    send(std::move(r));
    return;
  }
  r.reject = true;
  if (m.log_index > last_index()) {
    r.hint = last_index();
  } else {
    // Skip back over the whole term that conflicts, not one entry at a time.
    const auto t = term_at(m.log_index);
    Index i = m.log_index;
    while (i - 1 > hs_.commit && term_at(i - 1) == t) --i;
    r.hint = i - 1;
  }
  send(std::move(r));
}

void Raft::handle_heartbeat(const Message& m) {
  advance_commit(std::min(m.commit, last_index()));
  Message r;
  r.type = MsgType::heartbeat_resp;
  r.to = m.from;
  r.seq = m.seq;
  send(std::move(r));
}

void Raft::handle_snapshot(const Message& m) {
  Message r;
  r.type = MsgType::append_resp;
  r.to = m.from;
  r.log_index = m.log_index;
  if (!m.snapshot) return;
  const Snapshot& s = *m.snapshot;
  if (s.index <= hs_.commit) {
    r.hint = hs_.commit;
  } else if (term_at(s.index) == s.term) {
    advance_commit(s.index);  // we hold it already
    r.hint = s.index;
  } else {
    snap_ = s;
    log_.clear();
    config_log_.clear();
    recompute_config();
    hs_.commit = s.index;
    applied_ = s.index;
    stable_ = 0;  // until the snapshot is durable
    unpersisted_from_ = 0;
    snapshot_unpersisted_ = true;
    r.hint = s.index;
  }
  send(std::move(r));
}

void Raft::append_entries(const std::vector<Entry>& entries) {
  std::size_t k = 0;
  for (; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    const auto t = term_at(e.index);
    if (!t) break;
    if (*t != e.term) {
      assert(e.index > hs_.commit && "a committed entry is never overwritten");
      truncate_after(e.index - 1);
      break;
    }
  }
  for (; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    if (e.index != last_index() + 1) break;
    log_.push_back(e);
    if (unpersisted_from_ == 0 || e.index < unpersisted_from_) unpersisted_from_ = e.index;
    if (e.kind == EntryKind::config) {
      auto decoded = decode_membership(e.data);
      config_log_.emplace_back(e.index, decoded ? std::move(*decoded) : config_now_);
      recompute_config();
    }
  }
}

void Raft::truncate_after(Index i) {
  while (last_index() > i && !log_.empty()) log_.pop_back();
  stable_ = std::min(stable_, i);
  while (!config_log_.empty() && config_log_.back().first > i) config_log_.pop_back();
  recompute_config();
}

void Raft::append_local(EntryKind kind, Bytes data) {
  Entry e;
  e.term = hs_.term;
  e.index = last_index() + 1;
  e.kind = kind;
  e.data = std::move(data);
  if (unpersisted_from_ == 0 || e.index < unpersisted_from_) unpersisted_from_ = e.index;
  if (kind == EntryKind::config) {
    auto decoded = decode_membership(e.data);
    assert(decoded);
    config_log_.emplace_back(e.index, std::move(*decoded));
    pending_config_ = e.index;
  }
  log_.push_back(std::move(e));
  if (kind == EntryKind::config) recompute_config();
  bcast_pending_ = true;
}

void Raft::recompute_config() {
  config_now_ = config_log_.empty() ? snap_.config : config_log_.back().second;
  if (role_ != Role::leader) return;
  for (auto it = progress_.begin(); it != progress_.end();)
    it = config_now_.is_member(it->first) ? std::next(it) : progress_.erase(it);
  auto add = [&](const std::string& n) {
    if (n == config_.self || progress_.count(n)) return;
    Progress& pr = progress_[n];
    pr.next = last_index() + 1;
    pr.recent_active = true;
  };
  for (const auto& n : config_now_.voters) add(n);
  for (const auto& n : config_now_.learners) add(n);
}

// ---- client calls ----

Result<Index> Raft::propose(Bytes data) {
  if (role_ != Role::leader) return Status::unavailable("not the leader" + (leader_.empty() ? std::string() : "; the leader is " + leader_));
  if (!transfer_to_.empty()) return Status::unavailable("a leadership transfer to " + transfer_to_ + " is in progress");
  append_local(EntryKind::normal, std::move(data));
  return last_index();
}

Status Raft::change_membership(Change change, const std::string& node) {
  if (role_ != Role::leader) return Status::unavailable("not the leader");
  if (pending_config_ > hs_.commit || !committed_in_term())
    return Status::unavailable("a membership change is still being committed");
  Membership next = config_now_;
  switch (change) {
    case Change::add_voter:
      if (next.is_voter(node)) return Status::invalid(node + " is already a voter");
      if (next.learners.count(node) && match_of(node) >= hs_.commit) {
        next.learners.erase(node);
        next.voters.insert(node);
        promote_.erase(node);
      } else {
        promote_.insert(node);  // added as a learner, promoted once caught up
        if (next.learners.count(node)) return Status::ok();
        next.learners.insert(node);
      }
      break;
    case Change::add_learner:
      if (next.is_member(node)) return Status::invalid(node + " is already a member");
      next.learners.insert(node);
      break;
    case Change::remove:
      if (!next.is_member(node)) return Status::invalid(node + " is not a member");
      if (next.is_voter(node) && next.voters.size() == 1) return Status::invalid("cannot remove the last voter");
      next.voters.erase(node);
      next.learners.erase(node);
      next.ids.erase(node);
      promote_.erase(node);
      break;
  }
  append_local(EntryKind::config, encode_membership(next));
  return Status::ok();
}

void Raft::maybe_change_config() {
  if (role_ != Role::leader || pending_config_ > hs_.commit || !committed_in_term() || !transfer_to_.empty()) return;
  // First record the data directory of members that answered, so a member that comes
  // back with another one is not counted (raft.h, Membership::ids).
  Membership next = config_now_;
  bool changed = false;
  auto note = [&](const std::string& n) {
    if (n == config_.self) {
      if (!next.ids.count(n) && config_.storage_id != 0) next.ids[n] = config_.storage_id, changed = true;
      return;
    }
    auto seen = seen_ids_.find(n);
    if (!next.ids.count(n) && seen != seen_ids_.end()) next.ids[n] = seen->second, changed = true;
  };
  for (const auto& n : next.voters) note(n);
  for (const auto& n : next.learners) note(n);
  if (!changed) {
    for (const auto& n : promote_) {
      if (next.learners.count(n) && match_of(n) >= hs_.commit) {
        next.learners.erase(n);
        next.voters.insert(n);
        promote_.erase(n);
        changed = true;
        break;
      }
    }
  }
  if (changed) append_local(EntryKind::config, encode_membership(next));
}

Status Raft::transfer_leader(const std::string& to) {
  if (role_ != Role::leader) return Status::unavailable("not the leader");
  if (to == config_.self) return Status::ok();
  if (!config_now_.is_voter(to)) return Status::invalid(to + " is not a voter");
  transfer_to_ = to;
  transfer_elapsed_ = 0;
  if (match_of(to) == last_index()) {
    Message t;
    t.type = MsgType::timeout_now;
    t.to = to;
    send(std::move(t));
  } else {
    send_append(to, false);
  }
  return Status::ok();
}

// ---- reads ----

Status Raft::read_index(std::uint64_t id) {
  if (role_ != Role::leader) return Status::unavailable("not the leader" + (leader_.empty() ? std::string() : "; the leader is " + leader_));
  if (reads_.size() + reads_before_commit_.size() >= kPendingReadsMax)
    return Status::unavailable("too many reads in flight (" + std::to_string(kPendingReadsMax) + ")");
  if (!committed_in_term()) {
    reads_before_commit_.push_back(id);
    return Status::ok();
  }
  start_read(id);
  return Status::ok();
}

void Raft::start_read(std::uint64_t id) {
  if (config_.read == ReadMode::lease && lease_valid()) {
    read_states_.push_back({id, hs_.commit});
    return;
  }
  reads_.push_back({id, hs_.commit, hb_seq_ + 1});
  read_round_pending_ = true;
  if (progress_.empty()) {  // a single voter confirms itself
    read_round_pending_ = false;
    broadcast_heartbeat();
  }
}

void Raft::release_waiting_reads() {
  auto ids = std::move(reads_before_commit_);
  reads_before_commit_.clear();
  for (auto id : ids) start_read(id);
}

std::uint64_t Raft::quorum_acked_seq() const {
  std::vector<std::uint64_t> acked;
  for (const auto& v : config_now_.voters) {
    if (v == config_.self) {
      acked.push_back(hb_seq_);
      continue;
    }
    auto it = progress_.find(v);
    acked.push_back(it == progress_.end() ? 0 : it->second.acked_seq);
  }
  if (acked.empty()) return 0;
  std::sort(acked.begin(), acked.end(), std::greater<>());
  return acked[config_now_.quorum() - 1];
}

void Raft::check_reads() {
  if (role_ != Role::leader || reads_.empty()) return;
  const auto acked = quorum_acked_seq();
  while (!reads_.empty() && reads_.front().seq <= acked) {
    read_states_.push_back({reads_.front().id, reads_.front().index});
    reads_.pop_front();
  }
}

bool Raft::lease_valid() const {
  if (role_ != Role::leader || !committed_in_term() || !config_.check_quorum) return false;
  const auto acked = quorum_acked_seq();
  if (acked == 0) return false;
  // The lease runs from when the acknowledged round was sent. A follower that heard it
  // refuses votes for election_ticks of its own ticks; with clocks within max_drift of real
  // time, and a tick lost to rounding on each side, this many of ours are safe.
  // (election_ticks - 1) * (1 - 2 max_drift) - 1, in integers (parts per million).
  const std::int64_t keep_ppm = 1'000'000 - 2 * fixed::to_ppm(config_.max_drift);
  const auto lease_ticks = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, static_cast<std::int64_t>(config_.election_ticks - 1) * keep_ppm / 1'000'000 - 1));
  for (const auto& [seq, tick] : seq_ticks_)
    if (seq == acked) return ticks_ - tick < lease_ticks;
  return false;
}

}  // namespace mabeam::raft
