// The registry's log on one sequencer node (see sequencer_log.h).
#include "engine/agents/sequencer_log.h"

#include "engine/codec.h"

namespace mabeam::agents {

namespace {
const std::string kFile = "registry.log";
constexpr std::uint8_t kCommand = 1;
constexpr std::uint8_t kSnapshot = 2;

Bytes record(std::uint8_t kind, std::uint64_t index, const Bytes& body) {
  Writer w;
  w.u8(kind);
  w.varint(index);
  w.bytes(body);
  return w.take();
}
}  // namespace

SequencerLog::SequencerLog(Node& node, std::string sequencer) : Service(node), sequencer_(std::move(sequencer)) {
  node_.expose<ReplicatedLog>(this);
}

void SequencerLog::start() {
  view_ = node_.find<MembershipView>();
  if (self_is_sequencer()) load();
  else ready_ = true;
}

void SequencerLog::stop() { alive_ = std::make_shared<bool>(true); }

void SequencerLog::load() {
  auto records = ctx_.storage().read(kFile);
  if (!records) {
    broken_ = true;
    error_ = "registry.log: " + records.status().message();
    node_.metrics().inc("registry_log_errors_total");
    if (ctx_.tracing()) ctx_.emit(TraceEvent("registry_log_error").with("error", error_));
    return;
  }
  for (const Bytes& b : *records) {
    Reader r(b);
    std::uint8_t kind = 0;
    std::uint64_t index = 0;
    Bytes body;
    if (!r.u8(kind) || !r.varint(index) || !r.bytes(body) || !r.at_end() || (kind != kCommand && kind != kSnapshot) ||
        index < next_index_ - (kind == kSnapshot ? 1 : 0)) {
      broken_ = true;
      error_ = "registry.log: a record that is not a command or snapshot in index order (" +
               (r.ok() ? std::string("kind ") + std::to_string(kind) + ", index " + std::to_string(index)
                       : r.error()) + ")";
      node_.metrics().inc("registry_log_errors_total");
      if (ctx_.tracing()) ctx_.emit(TraceEvent("registry_log_error").with("error", error_));
      return;
    }
    if (kind == kSnapshot) {
      loaded_.clear();
      loaded_snapshot_ = std::move(body);
      loaded_snapshot_index_ = index;
    } else {
      loaded_.emplace_back(index, std::move(body));
      ++file_entries_;
    }
    next_index_ = index + 1;
  }
  ready_ = true;
  if (machine_) attach(machine_);
}

void SequencerLog::attach(Machine* machine) {
  machine_ = machine;
  if (!self_is_sequencer() || !ready_) return;
  // Replays what the file holds, once.
  if (!loaded_snapshot_.empty() || loaded_snapshot_index_ != 0) {
    if (auto s = machine_->restore(loaded_snapshot_); !s) {
      broken_ = true;
      error_ = "registry.log: snapshot at " + std::to_string(loaded_snapshot_index_) + ": " + s.message();
      if (ctx_.tracing()) ctx_.emit(TraceEvent("registry_log_error").with("error", error_));
      return;
    }
    applied_ = loaded_snapshot_index_;
  }
  for (const auto& [index, body] : loaded_) {
    machine_->apply(index, body);
    applied_ = index;
  }
  loaded_.clear();
  loaded_snapshot_.clear();
  loaded_snapshot_index_ = 0;
}

bool SequencerLog::leader_reachable() const {
  if (self_is_sequencer()) return is_leader();
  if (!view_) return true;
  const MemberState s = view_->state_of(sequencer_);
  return s != MemberState::down && s != MemberState::left;
}

Result<std::uint64_t> SequencerLog::propose(Bytes command) {
  if (!self_is_sequencer())
    return Status::unavailable("this node is not the registry's sequencer (" + sequencer_ + " is)");
  if (!is_leader()) return Status::unavailable("the registry's log is unavailable: " + error_);
  if (pending_.size() >= kPendingMax) {
    node_.metrics().inc("registry_log_refused_total");
    return Status::unavailable("the registry's log has " + std::to_string(kPendingMax) + " commands waiting to apply");
  }
  const std::uint64_t index = next_index_;
  Storage& disk = ctx_.storage();
  Status s = disk.append(kFile, record(kCommand, index, command));
  if (s) s = disk.sync(kFile);
  if (!s) {
    // What was appended may or may not be on the disk: replace the file with what was
    // applied, so the dropped command can never come back at a restart.
    node_.metrics().inc("registry_log_errors_total");
    error_ = "registry.log: " + s.message();
    if (ctx_.tracing()) ctx_.emit(TraceEvent("registry_log_error").with("error", error_));
    apply_pending();  // what was synced before applies first, so the snapshot holds it
    if (auto w = rewrite_snapshot(); !w) {
      broken_ = true;
      error_ = "registry.log: rewrite after a failed sync: " + w.message();
    }
    return Status::unavailable("the registry's log could not be synced: " + s.message());
  }
  ++next_index_;
  ++file_entries_;
  pending_.emplace_back(index, std::move(command));
  // Applied after this call returns: the proposer records the index first.
  if (!apply_armed_) {
    apply_armed_ = true;
    std::weak_ptr<bool> alive = alive_;
    ctx_.after(0, [this, alive] {
      if (alive.expired()) return;
      apply_armed_ = false;
      apply_pending();
      if (file_entries_ >= kCompactEntries) compact();
    });
  }
  return index;
}

void SequencerLog::apply_pending() {
  while (!pending_.empty()) {
    auto [index, body] = std::move(pending_.front());
    pending_.pop_front();
    if (machine_) machine_->apply(index, body);
    applied_ = index;
  }
}

void SequencerLog::compact() {
  if (auto s = rewrite_snapshot(); !s) {
    node_.metrics().inc("registry_log_errors_total");
    broken_ = true;
    error_ = "registry.log: compaction: " + s.message();
    if (ctx_.tracing()) ctx_.emit(TraceEvent("registry_log_error").with("error", error_));
  }
}

Status SequencerLog::rewrite_snapshot() {
  const Bytes snap = machine_ ? machine_->snapshot() : Bytes{};
  if (auto s = ctx_.storage().rewrite(kFile, {record(kSnapshot, applied_, snap)}); !s) return s;
  file_entries_ = 0;
  next_index_ = applied_ + 1;
  return Status::ok();
}

}  // namespace mabeam::agents
