// Determinism (DESIGN.md rule 4): the same binary, scenario and seed give a byte-identical
// trace, twice in one process and in two processes; a different seed gives another trace.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/runner.h"

using namespace mabeam;

namespace {
const std::string kScenario = std::string(MABEAM_SOURCE_DIR) + "/scenarios/minority-partition.json";

std::string report_hash_from_process(const std::string& scenario, std::uint64_t seed, const std::string& tag) {
  const std::string report = "mabeam-determinism-" + tag + ".json";
  const std::string cmd = std::string(MABEAM_BINARY) + " sim " + scenario + " --seed " + std::to_string(seed) +
                          " --report " + report + " > /dev/null";
  const int rc = std::system(cmd.c_str());
  REQUIRE(rc == 0);
  std::ifstream in(report);
  REQUIRE(in.good());
  const auto j = nlohmann::json::parse(in);
  std::remove(report.c_str());
  return j.at("trace_sha256").get<std::string>();
}
}  // namespace

TEST_CASE("determinism: the same scenario and seed give byte-identical traces twice in one process", "[determinism]") {
  auto sc = sim::load_scenario_file(kScenario);
  REQUIRE(sc.is_ok());
  const auto a = sim::run_scenario(*sc, {});
  const auto b = sim::run_scenario(*sc, {});
  REQUIRE(a.trace.size() > 1000);
  CHECK(a.trace == b.trace);
  CHECK(a.trace_sha256 == b.trace_sha256);
}

TEST_CASE("determinism: a different seed gives a different trace", "[determinism]") {
  auto sc = sim::load_scenario_file(kScenario);
  REQUIRE(sc.is_ok());
  sim::RunOptions other;
  other.seed = sc->seed + 1;
  CHECK(sim::run_scenario(*sc, {}).trace_sha256 != sim::run_scenario(*sc, other).trace_sha256);
}

TEST_CASE("determinism: two processes give the same trace hash as this one", "[determinism]") {
  auto sc = sim::load_scenario_file(kScenario);
  REQUIRE(sc.is_ok());
  const std::string here = sim::run_scenario(*sc, {}).trace_sha256;
  CHECK(report_hash_from_process(kScenario, sc->seed, "a") == here);
  CHECK(report_hash_from_process(kScenario, sc->seed, "b") == here);
}

TEST_CASE("determinism: every shipped scenario replays identically", "[determinism]") {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(MABEAM_SOURCE_DIR) + "/scenarios"))
    if (e.path().extension() == ".json" && e.path().filename() != "schema.json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 20);
  for (const auto& file : files) {
    auto sc = sim::load_scenario_file(file);
    INFO(file);
    REQUIRE(sc.is_ok());
    CHECK(sim::run_scenario(*sc, {}).trace_sha256 == sim::run_scenario(*sc, {}).trace_sha256);
  }
}

TEST_CASE("determinism: pinned scenarios give the pinned trace hashes", "[determinism]") {
  // A change of behaviour on purpose updates the pins: scripts/pin-traces.sh (and the commit
  // says why the traces changed). Anything else that moves a hash is a determinism bug.
  std::ifstream in(std::string(MABEAM_SOURCE_DIR) + "/tests/data/trace_pins.json");
  REQUIRE(in.good());
  const auto pins = nlohmann::json::parse(in);
  REQUIRE(pins.size() >= 5);
  for (auto it = pins.begin(); it != pins.end(); ++it) {
    auto sc = sim::load_scenario_file(std::string(MABEAM_SOURCE_DIR) + "/scenarios/" + it.key() + ".json");
    INFO(it.key() << " (if on purpose: scripts/pin-traces.sh)");
    REQUIRE(sc.is_ok());
    CHECK(sim::run_scenario(*sc, {}).trace_sha256 == it.value().get<std::string>());
  }
}
