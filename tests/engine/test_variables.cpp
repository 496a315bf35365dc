// Unit tests of the variables service's parts: the CRDT merge laws on random states,
// hybrid logical clocks, siblings, rendezvous hashing, message decoding, and the service
// itself on FakeContexts (writes, replication, causal buffering, sessions, minority).
#include <catch2/catch.hpp>

#include "engine/variables/crdt.h"
#include "engine/variables/hlc.h"
#include "engine/variables/messages.h"
#include "engine/variables/rendezvous.h"
#include "engine/variables/variables.h"
#include "tests/engine/fake_context.h"
#include "tests/engine/variables_host.h"

using namespace mabeam;
using namespace mabeam::vars;
using namespace mabeam::vars::testing;

namespace {

// A random state of a kind, built from a few random writes by three writers.
VarState random_state(Resolve kind, Rng& rng) {
  VarState s;
  s.resolve = kind;
  s.merge_fn = merge_registry().find("longest");
  const char* writers[] = {"a", "b", "c"};
  const int writes = static_cast<int>(rng.below(5));
  for (int i = 0; i < writes; ++i) {
    VarState d;
    d.resolve = kind;
    d.merge_fn = s.merge_fn;
    const std::string w = writers[rng.below(3)];
    const std::string v = std::to_string(rng.below(10));
    const auto seq = rng.below(4) + 1;
    switch (kind) {
      case Resolve::lww:
        // A timestamp identifies one write, so equal timestamps carry equal values.
        d.lww_ts = Hlc{static_cast<std::int64_t>(rng.below(5)), static_cast<std::uint32_t>(rng.below(2)), w};
        d.value = "\"" + w + std::to_string(d.lww_ts->wall) + "." + std::to_string(d.lww_ts->logical) + "\"";
        break;
      case Resolve::custom: d.value = "\"" + std::string(rng.below(4), 'x') + v + "\""; break;
      case Resolve::vector_clock:
        d.siblings.insert(Sibling{v, w, seq});
        d.seen[w] = seq;
        if (rng.chance(0.5)) d.seen[writers[rng.below(3)]] = rng.below(4);
        if (d.seen[w] < seq) d.seen[w] = seq;
        break;
      case Resolve::g_counter:
      case Resolve::pn_counter: d.plus[w] = static_cast<std::int64_t>(rng.below(9)); d.minus[w] = static_cast<std::int64_t>(rng.below(3)); break;
      case Resolve::or_set: {
        // A dot names one write everywhere: the element added is a function of the dot. A
        // delta holding the dot adds it; one that has only seen it removed it.
        const Dot dot{w, seq};
        d.cloud.insert(dot);
        if (rng.chance(0.7)) d.elements[std::to_string((seq * 3 + static_cast<std::uint64_t>(w[0])) % 10)].insert(dot);
        break;
      }
      case Resolve::max:
      case Resolve::min: d.extreme = static_cast<std::int64_t>(rng.below(100)) - 50; break;
    }
    s.merge(d);
  }
  return s;
}

VarState merged(VarState a, const VarState& b) {
  a.merge(b);
  return a;
}

}  // namespace

TEST_CASE("crdt: every merge is commutative, associative and idempotent on random states", "[variables]") {
  Rng rng(42);
  for (Resolve kind : {Resolve::lww, Resolve::vector_clock, Resolve::g_counter, Resolve::pn_counter, Resolve::or_set,
                       Resolve::max, Resolve::min, Resolve::custom}) {
    INFO("strategy " << to_string(kind));
    for (int i = 0; i < 300; ++i) {
      const VarState a = random_state(kind, rng), b = random_state(kind, rng), c = random_state(kind, rng);
      CHECK(merged(a, b).value_text() == merged(b, a).value_text());
      CHECK(merged(merged(a, b), c).value_text() == merged(a, merged(b, c)).value_text());
      CHECK(merged(a, a) == a);
      if (kind != Resolve::custom && kind != Resolve::vector_clock) CHECK(merged(a, b) == merged(b, a));
    }
  }
}

TEST_CASE("crdt: or_set add wins over a concurrent remove, and a remove drops what it observed", "[variables]") {
  VarState s;
  s.resolve = Resolve::or_set;
  VarState add1 = s, add2 = s, rm = s;
  add1.elements["\"x\""].insert(Dot{"a", 1});
  add1.seen["a"] = 1;
  add2.elements["\"x\""].insert(Dot{"b", 1});
  add2.seen["b"] = 1;
  rm.seen = {{"a", 1}, {"c", 1}};  // c's remove observed only a's add
  CHECK(merged(merged(add1, rm), add2).value_text() == "[\"x\"]");
  CHECK(merged(add1, rm).value_text() == "[]");
}

TEST_CASE("crdt: vector_clock keeps concurrent writes as siblings until a write that saw them", "[variables]") {
  VarState base;
  base.resolve = Resolve::vector_clock;
  VarState a = base, b = base, c = base;
  a.siblings.insert({"1", "a", 1});
  a.seen["a"] = 1;
  b.siblings.insert({"2", "b", 1});
  b.seen["b"] = 1;
  const VarState both = merged(a, b);
  CHECK(both.value_text() == "{\"siblings\":[1,2]}");
  c.siblings.insert({"3", "c", 1});  // c wrote after seeing both
  c.seen = {{"a", 1}, {"b", 1}, {"c", 1}};
  CHECK(merged(both, c).value_text() == "3");
  CHECK(merged(c, both).value_text() == "3");
  CHECK(merged(merged(a, c), b).value_text() == "3");
}

TEST_CASE("hlc: timestamps grow even when the wall clock stalls or jumps back", "[variables]") {
  HlcClock clock;
  Rng rng(3);
  Hlc last = clock.tick(1000, "n1");
  for (int i = 0; i < 1000; ++i) {
    const TimeUs wall = 1000 + static_cast<TimeUs>(rng.below(50)) - 25;
    if (rng.chance(0.3)) clock.observe(Hlc{wall + static_cast<TimeUs>(rng.below(100)), static_cast<std::uint32_t>(rng.below(3)), "n2"}, wall);
    const Hlc now = clock.tick(wall, "n1");
    CHECK(last < now);
    last = now;
  }
  HlcClock other;
  other.observe(Hlc{5000, 7, "n3"}, 10);
  const Hlc after = other.tick(10, "n1");
  CHECK(after.wall == 5000);
  CHECK(after.logical > 7);
}

TEST_CASE("rendezvous: the pick is stable and moves only the keys of a removed node", "[variables]") {
  const std::vector<std::string> all{"n1", "n2", "n3", "n4", "n5", "n6"};
  int moved = 0;
  for (int k = 0; k < 200; ++k) {
    const std::string key = "var" + std::to_string(k);
    auto a = rendezvous_pick(key, all, 3);
    CHECK(a == rendezvous_pick(key, {"n6", "n5", "n4", "n3", "n2", "n1"}, 3));  // order does not matter
    std::vector<std::string> without = all;
    without.erase(without.begin() + 2);  // n3 goes away
    auto b = rendezvous_pick(key, without, 3);
    if (std::find(a.begin(), a.end(), "n3") == a.end()) CHECK(a == b);
    else ++moved;
  }
  CHECK(moved > 50);  // about half the keys had n3
  CHECK(moved < 150);
  CHECK(rendezvous_pick("x", all, 10).size() == 6);
}

TEST_CASE("messages: writes and digests round-trip, and garbage decodes to an error", "[variables]") {
  WriteOp op;
  op.var = "x";
  op.origin = "n1";
  op.seq = 3;
  op.ts = Hlc{123, 4, "n1"};
  op.kind = OpKind::remove;
  op.value = "\"e1\"";
  op.tags = {"n2#1"};
  op.deps = {Dep{"x", "n2", 1}, Dep{"y", "n3", 7}};
  auto back = decode_message<VarWrites>(encode_message(VarWrites{{op}}));
  REQUIRE(back.is_ok());
  REQUIRE(back->ops.size() == 1);
  CHECK(back->ops[0].ts == op.ts);
  CHECK(back->ops[0].deps.size() == 2);
  CHECK(back->ops[0].tags == op.tags);
  VarDigest d;
  d.vvs["x"] = {{"n1", 4}};
  auto dback = decode_message<VarDigest>(encode_message(d));
  REQUIRE(dback.is_ok());
  CHECK(dback->vvs == d.vvs);

  Rng rng(9);
  for (int i = 0; i < 2000; ++i) {
    Bytes b = encode_message(VarWrites{{op}});
    b.resize(3 + rng.below(b.size() - 3));
    for (std::size_t k = 3; k < b.size(); ++k)
      if (rng.chance(0.1)) b[k] = static_cast<std::uint8_t>(rng.below(256));
    auto r = decode_message<VarWrites>(b);  // must not crash; most are errors
    if (!r.is_ok()) CHECK(!r.status().message().empty());
  }
  Bytes bad = encode_message(VarWrites{{op}});
  bad[3 + 1 + 2 + 3 + 1] = 0;  // seq := 0 (var "x", origin "n1")
  CHECK_FALSE(decode_message<VarWrites>(bad).is_ok());
}

namespace {

// Delivers every message each host sent (in order) to its addressee, until quiet.
void pump(std::vector<Host*> hosts) {
  for (int round = 0; round < 20; ++round) {
    bool any = false;
    for (Host* h : hosts) {
      auto sent = std::move(h->ctx.sent);
      h->ctx.sent.clear();
      for (auto& m : sent)
        for (Host* to : hosts)
          if (to->ctx.self() == m.to) {
            any = true;
            REQUIRE(to->node.deliver(h->ctx.self(), m.bytes).is_ok());
          }
    }
    if (!any) return;
  }
}

std::vector<VariableSpec> specs() {
  VariableSpec c{"c", Consistency::eventual, Resolve::pn_counter, "", 3, false};
  VariableSpec s{"s", Consistency::session, Resolve::or_set, "", 3, false};
  VariableSpec x{"x", Consistency::causal, Resolve::lww, "", 3, true};
  VariableSpec y{"y", Consistency::causal, Resolve::lww, "", 3, true};
  return {c, s, x, y};
}

}  // namespace

TEST_CASE("variables: writes replicate, counters add up, reads see them", "[variables]") {
  const std::vector<std::string> cluster{"n1", "n2", "n3"};
  Host a("n1", cluster, specs()), b("n2", cluster, specs()), c("n3", cluster, specs());
  CHECK(a.call({"c", "incr", "2", ""}).ok);
  CHECK(b.call({"c", "incr", "-1", ""}).ok);
  CHECK(c.call({"c", "", "", ""}).ok);  // default: incr by 1
  pump({&a, &b, &c});
  for (Host* h : {&a, &b, &c}) CHECK(h->call({"c", "read", "", ""}).value == "2");
  auto bad = a.call({"c", "set", "1", ""});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error.find("does not apply") != std::string::npos);
  CHECK_FALSE(a.call({"nope", "read", "", ""}).ok);
}

TEST_CASE("variables: a causal write waits at a replica until the write it depends on arrives", "[variables]") {
  const std::vector<std::string> cluster{"n1", "n2", "n3"};
  Host a("n1", cluster, specs()), b("n2", cluster, specs()), c("n3", cluster, specs());
  REQUIRE(a.call({"x", "set", "1", ""}).ok);
  // n2 gets x=1, then writes y=2 (which depends on x=1); n3 receives y before x.
  std::vector<test::FakeContext::Sent> from_a = std::move(a.ctx.sent);
  a.ctx.sent.clear();
  for (auto& m : from_a)
    if (m.to == "n2") REQUIRE(b.node.deliver("n1", m.bytes).is_ok());
  REQUIRE(b.call({"y", "set", "2", ""}).ok);
  for (auto& m : b.ctx.sent)
    if (m.to == "n3" && peek_type(m.bytes) == VarWrites::kType.id) REQUIRE(c.node.deliver("n2", m.bytes).is_ok());
  b.ctx.sent.clear();
  CHECK(c.call({"y", "read", "", ""}).value == "null");  // buffered: x=1 is missing
  CHECK(c.svc->pending() == 1);
  for (auto& m : from_a)
    if (m.to == "n3") REQUIRE(c.node.deliver("n1", m.bytes).is_ok());
  CHECK(c.svc->pending() == 0);
  CHECK(c.call({"y", "read", "", ""}).value == "2");
  CHECK(c.call({"x", "read", "", ""}).value == "1");
}

TEST_CASE("variables: a session that moves to a node that is behind waits, then fails clearly", "[variables]") {
  const std::vector<std::string> cluster{"n1", "n2", "n3"};
  Host a("n1", cluster, specs()), b("n2", cluster, specs());
  auto w = a.call({"s", "add", "\"e\"", "alice"});
  REQUIRE(w.ok);
  bool answered = false;
  OpOutcome got;
  b.svc->submit({"s", "read", "", "alice"}, w.token, [&](const OpOutcome& o) {
    answered = true;
    got = o;
  });
  CHECK_FALSE(answered);  // n2 has not applied alice's write yet
  CHECK(b.svc->waiting() == 1);
  b.ctx.advance_to(sec(3));
  REQUIRE(answered);
  CHECK_FALSE(got.ok);
  CHECK(got.error.find("session alice is ahead of n2") != std::string::npos);
  // Once the write arrives, the same read is served and sees it.
  pump({&a, &b});
  auto r = b.call({"s", "read", "", "alice"}, w.token);
  CHECK(r.ok);
  CHECK(r.value == "[\"e\"]");
}

TEST_CASE("variables: while the guard says read-only, writes to readonly variables are refused, others accepted", "[variables]") {
  const std::vector<std::string> cluster{"n1", "n2", "n3", "n4", "n5"};
  Host a("n1", cluster, specs());
  CHECK(a.call({"c", "incr", "1", ""}).ok);
  a.quorum.set(true);
  auto refused = a.call({"c", "incr", "1", ""});
  CHECK_FALSE(refused.ok);
  CHECK(refused.error.find("read-only: test: no majority") != std::string::npos);
  CHECK(a.call({"x", "set", "5", ""}).ok);  // on_minority: available
  CHECK(a.call({"c", "read", "", ""}).ok);
  a.quorum.set(false);
  CHECK(a.call({"c", "incr", "1", ""}).ok);
}

TEST_CASE("variables: a new replica gets an anti-entropy round when a replica goes down", "[variables]") {
  const std::vector<std::string> cluster{"n1", "n2", "n3", "n4", "n5"};
  std::vector<VariableSpec> one{{"c", Consistency::eventual, Resolve::g_counter, "", 2, false}};
  Host a("n1", cluster, one);
  auto before = a.svc->replicas_of("c");
  REQUIRE(before.size() == 2);
  const std::string gone = before[0] == "n1" ? before[1] : before[0];
  a.ctx.sent.clear();
  a.view.set(gone, MemberState::down);
  auto after = a.svc->replicas_of("c");
  CHECK(std::find(after.begin(), after.end(), gone) == after.end());
  CHECK(after.size() == 2);
}

TEST_CASE("variables: a restarted node replays its log and never reuses a sequence number", "[variables]") {
  const std::vector<std::string> cluster{"n1"};
  std::vector<VariableSpec> one{{"c", Consistency::eventual, Resolve::g_counter, "", 1, false}};
  Host a("n1", cluster, one);
  REQUIRE(a.call({"c", "incr", "2", ""}).ok);
  REQUIRE(a.call({"c", "incr", "3", ""}).ok);
  // A fresh node over the same storage, as after a crash.
  Node again(a.ctx);
  FixedView view;
  view.infos = a.view.infos;
  again.expose<MembershipView>(&view);
  auto& svc = again.add<VariablesService>(one, VariablesConfig{});
  again.start();
  CHECK(svc.value_of("c") == "5");
  CHECK(svc.version_of("c").at("n1") == 2);
  OpOutcome out;
  svc.submit({"c", "incr", "1", ""}, {}, [&](const OpOutcome& o) { out = o; });
  CHECK(out.ok);
  CHECK(svc.version_of("c").at("n1") == 3);
  CHECK(svc.value_of("c") == "6");
}
