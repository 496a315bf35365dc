// The consensus service as a driver of the Raft core, fed inputs through a FakeContext: it
// sends nothing that depends on state before the sync of that state completed (a vote grant
// waits for its sync; with the test-only ack_before_sync switch it does not), it recovers
// term and vote from its files at a restart, it refuses a data directory of another
// cluster, and config.consensus is read strictly.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/consensus/codec.h"
#include "engine/consensus/service.h"
#include "engine/consensus/setup.h"
#include "fake_context.h"

using namespace mabeam;
using namespace mabeam::raft;

namespace {
ConsensusConfig three(TestBugs bugs = {}) {
  ConsensusConfig c;
  c.voters = {"n1", "n2", "n3"};
  c.bugs = bugs;
  return c;
}

// A vote request from n1 for term 5, as it comes off the wire.
Bytes vote_request(const ConsensusConfig& c) {
  Message m;
  m.type = MsgType::vote;
  m.from = "n1";
  m.to = "n3";
  m.term = 5;
  m.cluster_id = cluster_id_of(c.voters);
  return encode_wire(m);
}

std::size_t sent_of(const test::FakeContext& ctx, const std::string& type) {
  std::size_t n = 0;
  for (const auto& s : ctx.sent) n += s.type == type;
  return n;
}
}  // namespace

TEST_CASE("consensus service: a vote grant leaves only after its sync completes") {
  test::FakeContext ctx("n3");
  ctx.memory().hold_syncs = true;
  Node node(ctx);
  auto& svc = node.add<ConsensusService>(three());
  node.start();
  REQUIRE(svc.running());
  REQUIRE(node.deliver("n1", vote_request(three())));
  CHECK(svc.term() == 5);
  CHECK(sent_of(ctx, "raft.vote_resp") == 0);  // the vote is on its way to the disk
  CHECK(ctx.memory().held.size() == 1);
  ctx.memory().release_syncs();
  CHECK(sent_of(ctx, "raft.vote_resp") == 1);
  // The vote is in raft.log as a hard state record.
  bool voted = false;
  for (const auto& rec : ctx.memory().files["raft.log"]) {
    auto d = decode_log_record(rec);
    REQUIRE(d);
    if (d->hard_state && d->hard_state->term == 5 && d->hard_state->vote == "n1") voted = true;
  }
  CHECK(voted);
}

TEST_CASE("consensus service: with the ack_before_sync switch the grant leaves before the sync (test-only bug)") {
  test::FakeContext ctx("n3");
  ctx.memory().hold_syncs = true;
  Node node(ctx);
  node.add<ConsensusService>(three(TestBugs{true, false, false}));
  node.start();
  REQUIRE(node.deliver("n1", vote_request(three())));
  CHECK(sent_of(ctx, "raft.vote_resp") == 1);
  CHECK(ctx.memory().held.size() == 1);
}

TEST_CASE("consensus service: a restart recovers term and vote; another cluster's directory is refused") {
  test::FakeContext ctx("n3");
  {
    Node node(ctx);
    node.add<ConsensusService>(three());
    node.start();
    REQUIRE(node.deliver("n1", vote_request(three())));
    ctx.advance_to(ms(1));  // the sync completes
  }
  {
    Node again(ctx);
    auto& svc = again.add<ConsensusService>(three());
    again.start();
    REQUIRE(svc.running());
    CHECK(svc.term() == 5);
    CHECK(svc.core().vote() == "n1");
  }
  ConsensusConfig other = three();
  other.voters = {"a", "b", "c"};
  Node foreign(ctx);
  auto& svc = foreign.add<ConsensusService>(other);
  foreign.start();
  CHECK_FALSE(svc.running());
  CHECK(svc.refused_reason().find("foreign data directory") == 0);
  bool traced = false;
  for (const auto& e : ctx.emitted) traced = traced || e.ev.ev == "consensus_refused";
  CHECK(traced);
}

TEST_CASE("consensus service: a corrupt raft.log is refused with the reason, never misread") {
  test::FakeContext ctx("n3");
  ctx.memory().files["raft.log"] = {Bytes{9, 9, 9}};
  Node node(ctx);
  auto& svc = node.add<ConsensusService>(three());
  node.start();
  CHECK_FALSE(svc.running());
  CHECK(svc.refused_reason().find("unknown kind 9") != std::string::npos);
}

TEST_CASE("consensus config: defaults, and errors naming the JSON pointer") {
  ConsensusSetup s;
  REQUIRE(parse_consensus_config(nlohmann::json::object(), "/config/consensus", s));
  CHECK(s.configured);
  CHECK(s.config.election_timeout == ms(500));
  CHECK(s.config.heartbeat_interval == ms(50));
  CHECK(default_voters({"a", "b", "c", "d", "e", "f", "g"}) == std::vector<std::string>{"a", "b", "c", "d", "e"});
  auto err = [](const nlohmann::json& j) {
    ConsensusSetup out;
    auto st = parse_consensus_config(j, "/config/consensus", out);
    return st ? std::string("ok") : st.message();
  };
  CHECK(err({{"voters", nlohmann::json::array()}}) == "/config/consensus/voters: expected a non-empty array of node names, found an array");
  CHECK(err({{"voters", {"a", 3}}}) == "/config/consensus/voters/1: expected a node name, found 3");
  CHECK(err({{"snapshot_entries", -1}}) == "/config/consensus/snapshot_entries: expected an integer from 0 to 10000000, found -1");
  CHECK(err({{"heartbeat_interval", "fast"}}).find("/config/consensus/heartbeat_interval: ") == 0);
  CHECK(err(nlohmann::json::array()) == "/config/consensus: expected an object, found an array");
}
