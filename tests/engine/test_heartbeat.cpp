// The heartbeat detector as a state machine: fed heartbeats and time through a fake
// Context, it must beat every interval, mark a silent peer down after down_after, mark it
// active again when heard, take a Leave as `left`, and ignore stale incarnations.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "engine/heartbeat.h"
#include "engine/node_setup.h"
#include "fake_context.h"

using namespace mabeam;

namespace {
std::string state_of_last_member_event(const test::FakeContext& ctx, const std::string& subject) {
  std::string state = "none";
  for (const auto& e : ctx.emitted) {
    if (e.ev.ev != "member") continue;
    bool match = false;
    std::string st;
    for (const auto& [k, v] : e.ev.fields) {
      if (k == "subject") match = std::get<std::string>(v) == subject;
      if (k == "state") st = std::get<std::string>(v);
    }
    if (match) state = st;
  }
  return state;
}

struct Fixture {
  test::FakeContext ctx{"n1"};
  Node node{ctx};
  HeartbeatDetector* hb = nullptr;
  Fixture() {
    hb = &node.add<HeartbeatDetector>(HeartbeatConfig{ms(100), ms(500)}, std::vector<std::string>{"n1", "n2", "n3"}, 1);
    node.start();
  }
  void beat_from(const std::string& from, std::uint64_t inc) {
    REQUIRE(node.deliver(from, encode_message(Heartbeat{inc, 1})).is_ok());
  }
};
}  // namespace

TEST_CASE("heartbeat: beats every peer once per interval", "[heartbeat]") {
  Fixture f;
  f.ctx.advance_to(ms(1000));
  int to_n2 = 0, to_n3 = 0;
  for (const auto& s : f.ctx.sent) {
    CHECK(s.type == std::string("heartbeat"));
    to_n2 += s.to == "n2";
    to_n3 += s.to == "n3";
    CHECK(s.to != "n1");
  }
  CHECK(to_n2 >= 9);
  CHECK(to_n2 <= 10);
  CHECK(to_n2 == to_n3);
}

TEST_CASE("heartbeat: a peer silent for down_after is marked down, and active when heard again", "[heartbeat]") {
  Fixture f;
  f.beat_from("n2", 1);
  CHECK(f.hb->peer_state("n2") == HeartbeatDetector::PeerState::active);
  f.ctx.advance_to(ms(450));
  CHECK(f.hb->peer_state("n2") == HeartbeatDetector::PeerState::active);
  f.ctx.advance_to(ms(700));
  CHECK(f.hb->peer_state("n2") == HeartbeatDetector::PeerState::down);
  CHECK(state_of_last_member_event(f.ctx, "n2") == "down");
  f.beat_from("n2", 1);
  CHECK(f.hb->peer_state("n2") == HeartbeatDetector::PeerState::active);
  CHECK(state_of_last_member_event(f.ctx, "n2") == "active");
}

TEST_CASE("heartbeat: a Leave marks the peer left and later beats of that incarnation do not revive it", "[heartbeat]") {
  Fixture f;
  f.beat_from("n3", 2);
  REQUIRE(f.node.deliver("n3", encode_message(Leave{2})).is_ok());
  CHECK(f.hb->peer_state("n3") == HeartbeatDetector::PeerState::left);
  f.beat_from("n3", 2);  // in flight before the Leave
  CHECK(f.hb->peer_state("n3") == HeartbeatDetector::PeerState::left);
  f.beat_from("n3", 3);  // restarted: a new incarnation
  CHECK(f.hb->peer_state("n3") == HeartbeatDetector::PeerState::active);
}

TEST_CASE("heartbeat: a beat from an older incarnation is ignored", "[heartbeat]") {
  Fixture f;
  f.beat_from("n2", 5);
  f.ctx.advance_to(ms(700));
  REQUIRE(f.hb->peer_state("n2") == HeartbeatDetector::PeerState::down);
  f.beat_from("n2", 4);
  CHECK(f.hb->peer_state("n2") == HeartbeatDetector::PeerState::down);
}

TEST_CASE("heartbeat: stop() sends Leave to every peer and stops beating", "[heartbeat]") {
  Fixture f;
  f.ctx.advance_to(ms(300));
  f.node.stop();
  std::size_t leaves = 0;
  for (const auto& s : f.ctx.sent) leaves += s.type == std::string("leave");
  CHECK(leaves == 2);
  const auto before = f.ctx.sent.size();
  f.ctx.advance_to(ms(2000));
  CHECK(f.ctx.sent.size() == before);
}

TEST_CASE("node: unknown types and garbage are returned as errors, never dispatched", "[node]") {
  Fixture f;
  auto unknown = f.node.deliver("n2", Bytes{0x39, 0x30, 1});
  REQUIRE_FALSE(unknown.is_ok());
  CHECK_THAT(unknown.message(), Catch::Contains("unknown message type"));
  auto short_header = f.node.deliver("n2", Bytes{1});
  CHECK_FALSE(short_header.is_ok());
  Bytes bad_body = encode_message(Heartbeat{1, 1});
  bad_body.pop_back();
  CHECK_FALSE(f.node.deliver("n2", bad_body).is_ok());
  CHECK(f.hb->peer_state("n2") == HeartbeatDetector::PeerState::unknown);
}

TEST_CASE("node setup: record_boot counts boots in storage", "[node]") {
  test::MemoryStorage disk;
  CHECK(*record_boot(disk) == 1);
  CHECK(*record_boot(disk) == 2);
  CHECK(*record_boot(disk) == 3);
}

TEST_CASE("node setup: the heartbeat config block is read strictly", "[node]") {
  NodeSetup s;
  CHECK(parse_node_config(nlohmann::json::parse(R"({"heartbeat":{"interval":"100ms","down_after":"1s"}})"), "/config", s).is_ok());
  CHECK(s.heartbeat.interval == ms(100));
  CHECK(s.heartbeat.down_after == sec(1));
  auto bad = parse_node_config(nlohmann::json::parse(R"({"heartbeat":{"interval":"1s","down_after":"500ms"}})"), "/config", s);
  REQUIRE_FALSE(bad.is_ok());
  CHECK_THAT(bad.message(), Catch::Contains("/config/heartbeat/down_after"));
  auto unknown = parse_node_config(nlohmann::json::parse(R"({"hearbeat":{}})"), "/config", s);
  REQUIRE_FALSE(unknown.is_ok());
  CHECK_THAT(unknown.message(), Catch::Contains("/config/hearbeat: unknown key"));
}

TEST_CASE("heartbeat: as a MembershipView it lists known members and tells subscribers of changes", "[heartbeat]") {
  Fixture f;
  auto* view = f.node.find<MembershipView>();
  REQUIRE(view == f.hb);
  std::vector<std::string> changes;
  view->subscribe([&](const std::string& n, MemberState from, MemberState to) {
    changes.push_back(n + ":" + to_string(from) + "->" + to_string(to));
  });
  f.beat_from("n2", 1);
  f.ctx.advance_to(ms(700));
  auto members = view->members();
  REQUIRE(members.size() == 2);  // n1 (self) and n2; n3 never heard from
  CHECK(members[0].name == "n1");
  CHECK(members[0].state == MemberState::active);
  CHECK(members[1].name == "n2");
  CHECK(members[1].state == MemberState::down);
  CHECK(view->state_of("n3") == MemberState::joining);
  CHECK(changes == std::vector<std::string>{"n2:joining->active", "n2:active->down"});
}
