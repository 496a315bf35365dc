// Test fixtures for the variables service on a FakeContext (test_variables*.cpp): a static
// membership view whose members' states a test can change (telling subscribers), a quorum
// a test sets (the partition guard's verdict, which has tests of its own), and a Host, one
// node with the variables service over both.
// Built over a copy of another host's disk, a Host is that node after a crash and restart.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/membership_view.h"
#include "engine/node.h"
#include "engine/quorum_view.h"
#include "engine/variables/variables.h"
#include "tests/engine/fake_context.h"

namespace mabeam::vars::testing {

class FixedView : public MembershipView {
 public:
  std::vector<MemberInfo> infos;
  std::vector<MemberInfo> members() const override { return infos; }
  MemberState state_of(const std::string& n) const override {
    for (const auto& m : infos)
      if (m.name == n) return m.state;
    return MemberState::down;
  }
  int subscribe(Listener l) override {
    listeners.push_back(std::move(l));
    return static_cast<int>(listeners.size());
  }
  void unsubscribe(int) override {}
  void add_peer(const std::string&) override {}
  // Changes a member's state and tells the subscribers.
  void set(const std::string& n, MemberState s) {
    for (auto& m : infos)
      if (m.name == n) {
        const MemberState before = m.state;
        m.state = s;
        for (auto& l : listeners) l(n, before, s);
      }
  }
  std::vector<Listener> listeners;
};

// The partition guard's verdict, set by the test.
class FixedQuorum : public QuorumView {
 public:
  bool readonly() const override { return readonly_; }
  std::size_t reachable() const override { return readonly_ ? 1 : 3; }
  std::size_t cluster_size() const override { return 5; }
  std::string why() const override { return readonly_ ? "test: no majority" : ""; }
  void on_change(std::function<void(bool)> fn) override { listeners_.push_back(std::move(fn)); }
  void set(bool readonly) {
    readonly_ = readonly;
    for (auto& l : listeners_) l(readonly);
  }

 private:
  bool readonly_ = false;
  std::vector<std::function<void(bool)>> listeners_;
};

inline test::MemoryStorage& disk_of(test::FakeContext& ctx) { return static_cast<test::MemoryStorage&>(ctx.storage()); }

struct Host {
  Host(const std::string& name, const std::vector<std::string>& cluster, std::vector<VariableSpec> specs,
       VariablesConfig config = {}, const test::MemoryStorage* disk = nullptr)
      : ctx(name), node(ctx) {
    if (disk) disk_of(ctx).files = disk->files;
    for (const auto& n : cluster) {
      MemberInfo m;
      m.name = n;
      m.state = MemberState::active;
      view.infos.push_back(std::move(m));
    }
    node.expose<MembershipView>(&view);
    node.expose<QuorumView>(&quorum);
    svc = &node.add<VariablesService>(std::move(specs), config);
    node.start();
  }
  // A client operation; "no answer" as the error if it did not complete at once.
  OpOutcome call(ClientOp op, SessionToken token = {}) {
    OpOutcome got;
    got.error = "no answer";
    svc->submit(std::move(op), std::move(token), [&](const OpOutcome& o) { got = o; });
    return got;
  }
  std::vector<test::FakeContext::Sent> take_sent() {
    auto out = std::move(ctx.sent);
    ctx.sent.clear();
    return out;
  }
  double counter(const std::string& name) { return node.metrics().counter(name); }
  std::size_t disk_records() { return disk_of(ctx).files["variables.log"].size(); }

  test::FakeContext ctx;
  FixedView view;      // before the node: they outlive the services that watch them
  FixedQuorum quorum;
  Node node;
  VariablesService* svc = nullptr;
};

}  // namespace mabeam::vars::testing
