// SWIM membership as a state machine: fed messages and time through a fake Context, it must
// probe, go indirect on a missing ack, suspect, time the suspicion out into down (faster
// with independent confirmations), refute suspicions of itself with a higher incarnation,
// leave gracefully, bound piggyback retransmissions, join through seeds with backoff, and
// refuse malformed messages.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>

#include "engine/membership/membership.h"
#include "engine/node_setup.h"
#include "fake_context.h"

using namespace mabeam;
using namespace mabeam::swim;

namespace {

std::string field(const TraceEvent& e, const std::string& key) {
  for (const auto& [k, v] : e.fields)
    if (k == key) {
      if (auto* s = std::get_if<std::string>(&v)) return *s;
      if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
      if (auto* r = std::get_if<RawJson>(&v)) return r->text;
    }
  return "";
}

MembershipConfig fast_config() {
  MembershipConfig c;
  c.probe_interval = ms(100);
  c.probe_timeout = ms(40);
  c.indirect_probes = 2;
  c.suspicion_mult = 4;  // memberlist's, so the Lifeguard arithmetic below has room to show
  c.suspicion_max_mult = 6;
  c.push_pull_interval = sec(100);  // out of the way unless a test wants it
  c.join_timeout = sec(1);
  return c;
}

struct Fixture {
  test::FakeContext ctx;
  Node node{ctx};
  Membership* m = nullptr;
  explicit Fixture(std::vector<std::string> seeds = {}, MembershipConfig c = fast_config(), std::string self = "n1")
      : ctx(std::move(self)) {
    m = &node.add<Membership>(c, std::move(seeds), 1);
    node.start();
  }
  void deliver(const std::string& from, const Bytes& b) { REQUIRE(node.deliver(from, b).is_ok()); }
  // Makes `names` known as alive members (as a gossip from n2 would).
  void learn(const std::vector<std::string>& names, std::uint64_t inc = 1) {
    Gossip g;
    for (const auto& n : names) g.updates.push_back(Update{n, inc, GossipState::alive, "", {}});
    deliver(names.front(), encode_message(g));
  }
  template <class M>
  std::vector<std::pair<std::string, M>> sent(std::size_t since = 0) const {
    std::vector<std::pair<std::string, M>> out;
    for (std::size_t i = since; i < ctx.sent.size(); ++i)
      if (ctx.sent[i].type == std::string(M::kType.name)) {
        auto d = decode_message<M>(ctx.sent[i].bytes);
        REQUIRE(d.is_ok());
        out.emplace_back(ctx.sent[i].to, std::move(*d));
      }
    return out;
  }
  // The last `member` state traced for subject, or "none".
  std::string traced(const std::string& subject) const {
    std::string s = "none";
    for (const auto& e : ctx.emitted)
      if (e.ev.ev == "member" && field(e.ev, "subject") == subject) s = field(e.ev, "state");
    return s;
  }
  // Advances `d` in 1 ms steps, answering every Ping at once except those to `except`;
  // returns the pings sent to `except`.
  std::vector<Ping> run_acking(DurationUs d, const std::string& except) {
    std::vector<Ping> out;
    const TimeUs end = ctx.now() + d;
    while (ctx.now() < end) {
      const std::size_t since = ctx.sent.size();
      ctx.advance_to(ctx.now() + ms(1));
      for (auto& [to, ping] : sent<Ping>(since)) {
        if (to == except) out.push_back(std::move(ping));
        else deliver(to, encode_message(Ack{ping.seq, {}}));
      }
    }
    return out;
  }
  // Advances until a Ping goes out, returns it (to, msg).
  std::pair<std::string, Ping> next_ping() {
    const std::size_t since = ctx.sent.size();
    for (int i = 0; i < 1000; ++i) {
      ctx.advance_to(ctx.now() + ms(1));
      auto pings = sent<Ping>(since);
      if (!pings.empty()) return pings.front();
    }
    FAIL("no ping within 1s");
    return {};
  }
};

}  // namespace

TEST_CASE("membership: a node without seeds forms the cluster and traces itself active", "[membership]") {
  Fixture f;
  CHECK(f.m->joined());
  CHECK(f.m->state_of("n1") == MemberState::active);
  CHECK(f.traced("n1") == "active");
  REQUIRE(f.m->members().size() == 1);
  CHECK(f.m->state_of("n7") == MemberState::down);  // unknown nodes report down
}

TEST_CASE("membership: a probe answered by an ack keeps the target active and sends no ping-request", "[membership]") {
  Fixture f;
  f.learn({"n2"});
  CHECK(f.traced("n2") == "active");
  auto [to, ping] = f.next_ping();
  CHECK(to == "n2");
  CHECK(ping.target == "n2");
  f.deliver("n2", encode_message(Ack{ping.seq, {}}));
  f.ctx.advance_to(f.ctx.now() + ms(105));  // past the timeout and into the next period
  CHECK(f.sent<PingReq>().empty());
  CHECK(f.m->state_of("n2") == MemberState::active);
}

TEST_CASE("membership: a ping is acked with the same sequence number, and a ping meant for another node is not", "[membership]") {
  Fixture f;
  f.learn({"n2"});
  const std::size_t since = f.ctx.sent.size();
  f.deliver("n2", encode_message(Ping{77, "n1", {}}));
  f.deliver("n2", encode_message(Ping{78, "n9", {}}));
  auto acks = f.sent<Ack>(since);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].first == "n2");
  CHECK(acks[0].second.seq == 77);
}

TEST_CASE("membership: a probe without an ack within probe_timeout goes indirect through k other members", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4", "n5"});
  auto [target, ping] = f.next_ping();
  const std::size_t since = f.ctx.sent.size();
  f.ctx.advance_to(f.ctx.now() + ms(39));
  CHECK(f.sent<PingReq>(since).empty());
  f.ctx.advance_to(f.ctx.now() + ms(2));
  auto reqs = f.sent<PingReq>(since);
  REQUIRE(reqs.size() == 2);  // indirect_probes
  for (const auto& [to, r] : reqs) {
    CHECK(to != target);
    CHECK(to != "n1");
    CHECK(r.target == target);
    CHECK(r.seq == ping.seq);
  }
  CHECK(reqs[0].first != reqs[1].first);
  // An ack relayed by a helper counts: no suspicion.
  f.deliver(reqs[0].first, encode_message(Ack{ping.seq, {}}));
  f.ctx.advance_to(f.ctx.now() + ms(100));
  CHECK(f.m->state_of(target) == MemberState::active);
}

TEST_CASE("membership: a ping-request is relayed to the target and its ack back to the requester", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3"});
  const std::size_t since = f.ctx.sent.size();
  f.deliver("n2", encode_message(PingReq{42, "n3", {}}));
  auto pings = f.sent<Ping>(since);
  REQUIRE(pings.size() == 1);
  CHECK(pings[0].first == "n3");
  const std::size_t since2 = f.ctx.sent.size();
  f.deliver("n3", encode_message(Ack{pings[0].second.seq, {}}));
  auto acks = f.sent<Ack>(since2);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].first == "n2");
  CHECK(acks[0].second.seq == 42);
}

TEST_CASE("membership: an unanswered probe makes the target suspect, and the suspicion times out into down", "[membership]") {
  Fixture f;
  f.learn({"n2"});
  std::vector<std::tuple<std::string, MemberState, MemberState>> told;
  f.m->subscribe([&](const std::string& n, MemberState a, MemberState b) { told.emplace_back(n, a, b); });
  f.next_ping();  // never answered
  f.ctx.advance_to(f.ctx.now() + ms(150));
  REQUIRE(f.m->state_of("n2") == MemberState::suspect);
  CHECK(f.traced("n2") == "suspect");
  const DurationUs timeout = f.m->suspicion_timeout("n2");
  // Two members: no confirmations expected, so the minimum applies: 4 * max(1, log10(3)) * 100ms.
  CHECK(timeout == ms(400));
  f.ctx.advance_to(f.ctx.now() + timeout);
  CHECK(f.m->state_of("n2") == MemberState::down);
  CHECK(f.traced("n2") == "down");
  REQUIRE(told.size() == 2);
  CHECK(std::get<2>(told[0]) == MemberState::suspect);
  CHECK(std::get<1>(told[1]) == MemberState::suspect);
  CHECK(std::get<2>(told[1]) == MemberState::down);
  CHECK(f.m->health() > 0);  // a failed probe lowers local health
}

TEST_CASE("membership: a suspicion starts at its maximum and shrinks with independent confirmations (Lifeguard)", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9"});
  f.deliver("n2", encode_message(Gossip{{Update{"n9", 1, GossipState::suspect, "n2", {}}}}));
  REQUIRE(f.m->state_of("n9") == MemberState::suspect);
  const DurationUs t0 = f.m->suspicion_timeout("n9");
  const DurationUs min = ms(400);  // 4 * max(1, log10(10)) * 100ms
  CHECK(t0 == 6 * min);
  f.deliver("n3", encode_message(Gossip{{Update{"n9", 1, GossipState::suspect, "n3", {}}}}));
  const DurationUs t1 = f.m->suspicion_timeout("n9");
  CHECK(t1 < t0);
  CHECK(t1 > min);
  f.deliver("n3", encode_message(Gossip{{Update{"n9", 1, GossipState::suspect, "n3", {}}}}));  // not independent
  CHECK(f.m->suspicion_timeout("n9") == t1);
  f.deliver("n4", encode_message(Gossip{{Update{"n9", 1, GossipState::suspect, "n4", {}}}}));
  CHECK(f.m->suspicion_timeout("n9") == min);  // k = suspicion_mult - 2 = 2 confirmations
}

TEST_CASE("membership: a suspected node refutes with a higher incarnation and gossips alive", "[membership]") {
  Fixture f;
  f.learn({"n2"});
  f.deliver("n2", encode_message(Gossip{{Update{"n1", 1, GossipState::suspect, "n2", {}}}}));
  CHECK(f.m->incarnation() == 2);
  CHECK(f.m->health() == 1);
  auto [to, ping] = f.next_ping();
  bool refuted = false;
  for (const auto& u : ping.updates) refuted |= u.node == "n1" && u.state == GossipState::alive && u.incarnation == 2;
  CHECK(refuted);
  // A stale suspicion (older incarnation) changes nothing.
  f.deliver("n2", encode_message(Gossip{{Update{"n1", 1, GossipState::suspect, "n2", {}}}}));
  CHECK(f.m->incarnation() == 2);
  // Being declared dead at our own incarnation is refuted too.
  f.deliver("n2", encode_message(Gossip{{Update{"n1", 2, GossipState::dead, "n2", {}}}}));
  CHECK(f.m->incarnation() == 3);
}

TEST_CASE("membership: only an alive with a higher incarnation clears a suspicion or revives a down member", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3"});
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 1, GossipState::suspect, "n3", {}}}}));
  REQUIRE(f.m->state_of("n2") == MemberState::suspect);
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 1, GossipState::alive, "", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::suspect);
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 2, GossipState::alive, "", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::active);
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 2, GossipState::dead, "n3", {}}}}));
  f.run_acking(ms(250), "n2");  // our own probe of n2 goes unanswered: the death is taken
  CHECK(f.m->state_of("n2") == MemberState::down);
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 2, GossipState::alive, "", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::down);
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 3, GossipState::alive, "", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::active);
  CHECK(f.traced("n2") == "active");
}

TEST_CASE("membership: stop() traces leaving then left and hands the news to members", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3"});
  f.node.stop();
  std::vector<std::string> self_states;
  for (const auto& e : f.ctx.emitted)
    if (e.ev.ev == "member" && field(e.ev, "subject") == "n1") self_states.push_back(field(e.ev, "state"));
  REQUIRE(self_states.size() == 3);
  CHECK(self_states[1] == "leaving");
  CHECK(self_states[2] == "left");
  CHECK(f.m->state_of("n1") == MemberState::left);
  auto byes = f.sent<Gossip>();
  REQUIRE(byes.size() == 2);
  for (const auto& [to, g] : byes) {
    REQUIRE(g.updates.size() == 1);
    CHECK(g.updates[0].node == "n1");
    CHECK(g.updates[0].state == GossipState::left);
  }
  // A stopped node sends nothing more.
  const std::size_t since = f.ctx.sent.size();
  f.ctx.advance_to(sec(5));
  CHECK(f.ctx.sent.size() == since);
}

TEST_CASE("membership: a member that left is marked left, and comes back only with a higher incarnation", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3"});
  f.deliver("n2", encode_message(Gossip{{Update{"n2", 1, GossipState::left, "", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::left);
  CHECK(f.traced("n2") == "left");
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 1, GossipState::dead, "n3", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::left);
  f.deliver("n2", encode_message(Gossip{{Update{"n2", 2, GossipState::alive, "", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::active);
}

TEST_CASE("membership: each update is piggybacked at most retransmit_limit times, least sent first", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4", "n5"});
  const int limit = f.m->retransmit_limit();
  CHECK(limit == 4);  // retransmit_mult 4 * ceil(log10(5 + 1))
  f.deliver("n3", encode_message(Gossip{{Update{"n9", 5, GossipState::alive, "", {}}}}));
  const std::size_t since = f.ctx.sent.size();
  int carried = 0;
  for (int i = 0; i < 50; ++i) {
    auto [to, ping] = f.next_ping();
    f.deliver(to, encode_message(Ack{ping.seq, {}}));
  }
  for (const auto& [to, p] : f.sent<Ping>(since))
    for (const auto& u : p.updates) carried += u.node == "n9";
  CHECK(carried == limit);
  CHECK(f.m->queued_transmits("n9") == -1);
}

TEST_CASE("membership: the transmit queue prefers least-sent then newest updates within the byte budget", "[membership]") {
  TransmitQueue q;
  q.enqueue(Update{"a", 1, GossipState::alive, "", {}, 0}, 0);
  q.enqueue(Update{"b", 1, GossipState::alive, "", {}, 0}, 0);
  // Each update is budgeted with two bytes of room for its age to grow.
  auto first = q.take(encoded_bytes(Update{"a", 1, GossipState::alive, "", {}, 0}) + 2, 3, 0);
  REQUIRE(first.size() == 1);
  CHECK(first[0].node == "b");  // newest first
  auto second = q.take(1000, 3, 0);
  REQUIRE(second.size() == 2);
  CHECK(second[0].node == "a");  // least sent first
  q.enqueue(Update{"a", 2, GossipState::suspect, "x", {}, ms(30)}, sec(1));  // replaces, with a fresh count
  CHECK(q.transmits("a") == 0);
  CHECK(q.size() == 2);
  // An accusation ages by the time it waited in the queue; b leaves after its third send.
  auto third = q.take(1000, 3, sec(1) + ms(250));
  REQUIRE(third.size() == 2);
  CHECK(third[0].node == "a");
  CHECK(third[0].age == ms(280));
  CHECK(q.size() == 1);
  CHECK(retransmit_limit(4, 50) == 8);
  CHECK(retransmit_limit(4, 500) == 12);
}

TEST_CASE("membership: truncated or garbage messages decode to errors, never partial messages", "[membership]") {
  Update u{"n2", 7, GossipState::alive, "n3", {}};
  u.info.capabilities = {"gpu", "ssd"};
  u.info.resources = {{"cpu", 8.0}, {"mem_gb", 32.0}};
  u.info.load = 0.25;
  u.info.agents = 12;
  const Bytes whole = encode_message(Ping{9, "n2", {u, u}});
  auto ok = decode_message<Ping>(whole);
  REQUIRE(ok.is_ok());
  REQUIRE(ok->updates.size() == 2);
  CHECK(ok->updates[1].info == u.info);
  for (std::size_t n = 0; n < whole.size(); ++n) {
    Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(decode_message<Ping>(cut).is_ok());
  }
  // A state byte outside the enum.
  Writer w;
  w.u16(Gossip::kType.id);
  w.u8(1);
  w.varint(1);
  w.str("n2");
  w.varint(1);
  w.u8(9);
  CHECK_FALSE(decode_message<Gossip>(w.take()).is_ok());
  // A forged huge count, and random bytes through the node.
  Writer big;
  big.u16(PushPull::kType.id);
  big.u8(1);
  big.boolean(false);
  big.varint(1u << 30);
  CHECK_FALSE(decode_message<PushPull>(big.take()).is_ok());
  Fixture f;
  Rng rng(3);
  for (int i = 0; i < 200; ++i) {
    Bytes junk{static_cast<std::uint8_t>(10 + rng.below(6)), 0, 1};
    for (int j = 0; j < 20; ++j) junk.push_back(static_cast<std::uint8_t>(rng.below(256)));
    (void)f.node.deliver("n2", junk);  // must not crash; errors are returned
  }
  CHECK_FALSE(f.node.deliver("n2", Bytes{10, 0, 1, 0xff}).is_ok());
}

TEST_CASE("membership: a joining node retries with backoff, traces join_failed, and joins when a seed answers", "[membership]") {
  Fixture f({"n9"});
  CHECK_FALSE(f.m->joined());
  CHECK(f.m->state_of("n1") == MemberState::joining);
  f.ctx.advance_to(ms(1500));
  auto joins = f.sent<Join>();
  // Sent at 0, then after 40, 80, 160, 320, 500 (cap = join_timeout / 2), 500...
  CHECK(joins.size() >= 5);
  CHECK(joins.size() <= 7);
  for (const auto& [to, j] : joins) CHECK(to == "n9");
  int failed = 0;
  for (const auto& e : f.ctx.emitted)
    if (e.ev.ev == "join_failed") {
      ++failed;
      CHECK(e.t == sec(1));
      CHECK(field(e.ev, "seeds") == R"(["n9"])");
    }
  CHECK(failed == 1);
  PushPull reply{true, {Update{"n9", 1, GossipState::alive, "", {}}, Update{"n8", 3, GossipState::dead, "", {}}}};
  f.deliver("n9", encode_message(reply));
  CHECK(f.m->joined());
  CHECK(f.m->state_of("n1") == MemberState::active);
  CHECK(f.m->state_of("n9") == MemberState::active);
  CHECK(f.m->state_of("n8") == MemberState::down);
  const std::size_t n = f.sent<Join>().size();
  f.ctx.advance_to(sec(3));
  CHECK(f.sent<Join>().size() == n);  // no more retries
}

TEST_CASE("membership: a seed answers a join with its whole state and learns the joiner", "[membership]") {
  Fixture f;
  f.learn({"n2"});
  const std::size_t since = f.ctx.sent.size();
  f.deliver("n3", encode_message(Join{Update{"n3", 1, GossipState::alive, "", {}}}));
  auto replies = f.sent<PushPull>(since);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].first == "n3");
  CHECK(replies[0].second.reply);
  CHECK(replies[0].second.states.size() == 3);
  CHECK(f.m->state_of("n3") == MemberState::active);
}

TEST_CASE("membership: a push-pull that holds this node down is refuted with a higher incarnation", "[membership]") {
  Fixture f;
  f.learn({"n2"});
  const std::size_t since = f.ctx.sent.size();
  f.deliver("n2", encode_message(PushPull{false, {Update{"n2", 1, GossipState::alive, "", {}},
                                                  Update{"n1", 1, GossipState::dead, "n2", {}}}}));
  CHECK(f.m->incarnation() == 2);
  auto replies = f.sent<PushPull>(since);
  REQUIRE(replies.size() == 1);
  bool alive2 = false;
  for (const auto& u : replies[0].second.states) alive2 |= u.node == "n1" && u.state == GossipState::alive && u.incarnation == 2;
  CHECK(alive2);
  // A push-pull's "dead" about a member we hold alive only starts a suspicion.
  f.deliver("n2", encode_message(PushPull{true, {Update{"n3", 1, GossipState::alive, "", {}}}}));
  f.deliver("n2", encode_message(PushPull{true, {Update{"n3", 1, GossipState::dead, "n2", {}}}}));
  CHECK(f.m->state_of("n3") == MemberState::suspect);
}

TEST_CASE("membership: local health stretches the probe interval after failed probes", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4", "n5", "n6", "n7"});
  auto gap = [&] {
    auto a = f.next_ping();
    const TimeUs t = f.ctx.now();
    f.deliver(a.first, encode_message(Ack{a.second.seq, {}}));
    auto b = f.next_ping();
    (void)b;
    return f.ctx.now() - t;
  };
  const TimeUs healthy = gap();
  CHECK(healthy == ms(100));
  // Let two probes go unanswered.
  for (int i = 0; i < 3; ++i) f.next_ping();
  f.ctx.advance_to(f.ctx.now() + ms(1));
  CHECK(f.m->health() >= 2);
  auto a = f.next_ping();
  const TimeUs t = f.ctx.now();
  auto b = f.next_ping();
  (void)a;
  (void)b;
  CHECK(f.ctx.now() - t >= ms(300));
}

TEST_CASE("membership: node info is gossiped with membership and listed by members()", "[membership]") {
  Fixture f;
  Update u{"n2", 1, GossipState::alive, "", {}};
  u.info.capabilities = {"gpu"};
  u.info.resources = {{"cpu", 4.0}};
  u.info.agents = 3;
  f.deliver("n2", encode_message(Gossip{{u}}));
  auto ms_ = f.m->members();
  REQUIRE(ms_.size() == 2);
  CHECK(ms_[0].name == "n1");
  CHECK(ms_[1].name == "n2");
  CHECK(ms_[1].capabilities == std::vector<std::string>{"gpu"});
  CHECK(ms_[1].resources.at("cpu") == 4.0);
  CHECK(ms_[1].agents == 3);
  f.m->set_load(0.5, 7);
  CHECK(f.m->incarnation() == 2);
  CHECK(f.m->members()[0].agents == 7);
}

TEST_CASE("membership: configuration is parsed strictly and picks the detector", "[membership]") {
  using nlohmann::json;
  NodeSetup s;
  REQUIRE(parse_node_config(json::parse(R"({"membership":{"probe_interval":"200ms","probe_timeout":"100ms","indirect_probes":2,
      "suspicion_mult":5,"retransmit_mult":3,"push_pull_interval":"10s","join_timeout":"2s","seeds":["n1","n2"]}})"),
                            "/config", s)
              .is_ok());
  CHECK(s.detector == Detector::swim);
  CHECK(s.membership.probe_interval == ms(200));
  CHECK(s.membership.indirect_probes == 2);
  CHECK(s.membership.seeds == std::vector<std::string>{"n1", "n2"});
  CHECK(s.membership.seeds_set);

  NodeSetup hb;
  REQUIRE(parse_node_config(json::parse(R"({"heartbeat":{"interval":"100ms","down_after":"1s"}})"), "/config", hb).is_ok());
  CHECK(hb.detector == Detector::heartbeat);
  NodeSetup none;
  REQUIRE(parse_node_config(json(), "/config", none).is_ok());
  CHECK(none.detector == Detector::swim);
  NodeSetup pick;
  REQUIRE(parse_node_config(json::parse(R"({"detector":"heartbeat"})"), "/config", pick).is_ok());
  CHECK(pick.detector == Detector::heartbeat);

  auto err = [](const char* text) {
    NodeSetup x;
    auto st = parse_node_config(json::parse(text), "/config", x);
    REQUIRE_FALSE(st.is_ok());
    return st.message();
  };
  CHECK(err(R"({"membership":{"probe_intervl":"1s"}})").rfind("/config/membership/probe_intervl: unknown key", 0) == 0);
  CHECK(err(R"({"membership":{"indirect_probes":"3"}})").rfind("/config/membership/indirect_probes: expected an integer", 0) == 0);
  CHECK(err(R"({"membership":{"indirect_probes":99}})").rfind("/config/membership/indirect_probes: expected an integer from 0 to 16", 0) == 0);
  CHECK(err(R"({"membership":{"probe_interval":"100ms","probe_timeout":"1s"}})").rfind("/config/membership/probe_timeout", 0) == 0);
  CHECK(err(R"({"membership":{"seeds":["n1", 3]}})").rfind("/config/membership/seeds/1: expected a node name", 0) == 0);
  CHECK(err(R"({"membership":{"join_timeout":5}})").rfind("/config/membership/join_timeout: expected a duration", 0) == 0);
  CHECK(err(R"({"detector":"gossip"})").rfind("/config/detector: expected \"swim\" or \"heartbeat\"", 0) == 0);
  CHECK(err(R"({"detector":"heartbeat","membership":{}})").rfind("/config/membership: has no effect", 0) == 0);
}

TEST_CASE("membership: install_services joins through the first peer by default", "[membership]") {
  NodeSetup s;
  REQUIRE(parse_node_config(nlohmann::json(), "/config", s).is_ok());
  s.peers = {"n1", "n2", "n3"};
  test::FakeContext c1("n1"), c2("n2");
  Node a(c1), b(c2);
  install_services(a, s, 1);
  install_services(b, s, 1);
  a.start();
  b.start();
  REQUIRE(a.find<Membership>() != nullptr);
  REQUIRE(a.find<MembershipView>() != nullptr);
  CHECK(a.find<Membership>()->joined());
  CHECK_FALSE(b.find<Membership>()->joined());
  REQUIRE_FALSE(c2.sent.empty());
  CHECK(c2.sent[0].to == "n1");
  CHECK(c2.sent[0].type == std::string("swim.join"));
}

TEST_CASE("membership: an ack carries its sender's incarnation, so a prober that missed a refutation clears the suspicion", "[membership]") {
  Fixture f;
  f.learn({"n2"});
  // Answering a ping: our own alive update comes first.
  const std::size_t since = f.ctx.sent.size();
  f.deliver("n2", encode_message(Ping{5, "n1", {}}));
  auto acks = f.sent<Ack>(since);
  REQUIRE(acks.size() == 1);
  REQUIRE_FALSE(acks[0].second.updates.empty());
  CHECK(acks[0].second.updates[0].node == "n1");
  CHECK(acks[0].second.updates[0].incarnation == 1);
  // Probing a suspect whose refutation we never heard: its ack brings the new incarnation.
  f.deliver("n2", encode_message(Gossip{{Update{"n2", 1, GossipState::suspect, "n2", {}}}}));
  REQUIRE(f.m->state_of("n2") == MemberState::suspect);
  auto [to, ping] = f.next_ping();
  REQUIRE(to == "n2");
  f.deliver("n2", encode_message(Ack{ping.seq, {Update{"n2", 2, GossipState::alive, "", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::active);
}

TEST_CASE("membership: a suspicion is traced as member state suspect with its accuser, a refutation as active", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3"});
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 1, GossipState::suspect, "n3", {}}}}));
  CHECK(f.traced("n2") == "suspect");
  std::string accuser;
  for (const auto& e : f.ctx.emitted)
    if (e.ev.ev == "member" && field(e.ev, "subject") == "n2" && field(e.ev, "state") == "suspect") accuser = field(e.ev, "accuser");
  CHECK(accuser == "n3");
  f.deliver("n2", encode_message(Gossip{{Update{"n2", 2, GossipState::alive, "", {}}}}));
  CHECK(f.traced("n2") == "active");
}

TEST_CASE("membership: a member down or left for reap_after is forgotten, and news of unknown deaths is ignored", "[membership]") {
  MembershipConfig c = fast_config();
  c.reap_after = sec(10);
  Fixture f({}, c);
  f.learn({"n2", "n3", "n4"});
  const TimeUs marked = f.ctx.now();
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 1, GossipState::dead, "n3", {}}}}));
  f.deliver("n4", encode_message(Gossip{{Update{"n4", 1, GossipState::left, "", {}}}}));
  f.run_acking(ms(250), "n2");  // n2 does not answer our own probe: its death is taken
  REQUIRE(f.m->state_of("n2") == MemberState::down);
  REQUIRE(f.m->state_of("n4") == MemberState::left);
  // Keep n3 answering so it stays a member meanwhile.
  while (f.ctx.now() < marked + sec(10) - ms(200)) {
    auto [to, ping] = f.next_ping();
    f.deliver(to, encode_message(Ack{ping.seq, {}}));
  }
  CHECK(f.m->members().size() == 4);  // still held down and left
  f.ctx.advance_to(marked + sec(10) + ms(500));
  auto names = f.m->members();
  REQUIRE(names.size() == 2);
  CHECK(names[0].name == "n1");
  CHECK(names[1].name == "n3");
  bool traced = false;
  for (const auto& e : f.ctx.emitted) traced |= e.ev.ev == "reap" && field(e.ev, "subject") == "n2";
  CHECK(traced);
  // A peer that still holds n2 down does not bring it back, neither by gossip nor push-pull;
  // nor do suspicions or departures of nodes never known.
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 1, GossipState::dead, "n3", {}}}}));
  f.deliver("n3", encode_message(PushPull{true, {Update{"n3", 1, GossipState::alive, "", {}},
                                                 Update{"n2", 1, GossipState::dead, "n3", {}},
                                                 Update{"n4", 1, GossipState::left, "", {}}}}));
  f.deliver("n3", encode_message(Gossip{{Update{"n8", 1, GossipState::suspect, "n3", {}}}}));
  CHECK(f.m->members().size() == 2);
  // A forgotten node that comes back alive is a member again.
  f.deliver("n2", encode_message(Gossip{{Update{"n2", 2, GossipState::alive, "", {}}}}));
  CHECK(f.m->state_of("n2") == MemberState::active);
  CHECK(f.m->members().size() == 3);
}

TEST_CASE("membership: a member that moved on before reap_after is not forgotten", "[membership]") {
  MembershipConfig c = fast_config();
  c.reap_after = sec(2);
  Fixture f({}, c);
  f.learn({"n2", "n3"});
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 1, GossipState::dead, "n3", {}}}}));
  f.deliver("n2", encode_message(Gossip{{Update{"n2", 2, GossipState::alive, "", {}}}}));  // back at once
  for (int i = 0; i < 30; ++i) {
    auto [to, ping] = f.next_ping();
    f.deliver(to, encode_message(Ack{ping.seq, {}}));
  }
  CHECK(f.ctx.now() > sec(2));
  CHECK(f.m->state_of("n2") == MemberState::active);
  CHECK(f.m->members().size() == 3);
}

TEST_CASE("membership: a hint (closed connection) probes the member at once; only an unanswered probe makes it suspect", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4"});
  // Answered: the member stays active.
  std::size_t since = f.ctx.sent.size();
  f.m->hint_unreachable("n2");
  auto pings = f.sent<Ping>(since);
  REQUIRE(pings.size() == 1);  // sent at once, not at the next tick
  CHECK(pings[0].first == "n2");
  f.deliver("n2", encode_message(Ack{pings[0].second.seq, {}}));
  f.ctx.advance_to(f.ctx.now() + ms(150));
  CHECK(f.m->state_of("n2") == MemberState::active);
  // A second hint while one is in flight sends nothing more; unanswered, it goes indirect
  // after probe_timeout and ends in a suspicion after a probe interval, never straight down.
  since = f.ctx.sent.size();
  f.m->hint_unreachable("n3");
  f.m->hint_unreachable("n3");
  std::size_t direct = 0;
  for (const auto& [to, p] : f.sent<Ping>(since)) direct += to == "n3";
  CHECK(direct == 1);
  f.ctx.advance_to(f.ctx.now() + ms(50));
  std::size_t indirect = 0;
  for (const auto& [to, r] : f.sent<PingReq>(since)) indirect += r.target == "n3";
  CHECK(indirect >= 1);
  CHECK(f.m->state_of("n3") == MemberState::active);
  // One probe interval after the hint: the counters below show it was the hint's probe
  // that failed, not a regular one.
  const TimeUs hinted = f.ctx.now() - ms(50);
  while (f.ctx.now() < hinted + ms(100)) f.ctx.advance_to(f.ctx.now() + ms(1));
  CHECK(f.m->state_of("n3") == MemberState::suspect);
  CHECK(f.node.metrics().counter("membership_hint_probes_total") == 2);
  CHECK(f.node.metrics().counter("membership_hint_probes_failed_total") == 1);
  // Hints about members not active, or unknown, do nothing.
  since = f.ctx.sent.size();
  f.m->hint_unreachable("n3");
  f.m->hint_unreachable("n9");
  CHECK(f.sent<Ping>(since).empty());
}

TEST_CASE("membership: a probe refused at the prober and by a helper marks the member down at once", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4"});
  std::size_t since = f.ctx.sent.size();
  f.m->hint_unreachable("n3");  // its connection closed: probe now
  auto pings = f.sent<Ping>(since);
  REQUIRE(pings.size() == 1);
  const std::uint64_t seq = pings[0].second.seq;
  // Our own dial is refused: the helpers are asked at once, not after probe_timeout.
  since = f.ctx.sent.size();
  f.m->hint_refused("n3");
  auto reqs = f.sent<PingReq>(since);
  REQUIRE(reqs.size() == 2);
  CHECK(f.m->state_of("n3") == MemberState::active);  // our refusal alone is not enough
  // A helper's own ping was refused too: down, skipping the suspicion.
  since = f.ctx.sent.size();
  f.deliver(reqs[0].first, encode_message(Nack{seq}));
  CHECK(f.m->state_of("n3") == MemberState::down);
  CHECK(f.traced("n3") == "down");
  bool why = false;
  for (const auto& e : f.ctx.emitted)
    why |= e.ev.ev == "member" && field(e.ev, "subject") == "n3" && field(e.ev, "why") == "refused";
  CHECK(why);
  CHECK(f.node.metrics().counter("membership_declared_down_refused_total") == 1);
  // The decider tells the others directly.
  std::set<std::string> told;
  for (const auto& [to, g] : f.sent<Gossip>(since))
    for (const auto& u : g.updates)
      if (u.node == "n3" && u.state == GossipState::dead) told.insert(to);
  CHECK(told == std::set<std::string>{"n2", "n4"});
  // The node restarts at the same address: its higher incarnation overrides the death.
  f.deliver("n3", encode_message(Gossip{{Update{"n3", 2, GossipState::alive, "", {}}}}));
  CHECK(f.m->state_of("n3") == MemberState::active);
}

TEST_CASE("membership: refusals are evidence, silence is not: an ack, or no helper refusal, keeps the suspicion path", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4"});
  std::size_t since = f.ctx.sent.size();
  f.m->hint_unreachable("n3");
  const std::uint64_t seq = f.sent<Ping>(since).at(0).second.seq;
  f.m->hint_refused("n3");
  // A helper reached it after all (a restarted process, a flapping link): the ack wins.
  f.deliver("n2", encode_message(Ack{seq, {}}));
  f.deliver("n4", encode_message(Nack{seq}));
  CHECK(f.m->state_of("n3") == MemberState::active);
  // Refused at the prober but the helpers stay silent (a cut link, not a dead process): the
  // probe ends in a suspicion, never straight down.
  f.run_acking(ms(200), "");
  f.m->hint_unreachable("n4");
  f.m->hint_refused("n4");
  f.run_acking(ms(300), "n4");
  CHECK(f.m->state_of("n4") == MemberState::suspect);
}

TEST_CASE("membership: a helper whose relayed ping is refused answers the requester with a nack", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3"});
  f.deliver("n2", encode_message(PingReq{42, "n3", {}}));
  const std::size_t since = f.ctx.sent.size();
  f.m->hint_refused("n3");
  f.m->hint_refused("n3");  // once per relay
  auto nacks = f.sent<Nack>(since);
  REQUIRE(nacks.size() == 1);
  CHECK(nacks[0].first == "n2");
  CHECK(nacks[0].second.seq == 42);
}

TEST_CASE("membership: with no helper to ask, the prober's own refusal decides", "[membership]") {
  Fixture f;
  f.learn({"n2"});
  f.m->hint_unreachable("n2");
  f.m->hint_refused("n2");
  CHECK(f.m->state_of("n2") == MemberState::down);
}

TEST_CASE("membership: buddy system: the accuser tells the suspect, pings carry the suspicion, refutations go back", "[membership]") {
  MembershipConfig c = fast_config();
  c.suspicion_mult = 20;  // a long suspicion: the test looks at what happens during it
  Fixture f({}, c);
  f.learn({"n2", "n3"});
  // n1's own probe of n2 fails: n2 is told directly that n1 suspects it.
  std::size_t since = f.ctx.sent.size();
  f.run_acking(ms(400), "n2");
  REQUIRE(f.m->state_of("n2") == MemberState::suspect);
  bool told = false;
  for (const auto& [to, g] : f.sent<Gossip>(since))
    for (const auto& u : g.updates) told |= to == "n2" && u.node == "n2" && u.state == GossipState::suspect && u.from == "n1";
  CHECK(told);
  // The next ping to n2 leads with its suspicion.
  auto pings = f.run_acking(ms(400), "n2");
  REQUIRE_FALSE(pings.empty());
  REQUIRE_FALSE(pings.front().updates.empty());
  CHECK(pings.front().updates[0].node == "n2");
  CHECK(pings.front().updates[0].state == GossipState::suspect);
  // Suspected by n3 (told by n2), n1 refutes and tells both directly.
  since = f.ctx.sent.size();
  f.deliver("n2", encode_message(Gossip{{Update{"n1", 1, GossipState::suspect, "n3", {}}}}));
  std::set<std::string> refuted_to;
  for (const auto& [to, g] : f.sent<Gossip>(since))
    for (const auto& u : g.updates)
      if (u.node == "n1" && u.state == GossipState::alive && u.incarnation == 2) refuted_to.insert(to);
  CHECK(refuted_to == std::set<std::string>{"n2", "n3"});
}

TEST_CASE("membership: a failed probe of a member someone else suspects confirms the suspicion", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9"});
  f.deliver("n2", encode_message(Gossip{{Update{"n9", 1, GossipState::suspect, "n2", {}}}}));
  const DurationUs before = f.m->suspicion_timeout("n9");
  for (int i = 0; i < 20; ++i) {
    auto [to, ping] = f.next_ping();
    if (to == "n9") break;
    f.deliver(to, encode_message(Ack{ping.seq, {}}));
  }
  f.ctx.advance_to(f.ctx.now() + ms(100));
  CHECK(f.m->suspicion_timeout("n9") < before);
  CHECK(f.node.metrics().counter("membership_suspicion_confirmations_total") >= 1);
}

TEST_CASE("membership: a member held down that connects again is sent our full state at once", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3"});
  f.deliver("n3", encode_message(Gossip{{Update{"n2", 1, GossipState::dead, "n3", {}}}}));
  f.run_acking(ms(250), "n2");
  REQUIRE(f.m->state_of("n2") == MemberState::down);
  const std::size_t since = f.ctx.sent.size();
  f.m->add_peer("n2");  // the transport's handshake with its new process
  auto pp = f.sent<PushPull>(since);
  REQUIRE(pp.size() == 1);
  CHECK(pp[0].first == "n2");
}

TEST_CASE("membership: a death reported by another member is verified by a probe of our own", "[membership]") {
  Fixture f;
  f.learn({"n2", "n3", "n4"});
  // n4 declares n2 down (from behind a partition, say); n2 answers our probe: kept.
  std::size_t since = f.ctx.sent.size();
  f.deliver("n4", encode_message(Gossip{{Update{"n2", 1, GossipState::dead, "n4", {}, 0}}}));
  CHECK(f.m->state_of("n2") == MemberState::active);
  auto pings = f.sent<Ping>(since);
  REQUIRE_FALSE(pings.empty());
  CHECK(pings[0].first == "n2");  // at once, out of the round-robin order
  f.deliver("n2", encode_message(Ack{pings[0].second.seq, {}}));
  f.run_acking(ms(300), "");
  CHECK(f.m->state_of("n2") == MemberState::active);
  CHECK(f.node.metrics().counter("membership_deaths_not_confirmed_total") == 1);
  // A verdict older than our last word from n3 itself is ignored outright.
  f.deliver("n3", encode_message(Gossip{{}}));  // n3 speaks to us now
  f.ctx.advance_to(f.ctx.now() + ms(10));
  since = f.ctx.sent.size();
  f.deliver("n4", encode_message(Gossip{{Update{"n3", 1, GossipState::dead, "n4", {}, ms(500)}}}));
  CHECK(f.m->state_of("n3") == MemberState::active);
  CHECK(f.node.metrics().counter("membership_stale_accusations_total") == 1);
  // Silence: the death is taken when our probe ends unanswered; a refusal takes it at once.
  f.deliver("n4", encode_message(Gossip{{Update{"n3", 1, GossipState::dead, "n4", {}, 0}}}));
  f.run_acking(ms(300), "n3");
  CHECK(f.m->state_of("n3") == MemberState::down);
  f.deliver("n4", encode_message(Gossip{{Update{"n2", 1, GossipState::dead, "n4", {}, 0}}}));
  CHECK(f.m->state_of("n2") == MemberState::active);
  f.m->hint_refused("n2");
  CHECK(f.m->state_of("n2") == MemberState::down);
}
