// The agent service on one node (FakeContext): ids that survive a restart, spawning and
// the built-in types, versioned states and messages, bounded mailboxes, monitors, links,
// trapped exits, timers, requests, the supervisor's intensity limit, named agents through
// the registry and the name lease.
#include <catch2/catch.hpp>

#include "engine/agents/ids.h"
#include "tests/engine/agents_host.h"

using namespace mabeam;
using namespace mabeam::agents;
using namespace mabeam::agents::testing;

TEST_CASE("agents: ids are <node>.<serial>, minted in order and never reused after a restart", "[agents]") {
  Host a("n1");
  CHECK(a.spawn("counter") == "n1.1");
  CHECK(a.spawn("counter") == "n1.2");
  const auto& disk = static_cast<test::MemoryStorage&>(a.ctx.storage());
  // The restarted node (same disk, next boot) starts above every serial it reserved.
  Host b("n1", {}, nullptr, &disk, 2);
  const std::string id = b.spawn("counter");
  REQUIRE(is_agent_id(id));
  CHECK(node_in_id(id) == "n1");
  CHECK(serial_in_id(id) > 2);
  CHECK(serial_in_id(id) > 1024);  // the first life reserved a block of 1024
}

TEST_CASE("agents: a counter adds increments and answers get; bad messages get an error reply", "[agents]") {
  Host h;
  const std::string id = h.spawn("counter", "{\"count\": 5}");
  CHECK(h.call(id, "{\"inc\": 3}").reply == "8");
  CHECK(h.call(id, "\"get\"").reply == "8");
  Outcome bad = h.call(id, "{\"inc\": \"x\"}");
  CHECK(bad.kind == Outcome::Kind::ok);  // handled: the answer is the error
  CHECK(bad.reply.find("error") != std::string::npos);
  // The trace pairs each send with its delivery and outcome, by message id.
  auto sends = h.events("agent_send");
  auto delivers = h.events("agent_deliver");
  auto outcomes = h.events("agent_outcome");
  REQUIRE(sends.size() == 3);
  REQUIRE(delivers.size() == 3);
  REQUIRE(outcomes.size() == 3);
  CHECK(h.field(*sends[0], "msg") == h.field(*delivers[0], "msg"));
  CHECK(h.field(*delivers[0], "state") == "{\"count\":8}");
  CHECK(h.field(*outcomes[1], "outcome") == "ok");
}

TEST_CASE("agents: kv, echo and a bad initial state", "[agents]") {
  Host h;
  const std::string kv = h.spawn("kv");
  CHECK(h.call(kv, "{\"put\": [\"a\", [1, 2]]}").reply == "null");
  CHECK(h.call(kv, "{\"get\": \"a\"}").reply == "[1,2]");
  CHECK(h.call(kv, "{\"get\": \"b\"}").reply == "null");
  const std::string echo = h.spawn("echo");
  CHECK(h.call(echo, "{\"x\":[true,null]}").reply == "{\"x\":[true,null]}");
  CHECK(h.spawn("counter", "{\"count\": \"many\"}").find("error: bad state for counter") == 0);
  CHECK(h.spawn("pinger", "{\"peer\": \"p2\", \"every\": \"soon\"}").find("error: bad state for pinger") == 0);
  CHECK(h.spawn("nosuch").find("error: unknown agent type \"nosuch\"") == 0);
  CHECK(h.spawn("counter", "not json").find("error: bad state") == 0);
  CHECK(h.count_events("agent_spawn_failed") == 4);
}

TEST_CASE("agents: a message to an agent that does not exist is refused, and said why", "[agents]") {
  Host h;
  Outcome o = h.call("n1.77", "\"get\"");
  CHECK(o.kind == Outcome::Kind::refused);
  CHECK(o.error.find("noproc") == 0);
  const std::string id = h.spawn("counter");
  Outcome k;
  h.svc->kill("test", id, "", [&](const Outcome& x) { k = x; });
  h.settle();
  CHECK(k.kind == Outcome::Kind::ok);
  Outcome after = h.call(id, "\"get\"");
  CHECK(after.kind == Outcome::Kind::refused);
  CHECK(after.error.find("ended (killed)") != std::string::npos);
  CHECK(h.call("not an id", "1").error.find("neither an agent id nor an agent name") != std::string::npos);
}

TEST_CASE("agents: a full mailbox refuses with mailbox_full, counted and traced", "[agents]") {
  AgentsConfig c;
  c.mailbox_max = 3;
  Host h("n1", c);
  const std::string id = h.spawn("counter");
  std::vector<Outcome> got(5);
  for (int i = 0; i < 5; ++i)
    h.svc->call("test", id, Payload::json("{\"inc\": 1}"), 0, [&, i](const Outcome& o) { got[static_cast<std::size_t>(i)] = o; });
  // Nothing was dispatched yet (no time passed): the fourth and fifth find the mailbox full.
  CHECK(got[3].kind == Outcome::Kind::refused);
  CHECK(got[3].error.find("mailbox_full") == 0);
  CHECK(got[4].kind == Outcome::Kind::refused);
  h.settle();
  CHECK(got[0].kind == Outcome::Kind::ok);
  CHECK(got[2].reply == "3");
  CHECK(h.node.metrics().counter("agent_mailbox_full_total") == 2);
  CHECK(h.count_events("agent_refused") == 2);
}

TEST_CASE("agents: a newer message version or an unknown message type is refused with both versions named", "[agents]") {
  Host h;
  const std::string id = h.spawn("counter");
  Outcome got;
  h.svc->call("test", id, Payload{kJsonType, 2, bytes("1")}, 0, [&](const Outcome& o) { got = o; });
  h.settle();
  CHECK(got.kind == Outcome::Kind::refused);
  CHECK(got.error.find("version 2 is newer than counter reads here (up to version 1)") != std::string::npos);
  h.svc->call("test", id, Payload{"proto.bank", 1, bytes("x")}, 0, [&](const Outcome& o) { got = o; });
  h.settle();
  CHECK(got.error.find("does not handle message type \"proto.bank\"") != std::string::npos);
}

namespace {
// A type at version 2 that still reads version 1 states ({"n": N} then, {"count": N} now).
class V2Counter final : public Agent {
 public:
  Status restore(const Bytes& s, std::uint8_t version) override {
    const std::string t(s.begin(), s.end());
    if (t.empty()) return Status::ok();
    const std::string key = version == 1 ? "{\"n\":" : "{\"count\":";
    if (t.rfind(key, 0) != 0) return Status::invalid("not a v" + std::to_string(version) + " state: " + t);
    count = std::stoll(t.substr(key.size()));
    return Status::ok();
  }
  Bytes snapshot() const override { return bytes("{\"count\":" + std::to_string(count) + "}"); }
  void handle(AgentContext& ctx, const Message&) override { ctx.reply(Payload::json(std::to_string(count))); }
  std::int64_t count = 0;
};
}  // namespace

TEST_CASE("agents: a state written by version N is read by N and N+1; a newer one is refused", "[agents]") {
  Host h;
  auto v2 = std::make_shared<TypeRegistry>();
  AgentType t;
  t.name = "vcounter";
  t.version = 2;
  t.accepts = {MessageTypeInfo{kJsonType, 1}};
  t.make = [] { return std::make_unique<V2Counter>(); };
  REQUIRE(v2->add(t));
  const AgentType* type = v2->find("vcounter");
  CHECK(TypeRegistry::check_state(*type, 1));
  CHECK(TypeRegistry::check_state(*type, 2));
  Status newer = TypeRegistry::check_state(*type, 3);
  CHECK_FALSE(newer);
  CHECK(newer.message() == "state of vcounter version 3 is newer than this node reads (up to version 2)");
  // A node running v2 restores the v1 state a v1 node wrote, and answers from it.
  test::FakeContext ctx("n2");
  Node node(ctx);
  node.add<AgentService>(AgentsConfig{}, v2, 1);
  node.start();
  auto& svc = *node.find<AgentService>();
  SpawnSpec s;
  s.type = "vcounter";
  s.state = bytes("{\"n\":41}");
  s.state_version = 1;
  std::string id;
  svc.spawn(s, [&](Result<std::string> r) { id = r ? *r : r.status().message(); });
  REQUIRE(id == "n2.1");
  Outcome o;
  svc.call("c", id, Payload::json("\"get\""), 0, [&](const Outcome& x) { o = x; });
  ctx.advance_to(ms(10));
  CHECK(o.reply == "41");
  // A state of version 3 is refused before an agent exists.
  s.state_version = 3;
  svc.spawn(s, [&](Result<std::string> r) { id = r ? *r : r.status().message(); });
  CHECK(id == "state of vcounter version 3 is newer than this node reads (up to version 2)");
  CHECK(v2->add(t).message() == "agent type vcounter is registered twice");
}

TEST_CASE("agents: monitors fire once with the reason; noproc for an agent that does not exist", "[agents]") {
  Host h;
  scripts()["watcher"] = Script{};
  const std::string w = h.spawn("script", "watcher");
  const std::string c = h.spawn("counter");
  AgentContext& ctx = *scripts()["watcher"].ctx;
  const auto ref = ctx.monitor(c);
  const auto ref_gone = ctx.monitor("n1.99");
  const auto ref_dropped = ctx.monitor(c);
  ctx.demonitor(ref_dropped);
  h.settle();
  Outcome k;
  h.svc->kill("test", c, "boom", [&](const Outcome& x) { k = x; });
  h.settle();
  const auto& log = scripts()["watcher"].log;
  CHECK(std::count(log.begin(), log.end(), "down n1.99 noproc") == 1);
  CHECK(std::count(log.begin(), log.end(), "down " + c + " boom") == 1);
  CHECK(log.size() == 3);  // start and the two downs: nothing for the demonitored one
  auto downs = h.events("agent_down");
  REQUIRE(downs.size() == 2);
  CHECK(h.field(*downs[1], "ref") == std::to_string(ref));
  CHECK(h.field(*downs[0], "ref") == std::to_string(ref_gone));
  (void)w;
}

TEST_CASE("agents: links end both ends unless the other traps exits; normal ends nobody", "[agents]") {
  Host h;
  scripts()["a"] = Script{};
  scripts()["b"] = Script{};
  scripts()["trapper"] = Script{};
  scripts()["trapper"].on_start = [](AgentContext& c) { c.trap_exit(true); };
  const std::string a = h.spawn("script", "a");
  const std::string b = h.spawn("script", "b");
  const std::string t = h.spawn("script", "trapper");
  scripts()["a"].ctx->link(b);
  scripts()["trapper"].ctx->link(b);
  h.settle();
  h.svc->kill("test", b, "crashed", [](const Outcome&) {});
  h.settle();
  // a was linked and does not trap: it ends with b's reason; the trapper gets a message.
  CHECK(!h.svc->hosts(b));
  CHECK(!h.svc->hosts(a));
  CHECK(h.svc->hosts(t));
  CHECK(scripts()["a"].log.back() == "stop crashed");
  CHECK(scripts()["trapper"].log.back() == "exit " + b + " crashed");
  // A normal stop of a linked agent ends nobody.
  scripts()["c"] = Script{};
  scripts()["d"] = Script{};
  const std::string c = h.spawn("script", "c");
  const std::string d = h.spawn("script", "d");
  scripts()["c"].ctx->link(d);
  scripts()["d"].on_message = [](AgentContext& x, const Message&) { x.stop(); };
  h.settle();
  h.call(d, "\"stop\"");
  CHECK(!h.svc->hosts(d));
  CHECK(h.svc->hosts(c));
  // An exit signal "killed" cannot be trapped.
  scripts()["trapper"].ctx->exit(t, kKilled);
  h.settle();
  CHECK(!h.svc->hosts(t));
  CHECK(scripts()["trapper"].log.back() == "stop killed");
}

TEST_CASE("agents: timers, requests with a timeout, and replies", "[agents]") {
  Host h;
  scripts()["asker"] = Script{};
  const std::string a = h.spawn("script", "asker");
  const std::string echo = h.spawn("echo");
  AgentContext& ctx = *scripts()["asker"].ctx;
  ctx.start_timer(ms(30), "tick");
  const auto cancelled = ctx.start_timer(ms(20), "never");
  ctx.cancel_timer(cancelled);
  ctx.request(echo, Payload::json("{\"hi\":1}"), ms(100));
  ctx.request("n1.4242", Payload::json("1"), ms(100));
  h.settle(ms(40));
  const auto& log = scripts()["asker"].log;
  CHECK(std::find(log.begin(), log.end(), "reply {\"hi\":1}") != log.end());
  CHECK(std::find(log.begin(), log.end(), "timer tick") != log.end());
  CHECK(std::find(log.begin(), log.end(), "timer never") == log.end());
  CHECK(std::count_if(log.begin(), log.end(), [](const std::string& l) { return l.rfind("reply n1.4242 noproc", 0) == 0; }) == 1);
  // A request nobody answers in time: the reply signal says timeout.
  scripts()["mute"] = Script{};
  scripts()["mute"].on_message = [](AgentContext&, const Message&) {};
  const std::string mute = h.spawn("script", "mute");
  scripts()["slow"] = Script{};
  scripts()["slow"].on_message = [](AgentContext&, const Message&) {};
  ctx.request(mute, Payload::json("1"), ms(100));
  h.settle(ms(150));
  // The mute agent did not reply, so the service answered empty after it handled it.
  CHECK(std::find(log.begin(), log.end(), "reply null") != log.end());
  (void)a;
}

TEST_CASE("agents: a supervisor restarts a crashing child one-for-one, then gives up past its intensity", "[agents]") {
  Host h;
  const std::string sup = h.spawn(
      "supervisor",
      R"({"intensity": 2, "period": "10s", "children": [{"type": "counter"}, {"type": "echo", "restart": "temporary"}]})");
  h.settle();
  auto children = [&] {
    std::vector<std::string> out;
    for (const auto& a : h.svc->agents())
      if (a.type != "supervisor") out.push_back(a.id);
    return out;
  };
  REQUIRE(children().size() == 2);
  std::string counter;
  for (const auto& a : h.svc->agents())
    if (a.type == "counter") counter = a.id;
  std::string echo;
  for (const auto& a : h.svc->agents())
    if (a.type == "echo") echo = a.id;
  // A temporary child is not restarted.
  h.svc->kill("test", echo, "boom", [](const Outcome&) {});
  h.settle();
  CHECK(children().size() == 1);
  for (int round = 0; round < 2; ++round) {
    h.svc->kill("test", counter, "boom", [](const Outcome&) {});
    h.settle();
    REQUIRE(children().size() == 1);
    CHECK(children()[0] != counter);  // a new instance, a new id
    counter = children()[0];
  }
  // The third crash within the period is past intensity 2: the supervisor ends (shutdown).
  h.svc->kill("test", counter, "boom", [](const Outcome&) {});
  h.settle();
  CHECK(!h.svc->hosts(sup));
  CHECK(children().empty());
  auto stops = h.events("agent_stop");
  CHECK(h.field(*stops.back(), "agent") == sup);
  CHECK(h.field(*stops.back(), "reason") == "shutdown");
}

TEST_CASE("agents: named agents are unique; a taken name is an error naming the holder; whereis", "[agents]") {
  Host h;
  const std::string a = h.spawn("counter", "", "total");
  REQUIRE(is_agent_id(a));
  CHECK(h.spawn("counter", "", "total") == "error: name \"total\" is held by " + a);
  CHECK(h.call("total", "{\"inc\": 2}").reply == "2");
  std::string where;
  h.registry->whereis("total", [&](Result<std::string> r) { where = r ? *r : r.status().message(); });
  CHECK(where == a);
  h.registry->forget("total");
  h.registry->whereis("total", [&](Result<std::string> r) { where = r ? *r : r.status().message(); });
  h.settle();
  CHECK(where == a);
  CHECK(h.spawn("counter", "", "no.dots").find("not a valid agent name") != std::string::npos);
  // When it ends, the name is free again.
  h.svc->kill("test", "total", "", [](const Outcome&) {});
  h.settle();
  const std::string b = h.spawn("counter", "", "total");
  CHECK(is_agent_id(b));
  CHECK(b != a);
  // A name that nobody holds: the call is refused.
  Outcome o = h.call("nobody", "\"get\"");
  CHECK(o.kind == Outcome::Kind::refused);
  CHECK(o.error.find("no agent is registered as \"nobody\"") != std::string::npos);
}

TEST_CASE("agents: a named agent stops dispatching when its lease lapses and resumes when renewed", "[agents]") {
  AgentsConfig c;
  c.name_lease = sec(2);
  Host h("n1", c);
  const std::string id = h.spawn("counter", "", "x");
  REQUIRE(is_agent_id(id));
  // The leader goes away: renewals find no leader, the lease lapses, the agent suspends.
  h.core->leader = "";
  h.settle(sec(3));
  CHECK(h.count_events("agent_suspend") == 1);
  CHECK_FALSE(h.registry->lease_valid());
  Outcome o = h.call(id, "{\"inc\": 1}", false);
  h.settle(ms(100));
  CHECK(o.kind == Outcome::Kind::unknown);  // buffered, not handled: no outcome yet
  CHECK(o.error == "no outcome");
  // The leader comes back before anyone expired the lease: renewed, resumed, handled.
  h.core->leader = "n1";
  h.settle(sec(1));
  CHECK(h.count_events("agent_resume") == 1);
  CHECK(h.call(id, "\"get\"").reply == "1");
}

TEST_CASE("agents: the leader expires a lease nobody renews, and the holder's agents end with lease_expired", "[agents]") {
  AgentsConfig c;
  c.name_lease = sec(2);
  auto core = std::make_shared<test::FakeLogCore>();
  core->leader = "n1";
  Host h("n1", c, core);
  const std::string id = h.spawn("counter", "", "x");
  REQUIRE(is_agent_id(id));
  // The leader expires the lease (as it does for a holder it has not heard from: the
  // two-node case is in the simulator's tests); the holder's next renewal hears so.
  RegCommand expire;
  expire.cmd = RegCmd::expire;
  expire.node = "n1";
  expire.boot = 1;
  const auto& lease = h.registry->state().leases().at("n1");
  expire.gen = lease.gen;
  expire.seq = lease.seq;
  REQUIRE(h.node.find<ReplicatedLog>()->propose(expire.encode()));
  h.settle(sec(2));
  CHECK(!h.svc->hosts(id));
  auto stops = h.events("agent_stop");
  REQUIRE(!stops.empty());
  CHECK(h.field(*stops.back(), "reason") == "lease_expired");
  CHECK(h.registry->state().names().count("x") == 0);
}
