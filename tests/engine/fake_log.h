// A stand-in for the consensus log behind agents::ReplicatedLog, for tests of the name
// registry: one log shared by every node of a test (FakeLogCore), a fixed leader that
// appends, and every attached node applying the entries in order a moment later. It is not
// consensus (a cut-off leader still commits); tests that use it keep the leader on the side
// they mean to win. The network still carries every registry request and reply, so a node
// cut off from the leader cannot claim or renew.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/agents/registry.h"
#include "engine/node.h"

namespace mabeam::test {

class FakeLog;

struct FakeLogCore {
  std::string leader;                      // the node that appends; "" = none (proposals refused)
  std::vector<Bytes> entries;
  std::map<std::string, FakeLog*> members; // the nodes attached now (alive)
  DurationUs apply_delay = ms(1);
};

class FakeLog final : public Service, public agents::ReplicatedLog {
 public:
  FakeLog(Node& node, std::shared_ptr<FakeLogCore> core) : Service(node), core_(std::move(core)) {
    node_.expose<agents::ReplicatedLog>(this);
    core_->members[node.name()] = this;
  }
  ~FakeLog() override {
    auto it = core_->members.find(node_.name());
    if (it != core_->members.end() && it->second == this) core_->members.erase(it);
  }
  const char* name() const override { return "fake_log"; }

  void attach(Machine* m) override {
    machine_ = m;
    catch_up();
  }
  Result<std::uint64_t> propose(Bytes command) override {
    if (!is_leader()) return Status::unavailable("not the leader");
    core_->entries.push_back(std::move(command));
    const std::uint64_t index = core_->entries.size();
    std::weak_ptr<FakeLogCore> weak = core_;
    ctx_.after(core_->apply_delay, [weak] {
      auto core = weak.lock();
      if (!core) return;
      std::vector<FakeLog*> members;
      for (auto& [n, m] : core->members) members.push_back(m);
      for (auto* m : members)
        if (core->members.count(m->node_.name()) && core->members[m->node_.name()] == m) m->catch_up();
    });
    return index;
  }
  bool holds_log() const override { return true; }
  bool is_leader() const override { return core_->leader == ctx_.self(); }
  std::string leader() const override { return core_->leader; }
  bool leader_reachable() const override { return !core_->leader.empty(); }
  std::vector<std::string> voters() const override {
    return core_->leader.empty() ? std::vector<std::string>{} : std::vector<std::string>{core_->leader};
  }

  void catch_up() {
    while (applied_ < core_->entries.size()) {
      ++applied_;
      if (machine_) machine_->apply(applied_, core_->entries[applied_ - 1]);
    }
  }

 private:
  std::shared_ptr<FakeLogCore> core_;
  Machine* machine_ = nullptr;
  std::uint64_t applied_ = 0;
};

}  // namespace mabeam::test
