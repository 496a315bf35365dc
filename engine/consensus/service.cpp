// The consensus service: drives the Raft core through the node's Context (see service.h).
#include "engine/consensus/service.h"

#include <algorithm>

#include "engine/trace_event.h"

namespace mabeam::raft {

namespace {
const std::string kMetaFile = "raft.meta";
const std::string kLogFile = "raft.log";
const std::string kSnapFile = "raft.snap";
constexpr DurationUs kTicksPerHeartbeat = 5;
}  // namespace

std::uint64_t cluster_id_of(const std::vector<std::string>& voters) {
  std::vector<std::string> sorted = voters;
  std::sort(sorted.begin(), sorted.end());
  std::string text = "mabeam-raft";
  for (const auto& v : sorted) text += "," + v;
  return fnv1a64(text) | 1;  // never 0
}

ConsensusService::ConsensusService(Node& node, ConsensusConfig config) : Service(node), config_(std::move(config)) {
  node.route<Wire<MsgType::pre_vote>>([this](const std::string& f, Wire<MsgType::pre_vote>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::pre_vote_resp>>([this](const std::string& f, Wire<MsgType::pre_vote_resp>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::vote>>([this](const std::string& f, Wire<MsgType::vote>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::vote_resp>>([this](const std::string& f, Wire<MsgType::vote_resp>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::append>>([this](const std::string& f, Wire<MsgType::append>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::append_resp>>([this](const std::string& f, Wire<MsgType::append_resp>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::heartbeat>>([this](const std::string& f, Wire<MsgType::heartbeat>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::heartbeat_resp>>([this](const std::string& f, Wire<MsgType::heartbeat_resp>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::snapshot>>([this](const std::string& f, Wire<MsgType::snapshot>&& w) { on_wire(f, std::move(w)); });
  node.route<Wire<MsgType::timeout_now>>([this](const std::string& f, Wire<MsgType::timeout_now>&& w) { on_wire(f, std::move(w)); });
}

ConsensusService::~ConsensusService() { *alive_ = false; }

template <MsgType K>
void ConsensusService::on_wire(const std::string& from, Wire<K>&& w) {
  if (!core_ || w.msg.from != from) return;  // a message must come from whom it says
  core_->step(w.msg);
  process();
}

void ConsensusService::refuse(const std::string& reason, bool retry) {
  refused_ = reason;
  ++epoch_;  // completions of the old core's syncs are ignored from now on
  core_.reset();
  batches_.clear();
  if (tick_timer_) ctx_.cancel(tick_timer_);
  tick_timer_ = 0;
  node_.metrics().inc("raft_refused");
  if (ctx_.tracing()) ctx_.emit(TraceEvent("consensus_refused").with("reason", reason).with("retry", retry));
  if (sm_) sm_->on_role(Role::follower, 0);
  // A storage error stops this node's consensus as a crash would; it starts again from what
  // the disk holds after an election timeout (the disk may have recovered).
  if (retry && !retry_timer_)
    retry_timer_ = ctx_.after(config_.election_timeout, [this] {
      retry_timer_ = 0;
      start();
    });
}

Status ConsensusService::load(Recovered& out) {
  Storage& st = ctx_.storage();
  const std::uint64_t cluster = cluster_id_of(config_.voters);
  Meta meta;
  auto metas = st.read(kMetaFile);
  if (!metas) return metas.status();
  if (metas->empty()) {
    meta.cluster_id = cluster;
    meta.storage_id = ctx_.rng().next() | 1;
    if (auto s = st.rewrite(kMetaFile, {encode_meta(meta)}); !s) return s;
  } else {
    auto m = decode_meta(metas->back());
    if (!m) return m.status();
    meta = *m;
    if (meta.cluster_id != cluster)
      return Status::refused("foreign data directory: raft.meta names cluster " + std::to_string(meta.cluster_id) +
                             ", this node's voters make cluster " + std::to_string(cluster));
  }
  auto snaps = st.read(kSnapFile);
  if (!snaps) return snaps.status();
  if (!snaps->empty()) {
    auto s = decode_snapshot_record(snaps->back());
    if (!s) return s.status();
    out.snapshot = std::move(*s);
  }
  const Index base = out.snapshot ? out.snapshot->index : 0;
  auto records = st.read(kLogFile);
  if (!records) return records.status();
  for (const auto& rec : *records) {
    auto d = decode_log_record(rec);
    if (!d) return d.status();
    if (d->hard_state) {
      out.hard_state = *d->hard_state;
      continue;
    }
    Entry& e = *d->entry;
    if (e.index <= base) continue;
    while (!out.entries.empty() && out.entries.back().index >= e.index) out.entries.pop_back();
    const Index expect = out.entries.empty() ? base + 1 : out.entries.back().index + 1;
    if (e.index != expect)
      return Status::corrupt("raft.log: entry " + std::to_string(e.index) + " follows " + std::to_string(expect - 1));
    out.entries.push_back(std::move(e));
  }
  // The meta's storage id rides along in the config below.
  out.hard_state.commit = std::max(out.hard_state.commit, base);
  config_storage_id_ = meta.storage_id;
  cluster_id_ = cluster;
  return Status::ok();
}

void ConsensusService::start() {
  Recovered rec;
  if (auto s = load(rec); !s) {
    refuse(s.message(), s.code() == Status::Code::io_error);
    return;
  }
  refused_.clear();
  applied_ = 0;
  if (sm_ && starts_++ > 0) sm_->reset();  // a start after a storage error: from the disk again
  if (rec.snapshot && sm_) {
    if (auto s = sm_->restore(rec.snapshot->data, rec.snapshot->index); !s) {
      refuse("raft.snap: " + s.message());
      return;
    }
    applied_ = rec.snapshot->index;
  }
  RaftConfig rc;
  rc.self = ctx_.self();
  rc.initial_voters = std::set<std::string>(config_.voters.begin(), config_.voters.end());
  rc.cluster_id = cluster_id_;
  rc.storage_id = config_storage_id_;
  // Five ticks per heartbeat: randomized election timeouts get fine steps (fewer split votes).
  tick_us_ = std::max<DurationUs>(ms(1), config_.heartbeat_interval / kTicksPerHeartbeat);
  rc.heartbeat_ticks = static_cast<int>(std::max<DurationUs>(1, config_.heartbeat_interval / tick_us_));
  rc.election_ticks = static_cast<int>(std::max<DurationUs>(rc.heartbeat_ticks + 1, config_.election_timeout / tick_us_));
  rc.max_inflight = config_.max_inflight;
  rc.read = config_.read;
  rc.max_drift = config_.max_drift;
  rc.bugs = config_.bugs;
  core_ = std::make_unique<Raft>(rc, Rng(ctx_.rng().next()), std::move(rec));
  last_config_ = core_->membership();
  if (!view_ && (view_ = node_.find<MembershipView>()))
    view_handle_ = view_->subscribe([this](const std::string& n, MemberState, MemberState to) {
      if (!core_ || (to != MemberState::down && to != MemberState::left)) return;
      core_->leader_down(n);
      process();
    });
  // A random phase, so nodes that booted together do not tick in step.
  tick_timer_ = ctx_.after(ctx_.rng().between(1, tick_us_), [this] { tick(); });
  process();
}

void ConsensusService::stop() {
  if (view_) view_->unsubscribe(view_handle_);
  view_ = nullptr;
  if (tick_timer_) ctx_.cancel(tick_timer_);
  if (retry_timer_) ctx_.cancel(retry_timer_);
  tick_timer_ = retry_timer_ = 0;
}

void ConsensusService::tick() {
  tick_timer_ = ctx_.after(tick_us_, [this] { tick(); });
  if (!core_) return;
  core_->tick();
  process();
}

Result<Index> ConsensusService::propose(Bytes command) {
  if (!core_) return Status::unavailable("consensus is not running here: " + refused_);
  auto r = core_->propose(std::move(command));
  process();
  return r;
}

Status ConsensusService::read_index(std::uint64_t id) {
  if (!core_) return Status::unavailable("consensus is not running here: " + refused_);
  auto s = core_->read_index(id);
  process();
  return s;
}

Status ConsensusService::change_membership(Raft::Change change, const std::string& node) {
  if (!core_) return Status::unavailable("consensus is not running here: " + refused_);
  auto s = core_->change_membership(change, node);
  process();
  return s;
}

Status ConsensusService::transfer_leader(const std::string& to) {
  if (!core_) return Status::unavailable("consensus is not running here: " + refused_);
  auto s = core_->transfer_leader(to);
  process();
  return s;
}

void ConsensusService::send(const Message& m) { ctx_.send(m.to, wire_type(m.type), encode_wire(m)); }

void ConsensusService::process() {
  if (processing_) return;  // the loop below picks up what a nested call produced
  processing_ = true;
  release();  // batches whose sync completed
  while (core_ && core_->has_ready()) {
    Ready r = core_->take_ready();
    const bool durable_needed = r.must_persist();
    persist(r);
    if (!core_) break;  // the disk failed
    const std::uint64_t seq = ++batch_seq_;
    batches_.push_back(Batch{std::move(r), !durable_needed, seq});
    if (durable_needed) {
      Batch& b = batches_.back();
      if (config_.bugs.ack_before_sync) {
        // The broken driver (tests only): counts and acknowledges before the disk has it.
        if (!b.ready.entries.empty() || b.ready.snapshot) core_->on_persisted(b.ready.persisted_index, b.ready.persisted_term);
        for (const auto& m : b.ready.messages) send(m);
        b.ready.messages.clear();
      } else {
        send_before_sync(b.ready.messages);
      }
      node_.metrics().inc("raft_syncs");
      std::weak_ptr<bool> alive = alive_;
      ctx_.storage().sync_async(kLogFile, [this, alive, seq, epoch = epoch_](Status s) {
        if (alive.expired() || !*alive.lock() || epoch != epoch_) return;
        if (!s) {
          refuse("storage: " + s.message(), true);
          return;
        }
        for (auto& b : batches_)
          if (b.seq == seq) b.synced = true;
        process();
      });
    }
    release();
  }
  processing_ = false;
  if (core_) note_role();
}

void ConsensusService::send_before_sync(std::vector<Message>& messages) {
  std::vector<Message> wait;
  for (auto& m : messages) {
    if (m.type == MsgType::append || m.type == MsgType::heartbeat || m.type == MsgType::snapshot)
      send(m);
    else
      wait.push_back(std::move(m));
  }
  messages = std::move(wait);
}

void ConsensusService::persist(const Ready& r) {
  Storage& st = ctx_.storage();
  Status s;
  if (r.snapshot) {
    s = st.rewrite(kSnapFile, {encode_snapshot_record(*r.snapshot)});
    if (s) s = st.rewrite(kLogFile, {encode_hard_state_record(r.hard_state ? *r.hard_state : HardState{core_->term(), core_->vote(), r.snapshot->index})});
  } else if (r.hard_state) {
    s = st.append(kLogFile, encode_hard_state_record(*r.hard_state));
  }
  for (const auto& e : r.entries) {
    if (!s) break;
    s = st.append(kLogFile, encode_entry_record(e));
  }
  if (!s) refuse("storage: " + s.message(), true);
}

void ConsensusService::release() {
  while (core_ && !batches_.empty() && batches_.front().synced) {
    Batch b = std::move(batches_.front());
    batches_.pop_front();
    deliver(b);
  }
}

void ConsensusService::deliver(Batch& b) {
  Ready& r = b.ready;
  if (!config_.bugs.ack_before_sync && (!r.entries.empty() || r.snapshot)) core_->on_persisted(r.persisted_index, r.persisted_term);
  for (const auto& m : r.messages) send(m);
  if (r.snapshot) {
    if (sm_)
      if (auto s = sm_->restore(r.snapshot->data, r.snapshot->index); !s) {
        refuse("snapshot from the leader: " + s.message());
        return;
      }
    applied_ = r.snapshot->index;
  }
  for (const auto& e : r.committed) {
    applied_ = e.index;
    node_.metrics().inc("raft_commits");
    if (e.kind == EntryKind::normal && sm_) sm_->apply(e);
    if (!core_) return;
  }
  node_.metrics().set("raft_applied_index", static_cast<double>(applied_));
  for (const auto& rs : r.read_states)
    if (sm_) sm_->on_read(rs);
  maybe_snapshot();
}

void ConsensusService::maybe_snapshot() {
  if (!core_ || !sm_ || config_.snapshot_entries == 0) return;
  if (applied_ < core_->snapshot().index + config_.snapshot_entries) return;
  if (auto s = core_->compact(applied_, sm_->snapshot()); !s) return;
  Storage& st = ctx_.storage();
  std::vector<Bytes> log{encode_hard_state_record(HardState{core_->term(), core_->vote(), core_->commit()})};
  for (Index i = core_->first_index(); i <= core_->last_index(); ++i) log.push_back(encode_entry_record(*core_->entry_at(i)));
  Status s = st.rewrite(kSnapFile, {encode_snapshot_record(core_->snapshot())});
  if (s) s = st.rewrite(kLogFile, log);
  if (!s) {
    refuse("storage: " + s.message(), true);
    return;
  }
  node_.metrics().inc("raft_snapshots");
}

void ConsensusService::note_role() {
  const Role role = core_->role();
  const Term term = core_->term();
  const std::string& leader = core_->leader();
  const bool changed = role != last_role_ || term != last_term_;
  if (!leader.empty() && leader != last_leader_) node_.metrics().inc("raft_leader_changes");
  if (changed || leader != last_leader_) {
    if (role == Role::leader && (last_role_ != Role::leader || term != last_term_)) {
      node_.metrics().inc("raft_elections");
      if (ctx_.tracing()) ctx_.emit(TraceEvent("leader").with("term", term));
    }
    if (ctx_.tracing() && changed)
      ctx_.emit(TraceEvent("role").with("role", to_string(role)).with("term", term).with("leader", leader));
    last_role_ = role;
    last_term_ = term;
    last_leader_ = leader;
    node_.metrics().set("raft_term", static_cast<double>(term));
    if (changed && sm_) sm_->on_role(role, term);
    if (!core_) return;
  }
  const Membership& m = core_->membership();
  if (role == Role::leader && (changed || !(m == last_config_))) {
    last_config_ = m;
    if (ctx_.tracing())
      ctx_.emit(TraceEvent("raft_config")
                    .with("voters", RawJson{json_string_array(std::vector<std::string>(m.voters.begin(), m.voters.end()))})
                    .with("learners", RawJson{json_string_array(std::vector<std::string>(m.learners.begin(), m.learners.end()))})
                    .with("index", core_->last_index()));
  } else if (role != Role::leader) {
    last_config_ = m;
  }
  if (core_->foreign_answers() > foreign_seen_) {
    foreign_seen_ = core_->foreign_answers();
    if (foreign_reported_.insert(core_->last_foreign()).second && ctx_.tracing())
      ctx_.emit(TraceEvent("consensus_refused")
                    .with("peer", core_->last_foreign())
                    .with("reason", "answered with another data directory than the one the configuration recorded"));
  }
}

}  // namespace mabeam::raft
