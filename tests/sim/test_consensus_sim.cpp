// The consensus service and strong variables in the simulator: the shipped consensus
// scenarios hold and replay byte for byte; the minority side's old leader acknowledges no
// write; each test-only bug switch is found by the check that exists for it within a few
// hundred seeds (linearizable for stale_follower_reads); a follower's stale read under that
// switch, which the linearizable check rejects; a voter
// back with a foreign or empty data directory is refused.
#include <catch2/catch.hpp>

#include "engine/consensus/service.h"
#include "engine/consensus/strong.h"
#include "sim/lincheck/check_linearizable.h"
#include "sim/runner.h"
#include "sim/world.h"
#include "sim_test_util.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {
Scenario load(const std::string& name) {
  auto s = load_scenario_file(std::string(MABEAM_SOURCE_DIR) + "/scenarios/" + name);
  REQUIRE(s.is_ok());
  return *s;
}

// The first seed in [1, max] at which `check` fails, or 0.
std::uint64_t first_failing(Scenario sc, const std::string& check, std::uint64_t max, std::string& detail) {
  RunOptions o;
  o.keep_trace = false;
  for (std::uint64_t seed = 1; seed <= max; ++seed) {
    o.seed = seed;
    auto r = run_scenario(sc, o);
    for (const auto& c : r.checks)
      if (c.check == check && !c.ok) {
        detail = c.detail;
        return seed;
      }
  }
  return 0;
}
}  // namespace

TEST_CASE("consensus scenarios: each holds on its seed and replays with the same trace hash") {
  for (const char* name : {"consensus-leader-crash.json", "consensus-leader-isolated.json", "consensus-partition-2-3.json",
                           "consensus-rolling-restart.json", "consensus-lose-unsynced.json", "consensus-membership.json",
                           "consensus-clock-skew.json"}) {
    INFO(name);
    const Scenario sc = load(name);
    RunOptions o;
    o.keep_trace = false;
    auto a = run_scenario(sc, o);
    auto b = run_scenario(sc, o);
    CHECK(a.ok);
    for (const auto& c : a.checks) INFO(c.check << ": " << c.detail);
    CHECK(a.trace_sha256 == b.trace_sha256);
  }
}

TEST_CASE("consensus: the old leader cut off in a minority acknowledges no write while cut off") {
  const Scenario sc = load("consensus-leader-isolated.json");
  auto r = run_scenario(sc, RunOptions{});
  REQUIRE(r.ok);
  auto t = parse_trace_text(r.trace);
  REQUIRE(t.is_ok());
  // Writes and cas invoked on the minority side between the cut (6s) and 9.5s would have to
  // be acknowledged by 11.5s (op_timeout 2s), before the heal at 12s: none may be ok.
  std::map<std::string, std::string> minority_writes;  // op -> node
  std::size_t judged = 0, acked = 0;
  for (const auto& rec : t->records) {
    if (rec.ev == "op_invoke" && (rec.node == "n1" || rec.node == "n2") && rec.t >= sec(6) && rec.t < ms(9500) &&
        rec.fields["f"] != "read")
      minority_writes[rec.fields["op"].get<std::string>()] = rec.node;
    if (rec.ev == "op_complete" && minority_writes.count(rec.fields["op"].get<std::string>())) {
      ++judged;
      if (rec.fields["type"] == "ok") ++acked;
    }
  }
  CHECK(judged >= 2);  // clients are sequential: each waits op_timeout for its answer
  CHECK(acked == 0);
}

TEST_CASE("consensus bug switch double_vote: single_leader_per_term finds two leaders in a term within 300 seeds") {
  Scenario sc = load("consensus-partition-2-3.json");
  sc.setup.consensus.config.bugs.double_vote = true;
  std::string detail;
  const auto seed = first_failing(sc, "single_leader_per_term", 300, detail);
  WARN("double_vote caught at seed " << seed << ": " << detail);
  CHECK(seed > 0);
}

TEST_CASE("consensus bug switch ack_before_sync: no_lost_writes finds a lost acknowledged write within 300 seeds") {
  Scenario sc = load("consensus-lose-unsynced.json");
  sc.setup.consensus.config.bugs.ack_before_sync = true;
  std::string detail;
  const auto seed = first_failing(sc, "no_lost_writes", 300, detail);
  WARN("ack_before_sync caught at seed " << seed << ": " << detail);
  CHECK(seed > 0);
}

TEST_CASE("consensus bug switch stale_follower_reads: linearizable finds a stale read within 300 seeds") {
  Scenario sc = load("consensus-partition-2-3.json");
  sc.setup.consensus.config.bugs.stale_follower_reads = true;
  std::string detail;
  const auto seed = first_failing(sc, "linearizable x", 300, detail);
  WARN("stale_follower_reads caught at seed " << seed << ": " << detail);
  CHECK(seed > 0);
  CHECK_THAT(detail, Catch::StartsWith("not linearizable: "));
  CHECK_THAT(detail, Catch::Contains("read"));
}

TEST_CASE("consensus bug switch stale_follower_reads: a cut-off follower answers a stale read; without it the read fails") {
  for (bool bug : {false, true}) {
    Scenario sc = load("consensus-partition-2-3.json");
    sc.workload.clear();
    sc.events.clear();
    sc.expect.clear();
    sc.setup.consensus.config.bugs.stale_follower_reads = bug;
    auto ev = [](TimeUs at, ScenarioEvent::Verb v, std::string node, std::string value = "") {
      ScenarioEvent e;
      e.at = at;
      e.verb = v;
      e.node = std::move(node);
      e.var = "x";
      e.op = v == ScenarioEvent::Verb::read ? "read" : "set";
      e.value = std::move(value);
      return e;
    };
    sc.events.push_back(ev(sec(2), ScenarioEvent::Verb::write, "n3", "1"));
    ScenarioEvent cut;
    cut.at = sec(4);
    cut.verb = ScenarioEvent::Verb::partition;
    cut.groups = {{"n5"}, {"n1", "n2", "n3", "n4"}};
    sc.events.push_back(cut);
    sc.events.push_back(ev(sec(5), ScenarioEvent::Verb::write, "n3", "2"));
    sc.events.push_back(ev(sec(8), ScenarioEvent::Verb::read, "n5"));
    auto r = run_scenario(sc, RunOptions{});
    auto t = parse_trace_text(r.trace);
    REQUIRE(t.is_ok());
    std::map<std::string, std::string> f_of;
    std::vector<std::pair<std::string, std::string>> reads;  // type, value
    bool second_write_ok = false;
    for (const auto& rec : t->records) {
      if (rec.ev == "op_invoke") f_of[rec.fields["op"].get<std::string>()] = rec.node + ":" + rec.fields["f"].get<std::string>();
      if (rec.ev != "op_complete") continue;
      const auto what = f_of[rec.fields["op"].get<std::string>()];
      if (what == "n5:read") reads.emplace_back(rec.fields["type"].get<std::string>(), rec.fields["value"].dump());
      if (what == "n3:write" && rec.fields["value"] == 2 && rec.fields["type"] == "ok") second_write_ok = true;
    }
    INFO("bug " << bug);
    REQUIRE(second_write_ok);
    REQUIRE(reads.size() == 1);
    const CheckResult lin = check_linearizable(*t, "x");
    INFO(lin.detail);
    if (bug) {
      CHECK(reads[0] == std::make_pair(std::string("ok"), std::string("1")));  // stale: 2 was acknowledged before
      CHECK_FALSE(lin.ok);
      CHECK_THAT(lin.detail, Catch::StartsWith("not linearizable: 2 operations on x cannot be ordered: "));
    } else {
      CHECK(reads[0].first == "fail");  // no leader reachable: nothing to read from
      CHECK(lin.ok);
    }
  }
}

TEST_CASE("consensus: a voter back with a foreign data directory refuses to run; one with an empty one is not counted") {
  NodeSetup setup;
  setup.peers = test::names(3);
  setup.detector = Detector::heartbeat;
  setup.consensus.configured = true;
  setup.consensus.strong_vars = {"x"};
  WorldOptions wo;
  wo.seed = 3;
  wo.trace_messages = false;
  World w(setup.peers, test::fixed_latency(ms(2)), wo, [setup](Node& node, std::uint64_t inc) { install_services(node, setup, inc); });
  for (std::uint32_t i = 0; i < 3; ++i) w.start(i);
  w.run_until(sec(3));
  auto consensus = [&](std::uint32_t i) { return w.node(i).node()->find<raft::ConsensusService>(); };
  // Foreign: n3's raft.meta now names another cluster.
  w.crash(2);
  raft::Meta other{12345, 6789};
  REQUIRE(w.node(2).disk().rewrite("raft.meta", {raft::encode_meta(other)}).is_ok());
  w.restart(2);
  w.run_until(sec(4));
  REQUIRE(w.node(2).up());
  CHECK_FALSE(consensus(2)->running());
  CHECK(consensus(2)->refused_reason().find("foreign data directory") != std::string::npos);
  // Empty: n3's raft files are gone; it starts afresh with a new storage id.
  w.crash(2);
  for (const char* f : {"raft.meta", "raft.log", "raft.snap"}) REQUIRE(w.node(2).disk().rewrite(f, {}).is_ok());
  w.restart(2);
  w.run_until(sec(6));
  REQUIRE(consensus(2)->running());
  auto refused = test::records_of(w.trace(), "consensus_refused");
  bool peer_refused = false;
  for (const auto& r : refused) peer_refused = peer_refused || (r.fields.contains("peer") && r.fields["peer"] == "n3");
  CHECK(peer_refused);
  CHECK(consensus(2)->core().last_index() == 0);  // nothing replicated to it
}
