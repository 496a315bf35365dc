// The agent service's parts: the JSON values of the built-in types, id shapes, the registry's
// replicated state machine, and the decoding of every agent message from garbage (errors,
// never a crash).
#include <catch2/catch.hpp>

#include "engine/agents/ids.h"
#include "engine/agents/json.h"
#include "engine/agents/messages.h"
#include "engine/agents/registry.h"
#include "engine/rng.h"

using namespace mabeam;
using namespace mabeam::agents;

TEST_CASE("agents json: parses and writes canonical text", "[agents]") {
  auto j = Json::parse(R"( {"b": [1, -2.5, true, null], "a": "x\n\u00e9\ud83d\ude00"} )");
  REQUIRE(j);
  CHECK(j->dump() == "{\"a\":\"x\\n\xc3\xa9\xf0\x9f\x98\x80\",\"b\":[1,-2.5,true,null]}");
  CHECK(Json::parse(j->dump())->dump() == j->dump());
  CHECK(Json::parse("1e3")->dump() == "1000.0");
  CHECK(Json::parse("9223372036854775807")->as_int() == INT64_MAX);
  CHECK(Json::parse("9223372036854775808")->is_int() == false);
  CHECK(*Json::parse("{\"a\":1}") == *Json::parse("{ \"a\" : 1 }"));
}

TEST_CASE("agents json: malformed text is an error naming the byte", "[agents]") {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"abc", "tru", "[1] 2", "{\"a\":1,\"a\":2}",
                          "\"\\ud800\"", "-", "1e", "\"\x01\""}) {
    INFO(bad);
    auto j = Json::parse(bad);
    CHECK_FALSE(j);
    if (!j) CHECK(j.status().message().rfind("invalid JSON at byte ", 0) == 0);
  }
  std::string deep(100, '[');
  CHECK(Json::parse(deep).status().message().find("nested deeper than 64") != std::string::npos);
}

TEST_CASE("agents ids: agent ids, client ids and names do not overlap", "[agents]") {
  CHECK(is_agent_id("n1.17"));
  CHECK(is_agent_id("node-a.b.3"));
  CHECK(node_in_id("node-a.b.3") == "node-a.b");
  CHECK(serial_in_id("n1.17") == 17);
  for (const char* no : {"n1", "n1.", ".3", "n1.03", "n1.x", "n1:2:x"}) CHECK_FALSE(is_agent_id(no));
  CHECK(is_client_endpoint("n1:2:http"));
  CHECK(node_in_id("n1:2:http") == "n1");
  CHECK(valid_name("pinger_1-a"));
  for (const char* no : {"", "1a", "a.b", "a:b", "a b"}) CHECK_FALSE(valid_name(no));
}

TEST_CASE("agents registry state: claims, taken names, releases, renewals, expiry and restarts", "[agents]") {
  RegistryState s;
  auto claim = [](const std::string& name, const std::string& id, const std::string& node, std::uint64_t boot) {
    RegCommand c;
    c.cmd = RegCmd::claim;
    c.name = name;
    c.id = id;
    c.node = node;
    c.boot = boot;
    return c;
  };
  RegAnswer a = s.apply(1, claim("x", "n1.1", "n1", 1));
  CHECK(a.code == RegCode::ok);
  CHECK(a.gen == 1);
  a = s.apply(2, claim("x", "n2.1", "n2", 1));
  CHECK(a.code == RegCode::taken);
  CHECK(a.holder == "n1.1");
  CHECK(s.apply(3, claim("x", "n1.1", "n1", 1)).code == RegCode::ok);  // idempotent
  RegCommand renew;
  renew.cmd = RegCmd::renew;
  renew.node = "n1";
  renew.boot = 1;
  renew.gen = 1;
  CHECK(s.apply(4, renew).code == RegCode::ok);
  // The leader's expiry with a stale seq is a no-op; with the current one it frees the names.
  RegCommand expire;
  expire.cmd = RegCmd::expire;
  expire.node = "n1";
  expire.boot = 1;
  expire.gen = 1;
  expire.seq = 1;
  CHECK(s.apply(5, expire).code == RegCode::noop);
  expire.seq = s.leases().at("n1").seq;
  std::vector<std::string> freed;
  CHECK(s.apply(6, expire, &freed).code == RegCode::ok);
  CHECK(freed == std::vector<std::string>{"x"});
  CHECK(s.apply(7, renew).code == RegCode::expired);
  // A restarted node's claim frees what its earlier life held, and an earlier life's is stale.
  CHECK(s.apply(8, claim("y", "n3.1", "n3", 1)).code == RegCode::ok);
  CHECK(s.apply(9, claim("z", "n3.2000", "n3", 2)).code == RegCode::ok);
  CHECK(s.lookup("y").holder.empty());
  CHECK(s.lookup("z").holder == "n3.2000");
  CHECK(s.apply(10, claim("w", "n3.5", "n3", 1)).code == RegCode::stale);
  RegCommand release;
  release.cmd = RegCmd::release;
  release.name = "z";
  release.id = "n3.9";
  CHECK(s.apply(11, release).code == RegCode::noop);
  release.id = "n3.2000";
  CHECK(s.apply(12, release).code == RegCode::ok);
  // Snapshots restore the same state.
  RegistryState t;
  REQUIRE(t.restore(s.snapshot()));
  CHECK(t.snapshot() == s.snapshot());
  CHECK_FALSE(t.restore(Bytes{1, 2, 3}));
}

TEST_CASE("agents messages: every message decodes from what it encodes, and garbage is an error", "[agents]") {
  AgentItems m;
  m.src = "n1.1";
  m.dst = "n2.7";
  m.chan = 5;
  m.first_seq = 3;
  Item i;
  i.kind = ItemKind::message;
  i.number = 9;
  i.ref = 2;
  i.flag = true;
  i.payload = Payload::json("{\"inc\":1}");
  m.items = {i, i};
  auto back = decode_message<AgentItems>(encode_message(m));
  REQUIRE(back);
  CHECK(back->items.size() == 2);
  CHECK(back->items[1].payload.text() == "{\"inc\":1}");
  SpawnRequest sr;
  sr.spawner = "n1:1:spawn";
  sr.req = 4;
  sr.spec.type = "counter";
  sr.spec.placement.demand["cpu"] = 1.5;
  sr.spec.placement.affinity = {"db"};
  auto sb = decode_message<SpawnRequest>(encode_message(sr));
  REQUIRE(sb);
  CHECK(sb->spec.placement.demand.at("cpu") == 1.5);
  CHECK(sb->spec.placement.affinity == std::vector<std::string>{"db"});
  Rng rng(7);
  for (int n = 0; n < 3000; ++n) {
    Bytes b(rng.below(40));
    for (auto& x : b) x = static_cast<std::uint8_t>(rng.below(256));
    (void)decode_message<AgentItems>(b);
    (void)decode_message<AgentAck>(b);
    (void)decode_message<AgentGone>(b);
    (void)decode_message<SpawnRequest>(b);
    (void)decode_message<ReplicaPut>(b);
    (void)decode_message<RegistryReply>(b);
    RegCommand c;
    (void)RegCommand::decode(b, c);
  }
  Bytes bad = encode_message(m);
  bad[3 + 8] = 0xFF;  // the item kind... or whatever byte that is: a decode error, not a crash
  (void)decode_message<AgentItems>(bad);
  CHECK(decode_message<AgentItems>(Bytes{80, 0, 1}).status().code() == Status::Code::corrupt);
}
