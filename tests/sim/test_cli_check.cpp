// `mabeam check`, `sim` and `sweep` as a user runs them: the shipped scenarios pass;
// deliberately broken expectations fail with a useful detail line and a replay command;
// bad input exits 2 before simulating anything.
#include <catch2/catch.hpp>

#include <string>

#include "cli_run.h"

namespace {
using mabeam::test::run_cli;
auto run(const std::string& args) { return run_cli(args); }
const std::string kSrc = MABEAM_SOURCE_DIR;
const std::string kBroken = std::string(MABEAM_TEST_DATA) + "/broken_expectations/";
}  // namespace

TEST_CASE("cli: mabeam check passes every shipped scenario", "[cli]") {
  auto r = run("check " + kSrc + "/scenarios");
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains(" passed, 0 failed"));
}

TEST_CASE("cli: a too-fast detection expectation fails with who missed it and how to replay", "[cli]") {
  auto r = run("check " + kBroken + "detection-too-fast.json");
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("did not mark n2 down within 500ms of its crash at 5.000s"));
  CHECK_THAT(r.out, Catch::Contains("replay: mabeam sim"));
  CHECK_THAT(r.out, Catch::Contains("0 passed, 1 failed"));
}

TEST_CASE("cli: convergence expected during a partition fails naming the observer", "[cli]") {
  auto r = run("check " + kBroken + "converged-during-partition.json");
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("members_converged by 5s: at 9."));
  CHECK_THAT(r.out, Catch::Contains("is running"));
}

TEST_CASE("cli: a fragile detector under heavy loss is caught by no_false_down", "[cli]") {
  auto r = run("sim " + kBroken + "false-down-under-loss.json");
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL  no_false_down"));
  CHECK_THAT(r.out, Catch::Contains("was running, unpaused and reachable"));
}

TEST_CASE("cli: a missing or malformed scenario exits 2 before simulating", "[cli]") {
  auto missing = run("sim /nonexistent/scenario.json");
  CHECK(missing.code == 2);
  CHECK_THAT(missing.out, Catch::Contains("/nonexistent/scenario.json"));
  auto bad = run("sim " + std::string(MABEAM_TEST_DATA) + "/bad_scenarios/unknown_node_in_event.json");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.out, Catch::Contains("/events/"));
  CHECK(bad.out.find("simulated") == std::string::npos);
}

TEST_CASE("cli: sweep reports failing seeds with a replay command, and shards split the range", "[cli]") {
  auto r = run("sweep " + kBroken + "false-down-under-loss.json --seeds 1..6 --jobs 2");
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("replay: mabeam sim"));
  CHECK_THAT(r.out, Catch::Contains("--seed 1"));
  auto ok = run("sweep " + kSrc + "/scenarios/crash-restart.json --seeds 1..8 --shard 2/4");
  INFO(ok.out);
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains("2 passed, 0 failed"));  // seeds 2 and 6
  auto bad = run("sweep " + kSrc + "/scenarios/crash-restart.json --seeds 5..1");
  CHECK(bad.code == 2);
  auto bad_shard = run("sweep " + kSrc + "/scenarios/crash-restart.json --seeds 1..5 --shard 5/4");
  CHECK(bad_shard.code == 2);
}

TEST_CASE("cli: mabeam --version names the version and the trace, scenario and wire formats", "[cli]") {
  auto r = run("--version");
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("mabeam "));
  CHECK_THAT(r.out, Catch::Contains("trace format 1"));
  CHECK_THAT(r.out, Catch::Contains("scenario format 1"));
  CHECK_THAT(r.out, Catch::Contains("wire protocol 1"));
}
