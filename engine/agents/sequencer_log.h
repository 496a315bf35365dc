// The registry's ReplicatedLog (registry.h) on a cluster without the consensus service: one
// fixed node, the sequencer (`config.agents.sequencer`, by default the cluster's first node),
// orders every registry command, writes it to its disk and syncs before applying it. It is
// the simplest log that keeps the registry's promise, a name held by at most one agent also
// across partitions, because only one node ever grants a name, and a grant is applied (and
// answered) only once it is durable, so a restart of the sequencer replays every answer it gave.
//
// What it does not give, and Raft (the consensus service, issue 8) will: availability when
// the sequencer is down or cut off. Then nothing can claim or renew a name: holders' leases
// lapse and their named agents stop dispatching (they resume when the sequencer is back and
// their renewal succeeds; a lease the sequencer has not seen renewed for name_lease after it
// came back expires as usual). Sends by name keep working from the nodes' caches.
//
// Storage: file `registry.log`, records (kind u8, index varint, bytes): 1 = a command,
// 2 = a snapshot of the machine after `index`. Past kCompactEntries commands the file is
// rewritten as one snapshot. A failed sync rewrites the file as the snapshot of what was
// applied (the unsynced command is dropped; its origin hears nothing and retries or times
// out); a failed rewrite leaves the log unavailable until the node restarts.
//
// Only the sequencer holds the log (holds_log): the other nodes ask it through the
// registry's own messages (RegistryRequest/RegistryReply).
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "engine/agents/registry.h"
#include "engine/membership_view.h"
#include "engine/node.h"

namespace mabeam::agents {

class SequencerLog : public Service, public ReplicatedLog {
 public:
  static constexpr std::size_t kCompactEntries = 4096;  // commands in the file before a rewrite
  static constexpr std::size_t kPendingMax = 65536;     // commands synced and waiting to apply

  SequencerLog(Node& node, std::string sequencer);
  const char* name() const override { return "sequencer_log"; }
  void start() override;
  void stop() override;

  // ReplicatedLog
  void attach(Machine* machine) override;
  Result<std::uint64_t> propose(Bytes command) override;
  bool holds_log() const override { return self_is_sequencer(); }
  bool is_leader() const override { return self_is_sequencer() && ready_ && !broken_; }
  std::string leader() const override { return sequencer_; }
  bool leader_reachable() const override;
  std::vector<std::string> voters() const override { return {sequencer_}; }

  std::uint64_t applied() const { return applied_; }
  const std::string& error() const { return error_; }

 private:
  bool self_is_sequencer() const { return ctx_.self() == sequencer_; }
  void load();
  void apply_pending();
  void compact();
  Status rewrite_snapshot();

  std::string sequencer_;
  Machine* machine_ = nullptr;
  bool ready_ = false;   // the file was read and replayed into the machine
  bool broken_ = false;  // a rewrite failed: unavailable until restart
  std::string error_;
  std::uint64_t next_index_ = 1;
  std::uint64_t applied_ = 0;
  std::size_t file_entries_ = 0;
  std::deque<std::pair<std::uint64_t, Bytes>> pending_;  // synced, to apply
  std::vector<std::pair<std::uint64_t, Bytes>> loaded_;  // read at start, replayed at attach
  Bytes loaded_snapshot_;
  std::uint64_t loaded_snapshot_index_ = 0;
  bool apply_armed_ = false;
  MembershipView* view_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mabeam::agents
