// The registry's sequencer log (engine/agents/sequencer_log.h) on one node: commands are
// applied in order only after the call that proposed them returned, a restart replays what
// was synced, a failed sync never lets its command come back, a long log is compacted to a
// snapshot, and a node that is not the sequencer holds no log and names the one that is.
#include <catch2/catch.hpp>

#include "engine/agents/sequencer_log.h"
#include "tests/engine/fake_context.h"

using namespace mabeam;
using namespace mabeam::agents;

namespace {

// A machine that remembers what it applied; its snapshot is the list, joined.
class Recorder final : public ReplicatedLog::Machine {
 public:
  void apply(std::uint64_t index, const Bytes& command) override {
    applied.emplace_back(index, std::string(command.begin(), command.end()));
  }
  Bytes snapshot() const override {
    std::string s;
    for (const auto& [i, c] : applied) s += c + ",";
    return Bytes(s.begin(), s.end());
  }
  Status restore(const Bytes& state) override {
    restored = std::string(state.begin(), state.end());
    return Status::ok();
  }
  std::vector<std::pair<std::uint64_t, std::string>> applied;
  std::string restored;
};

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

TEST_CASE("sequencer log: applies in order after propose returns, and replays at a restart", "[agents][registry]") {
  test::FakeContext ctx("n1");
  Recorder m;
  {
    Node node(ctx);
    auto& log = node.add<SequencerLog>("n1");
    node.start();
    log.attach(&m);
    CHECK(log.is_leader());
    CHECK(log.holds_log());
    CHECK(log.leader() == "n1");
    auto a = log.propose(text("a"));
    auto b = log.propose(text("b"));
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    CHECK(*a == 1);
    CHECK(*b == 2);
    CHECK(m.applied.empty());  // not inside propose: the proposer records its index first
    ctx.advance_to(1);
    REQUIRE(m.applied.size() == 2);
    CHECK(m.applied[0] == std::make_pair(std::uint64_t{1}, std::string("a")));
    CHECK(m.applied[1] == std::make_pair(std::uint64_t{2}, std::string("b")));
  }
  // A new life over the same disk replays both, and goes on numbering after them.
  Recorder again;
  Node node(ctx);
  auto& log = node.add<SequencerLog>("n1");
  node.start();
  log.attach(&again);
  REQUIRE(again.applied.size() == 2);
  CHECK(again.applied[1].second == "b");
  auto c = log.propose(text("c"));
  REQUIRE(c.is_ok());
  CHECK(*c == 3);
}

TEST_CASE("sequencer log: a failed sync drops its command for good", "[agents][registry]") {
  test::FakeContext ctx("n1");
  auto& disk = static_cast<test::MemoryStorage&>(ctx.storage());
  Recorder m;
  {
    Node node(ctx);
    auto& log = node.add<SequencerLog>("n1");
    node.start();
    log.attach(&m);
    REQUIRE(log.propose(text("kept")).is_ok());
    disk.fail_syncs = 1;
    auto lost = log.propose(text("lost"));
    REQUIRE_FALSE(lost.is_ok());
    CHECK(lost.status().message().find("could not be synced") != std::string::npos);
    CHECK(log.is_leader());  // the rewrite worked: the log goes on
    ctx.advance_to(1);
    REQUIRE(m.applied.size() == 1);
    CHECK(m.applied[0].second == "kept");
    auto next = log.propose(text("next"));
    REQUIRE(next.is_ok());
    CHECK(*next == 2);
    ctx.advance_to(2);
  }
  Recorder again;
  Node node(ctx);
  auto& log = node.add<SequencerLog>("n1");
  node.start();
  log.attach(&again);
  CHECK(again.restored == "kept,");  // the snapshot written after the failure
  REQUIRE(again.applied.size() == 1);
  CHECK(again.applied[0] == std::make_pair(std::uint64_t{2}, std::string("next")));
}

TEST_CASE("sequencer log: a long log is compacted into a snapshot", "[agents][registry]") {
  test::FakeContext ctx("n1");
  auto& disk = static_cast<test::MemoryStorage&>(ctx.storage());
  Recorder m;
  Node node(ctx);
  auto& log = node.add<SequencerLog>("n1");
  node.start();
  log.attach(&m);
  for (std::size_t i = 0; i < SequencerLog::kCompactEntries; ++i) REQUIRE(log.propose(text("x")).is_ok());
  ctx.advance_to(1);
  CHECK(m.applied.size() == SequencerLog::kCompactEntries);
  CHECK(disk.files["registry.log"].size() == 1);
  CHECK(log.applied() == SequencerLog::kCompactEntries);
}

TEST_CASE("sequencer log: another node holds no log and names the sequencer; garbage on disk is refused", "[agents][registry]") {
  test::FakeContext ctx("n2");
  Node node(ctx);
  auto& log = node.add<SequencerLog>("n1");
  node.start();
  CHECK_FALSE(log.holds_log());
  CHECK_FALSE(log.is_leader());
  CHECK(log.leader() == "n1");
  CHECK(log.voters() == std::vector<std::string>{"n1"});
  auto p = log.propose(text("a"));
  REQUIRE_FALSE(p.is_ok());
  CHECK(p.status().message() == "this node is not the registry's sequencer (n1 is)");

  test::FakeContext bad("n1");
  static_cast<test::MemoryStorage&>(bad.storage()).files["registry.log"] = {Bytes{9, 9, 9}};
  Node n(bad);
  auto& l = n.add<SequencerLog>("n1");
  n.start();
  CHECK_FALSE(l.is_leader());
  CHECK(l.error().find("registry.log: a record that is not a command or snapshot") == 0);
  CHECK(l.propose(text("a")).status().code() == Status::Code::unavailable);
}
