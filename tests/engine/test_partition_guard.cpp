// The partition guard's quorum lease as a state machine: fed pulls, tables and time through
// a fake Context, it must pull from `fanout` members each round, date what it learns no
// later than the truth (age and round trip subtracted), turn read-only exactly when its
// majority's entries lapse, ignore answers it did not ask for, and size its defaults with
// the cluster.
#include <catch2/catch.hpp>

#include "engine/variables/partition_guard.h"
#include "fake_context.h"

using namespace mabeam;
using namespace mabeam::vars;

namespace {

struct Fixture {
  test::FakeContext ctx;
  Node node{ctx};
  PartitionGuard* g = nullptr;
  explicit Fixture(std::vector<std::string> cluster = {"n1", "n2", "n3"}, std::size_t size = 0, GuardConfig c = {})
      : ctx("n1") {
    g = &node.add<PartitionGuard>(std::move(cluster), size, c);
    node.start();
  }
  // The pulls sent since `since`: (to, seq).
  std::vector<std::pair<std::string, std::uint64_t>> pulls(std::size_t since = 0) const {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (std::size_t i = since; i < ctx.sent.size(); ++i)
      if (ctx.sent[i].type == std::string(GuardPull::kType.name)) out.emplace_back(ctx.sent[i].to, decode_message<GuardPull>(ctx.sent[i].bytes)->seq);
    return out;
  }
  void answer(const std::string& from, std::uint64_t seq, std::vector<std::pair<std::string, DurationUs>> others = {}) {
    GuardTable t;
    t.seq = seq;
    t.ages.emplace_back(from, 0);
    for (auto& o : others) t.ages.push_back(o);
    REQUIRE(node.deliver(from, encode_message(t)).is_ok());
  }
  // Advances to the next round and answers every pull at once from its target.
  void answered_round() {
    const std::size_t since = ctx.sent.size();
    ctx.advance_to(ctx.now() + g->config().round);
    for (auto& [to, seq] : pulls(since)) answer(to, seq);
  }
};

}  // namespace

TEST_CASE("partition guard: defaults grow with the cluster: fanout and lease logarithmically", "[guard]") {
  auto d5 = guard_defaults({}, 5), d50 = guard_defaults({}, 50), d500 = guard_defaults({}, 500);
  CHECK(d5.fanout == 2);
  CHECK(d50.fanout == 3);
  CHECK(d500.fanout == 5);
  CHECK(d5.round == ms(200));
  CHECK(d5.quorum_lease == sec(1));
  CHECK(d50.quorum_lease == sec(1));
  CHECK(d500.quorum_lease == ms(1200));
  GuardConfig given;
  given.quorum_lease = ms(400);
  given.fanout = 7;
  auto kept = guard_defaults(given, 5);
  CHECK(kept.quorum_lease == ms(400));
  CHECK(kept.fanout == 7);
}

TEST_CASE("partition guard: a node starts read-only and pulls from fanout members every round", "[guard]") {
  Fixture f({"n1", "n2", "n3", "n4", "n5"});
  CHECK(f.g->readonly());
  f.ctx.advance_to(ms(201));
  auto p = f.pulls();
  REQUIRE(p.size() == 2);
  CHECK(p[0].first != p[1].first);
  CHECK(p[0].first != "n1");
  f.ctx.advance_to(ms(401));
  CHECK(f.pulls().size() == 4);
}

TEST_CASE("partition guard: answers from a majority make it normal; it turns read-only when they lapse", "[guard]") {
  Fixture f;  // n1, n2, n3: one fresh peer is a majority
  f.answered_round();
  REQUIRE_FALSE(f.g->readonly());
  CHECK(f.g->reachable() >= 2);
  // No more answers: the freshest entry was dated at its pull's sending, minus nothing (the
  // answer came at once); it lapses after the lease shortened by twice max_drift: 980ms.
  const TimeUs last = f.ctx.now();
  f.ctx.advance_to(last + ms(979));
  CHECK_FALSE(f.g->readonly());
  f.ctx.advance_to(last + ms(981));
  CHECK(f.g->readonly());
  bool traced = false;
  for (const auto& e : f.ctx.emitted) traced |= e.ev.ev == "mode";
  CHECK(traced);
}

TEST_CASE("partition guard: what it learns is dated no later than the truth: age and round trip subtracted", "[guard]") {
  Fixture f;
  // The first round comes at a random phase within one round: find when the pull left.
  std::vector<std::pair<std::string, std::uint64_t>> p;
  while (p.empty() && f.ctx.now() < ms(201)) {
    f.ctx.advance_to(f.ctx.now() + 1000);
    p = f.pulls();
  }
  REQUIRE_FALSE(p.empty());
  const TimeUs sent = f.ctx.now();
  // The answer comes 100ms after the pull and says the other was in contact 300ms before that.
  f.ctx.advance_to(sent + ms(100));
  const std::string peer = p[0].first;
  const std::string other = peer == "n2" ? "n3" : "n2";
  GuardTable t;
  t.seq = p[0].second;
  t.ages = {{peer, 0}, {other, ms(300)}};
  REQUIRE(f.node.deliver(peer, encode_message(t)).is_ok());
  REQUIRE_FALSE(f.g->readonly());
  // The peer is dated at the pull's sending (answer time minus the 100ms round trip), the
  // other 300ms before that: with the peer answering no more, the majority holds until the
  // sending + 980ms, and the other's entry alone never made one.
  f.ctx.advance_to(sent + ms(979));
  CHECK_FALSE(f.g->readonly());
  f.ctx.advance_to(sent + ms(981));
  CHECK(f.g->readonly());
}

TEST_CASE("partition guard: answers it did not ask for, late ones and other senders' are ignored", "[guard]") {
  Fixture f;
  f.ctx.advance_to(ms(201));
  auto p = f.pulls();
  REQUIRE_FALSE(p.empty());
  const std::string peer = p[0].first;
  const std::string other = peer == "n2" ? "n3" : "n2";
  f.answer(other, p[0].second);  // the seq was sent to `peer`, not to `other`
  CHECK(f.g->readonly());
  f.answer(peer, 999999);  // never sent
  CHECK(f.g->readonly());
  f.ctx.advance_to(ms(201) + sec(2));  // expired: dropped after the lease
  f.answer(peer, p[0].second);
  CHECK(f.g->readonly());
  CHECK(f.node.metrics().counter("partition_guard_tables_total") == 0);
}

TEST_CASE("partition guard: a pull is answered with itself at age 0 and its fresh entries only", "[guard]") {
  Fixture f;
  f.answered_round();
  const std::size_t since = f.ctx.sent.size();
  REQUIRE(f.node.deliver("n2", encode_message(GuardPull{77})).is_ok());
  REQUIRE(f.ctx.sent.size() == since + 1);
  auto t = decode_message<GuardTable>(f.ctx.sent.back().bytes);
  REQUIRE(t.is_ok());
  CHECK(f.ctx.sent.back().to == "n2");
  CHECK(t->seq == 77);
  REQUIRE_FALSE(t->ages.empty());
  CHECK(t->ages[0] == std::make_pair(std::string("n1"), DurationUs{0}));
  for (const auto& [name, age] : t->ages) CHECK(name != "n2");  // the asker needs no news of itself
  // Long after, with nothing fresh: only itself.
  f.ctx.advance_to(f.ctx.now() + sec(5));
  const std::size_t later = f.ctx.sent.size();
  REQUIRE(f.node.deliver("n2", encode_message(GuardPull{78})).is_ok());
  auto t2 = decode_message<GuardTable>(f.ctx.sent[later].bytes);
  REQUIRE(t2.is_ok());
  CHECK(t2->ages.size() == 1);
}

TEST_CASE("partition guard: --cluster-size counts a majority against the size the cluster is meant to have", "[guard]") {
  Fixture f({"n1", "n2", "n3"}, 5);
  CHECK(f.g->cluster_size() == 5);
  f.answered_round();  // at most two peers answer: 3 of 5 only if both are fresh
  f.answered_round();
  CHECK(f.g->reachable() == 3);
  CHECK_FALSE(f.g->readonly());
  Fixture lone({"n1"}, 3);
  CHECK(lone.g->readonly());
  CHECK(lone.g->why().find("1 of 3") != std::string::npos);
  Fixture alone({"n1"});
  CHECK_FALSE(alone.g->readonly());  // a cluster of one is its own majority
}

TEST_CASE("partition guard: garbage tables decode to errors", "[guard]") {
  test::FakeContext ctx("n1");
  Node node(ctx);
  node.add<PartitionGuard>(std::vector<std::string>{"n1", "n2"});
  Writer w;
  w.u16(GuardTable::kType.id);
  w.u8(1);
  w.varint(1);
  w.varint(1000000);  // a forged count
  CHECK_FALSE(node.deliver("n2", w.take()).is_ok());
  GuardTable empty_name;
  empty_name.ages = {{"", 0}};
  CHECK_FALSE(node.deliver("n2", encode_message(empty_name)).is_ok());
}
