// Shrinking (sim/shrink.h, `mabeam shrink`): the broken examples under tests/data/broken_shrink
// shrink to a small scenario that still fails the same check the same way, for the known
// cause; the result loads and replays; a failing scenario written by a swarm sweep shrinks
// too; a passing scenario is not shrunk; the budget bounds the work.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "sim/runner.h"
#include "sim/shrink.h"
#include "sim/sweep.h"

using namespace mabeam;
using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

const std::string kBroken = std::string(MABEAM_TEST_DATA) + "/broken_shrink/";

json read(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

// Runs a shrunk document as `mabeam sim` would, returning the target check's result.
sim::CheckResult replay(const json& doc, const std::string& check) {
  auto sc = sim::parse_scenario(doc.dump());
  INFO(doc.dump(2));
  REQUIRE(sc.is_ok());
  CHECK_FALSE(sc->swarm);
  const auto r = sim::run_scenario(*sc, {});
  for (const auto& c : r.checks)
    if (c.check.rfind(check, 0) == 0) return c;
  FAIL("the check " << check << " is gone");
  return {};
}

}  // namespace

TEST_CASE("shrink: a no_false_down failure caused by a lossy link shrinks to the link", "[shrink]") {
  const json doc = read(kBroken + "lossy-link-false-down.json");
  auto r = sim::shrink(doc, "lossy-link-false-down.json", {});
  REQUIRE(r.is_ok());
  REQUIRE(r->fails);
  CHECK(r->check == "no_false_down (grace 0us)");
  CHECK_FALSE(r->budget_spent);
  CHECK(r->before.events == 7);
  CHECK(r->before.nodes == 6);
  // What is left is the cause: the one lossy link and the two nodes at its ends.
  REQUIRE(r->after.events == 1);
  CHECK(r->smallest["events"][0]["do"] == "link");
  CHECK(r->smallest["events"][0]["loss"] == 0.45);
  CHECK(r->after.nodes == 2);
  CHECK(r->after.workload == 0);
  CHECK(r->after.variables == 0);
  CHECK(r->after.checks == 1);
  CHECK(r->after.duration < r->before.duration / 2);
  const auto c = replay(r->smallest, "no_false_down");
  CHECK_FALSE(c.ok);
  CHECK_THAT(c.detail, Catch::Contains("n2 marked n1 down") && Catch::Contains("but") && Catch::Contains("was running, unpaused"));
  CHECK(c.detail == r->detail);
  // Deterministic within the run budget.
  auto again = sim::shrink(doc, "lossy-link-false-down.json", {});
  CHECK(again->smallest == r->smallest);
  CHECK(again->runs == r->runs);
}

TEST_CASE("shrink: a too tight detected_down keeps the crash and fails the same way", "[shrink]") {
  auto r = sim::shrink(read(kBroken + "detection-too-tight.json"), "detection-too-tight.json", {});
  REQUIRE(r.is_ok());
  REQUIRE(r->fails);
  CHECK(r->check == "detected_down n4 within 1ms");
  bool crash = false;
  for (const auto& e : r->smallest["events"]) crash = crash || (e["do"] == "crash" && e["node"] == "n4");
  CHECK(crash);  // not a scenario where n4 never crashes: that check would fail another way
  CHECK(r->after.nodes <= 3);
  CHECK(r->after.events <= 2);
  CHECK(r->after.workload == 0);
  CHECK(r->after.duration < r->before.duration);
  const auto c = replay(r->smallest, "detected_down");
  CHECK_FALSE(c.ok);
  CHECK_THAT(c.detail, Catch::Contains("did not mark n4 down within 1ms"));
}

TEST_CASE("shrink: a failing scenario written by a swarm sweep shrinks", "[shrink]") {
  json doc = json::parse(R"({
    "name": "swarm-shrink", "duration": "25s", "nodes": 5,
    "config": {"heartbeat": {"interval": "100ms", "down_after": "600ms"}},
    "trace": {"messages": false},
    "events": [
      {"at": "2s", "do": "pause", "node": "random", "for": "1s", "as": "p"},
      {"at": "3s", "do": "crash", "node": "n2"},
      {"at": "9s", "do": "restart", "node": "n2"}
    ],
    "swarm": {"window": ["10s", "20s"], "max_down": 2, "faults": {"crash": 2, "pause": 2, "partition": 1, "link": 2}},
    "expect": [{"check": "detected_down", "node": "n2", "within": "300ms"}, {"check": "members_converged", "by": "24s"}]
  })");
  auto sc = sim::parse_scenario(doc.dump());
  REQUIRE(sc.is_ok());
  const fs::path dir = fs::temp_directory_path() / "mabeam-shrink-swarm";
  fs::remove_all(dir);
  fs::create_directories(dir);
  sim::SweepSetup setup{&*sc, doc, "swarm-shrink.json", true, dir.string()};
  const auto seed = sim::run_seed(setup, 4);
  REQUIRE_FALSE(seed.ok);
  REQUIRE_FALSE(seed.file.empty());
  const json written = read(seed.file);
  auto r = sim::shrink(written, seed.file, {});
  REQUIRE(r.is_ok());
  REQUIRE(r->fails);
  CHECK(r->check == "detected_down n2 within 300ms");
  CHECK(r->after.events < r->before.events);
  CHECK(r->after.nodes < r->before.nodes);
  const auto c = replay(r->smallest, "detected_down");
  CHECK_FALSE(c.ok);
  CHECK_THAT(c.detail, Catch::Contains("did not mark n2 down within 300ms"));
  fs::remove_all(dir);
}

TEST_CASE("shrink: a scenario that holds is not shrunk, a bad one is refused, and the budget bounds the work", "[shrink]") {
  const json good = read(std::string(MABEAM_SOURCE_DIR) + "/scenarios/crash-restart.json");
  auto holds = sim::shrink(good, "crash-restart.json", {});
  REQUIRE(holds.is_ok());
  CHECK_FALSE(holds->fails);
  CHECK(holds->runs == 1);

  json bad = good;
  bad["nodes"] = 0;
  auto refused = sim::shrink(bad, "bad.json", {});
  REQUIRE_FALSE(refused.is_ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("/nodes"));

  sim::ShrinkOptions tight;
  tight.max_runs = 4;
  auto bounded = sim::shrink(read(kBroken + "lossy-link-false-down.json"), "lossy-link-false-down.json", tight);
  REQUIRE(bounded.is_ok());
  CHECK(bounded->fails);
  CHECK(bounded->budget_spent);
  CHECK(bounded->runs <= 4);
  CHECK_FALSE(replay(bounded->smallest, "no_false_down").ok);  // what it has so far still fails

  // A check named with --check that does not fail: nothing to shrink.
  sim::ShrinkOptions other;
  other.check = "members_converged";
  auto none = sim::shrink(read(kBroken + "lossy-link-false-down.json"), "lossy-link-false-down.json", other);
  REQUIRE(none.is_ok());
  CHECK_FALSE(none->fails);
}

TEST_CASE("cli: mabeam shrink writes the smallest scenario and says how to replay it", "[cli]") {
  const fs::path dir = fs::temp_directory_path() / "mabeam-shrink-cli";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string out = (dir / "min.json").string();
  auto r = test::run_cli("shrink " + kBroken + "lossy-link-false-down.json -o " + out + " -q");
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("before: 7 events, 6 nodes, 1 workload entry, 1 variable, 30s"));
  CHECK_THAT(r.out, Catch::Contains("after:  1 event, 2 nodes, 0 workload entries, 0 variables"));
  CHECK_THAT(r.out, Catch::Contains("replay: mabeam sim " + out));
  auto sim = test::run_cli("sim " + out);
  CHECK(sim.code == 1);
  CHECK_THAT(sim.out, Catch::Contains("FAIL  no_false_down"));
  auto holds = test::run_cli("shrink " + std::string(MABEAM_SOURCE_DIR) + "/scenarios/crash-restart.json -o " + out);
  CHECK(holds.code == 1);
  CHECK_THAT(holds.out, Catch::Contains("does not fail"));
  auto bad = test::run_cli("shrink " + std::string(MABEAM_TEST_DATA) + "/bad_scenarios/unknown_node_in_event.json");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.out, Catch::Contains("/events/"));
  fs::remove_all(dir);
}
