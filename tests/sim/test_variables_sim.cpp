// The shipped variables scenarios run in the simulator: each holds its expectations, and
// two runs give the same trace (byte for byte: same sha256).
#include <catch2/catch.hpp>

#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/sim/sim_test_util.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {
RunResult run_file(const std::string& name) {
  auto sc = load_scenario_file(std::string(MABEAM_SOURCE_DIR) + "/scenarios/" + name);
  REQUIRE(sc.is_ok());
  RunOptions o;
  return run_scenario(*sc, o);
}

void holds_and_replays(const std::string& name) {
  INFO(name);
  const RunResult a = run_file(name);
  for (const auto& c : a.checks) INFO(c.check << ": " << c.detail);
  std::string details;
  for (const auto& c : a.checks) details += (c.ok ? "ok   " : "FAIL ") + c.check + ": " + c.detail + "\n";
  INFO(details);
  CHECK(a.ok);
  const RunResult b = run_file(name);
  CHECK(a.trace_sha256 == b.trace_sha256);
}
}  // namespace

TEST_CASE("variables sim: 2/3 partition with writes on both sides, heal, convergence", "[variables][sim]") {
  holds_and_replays("variables-partition-2-3.json");
}

TEST_CASE("variables sim: 1/1/3 partition, heal, convergence", "[variables][sim]") {
  holds_and_replays("variables-partition-1-1-3.json");
}

TEST_CASE("variables sim: causal variables keep causal order under reordering links", "[variables][sim]") {
  holds_and_replays("variables-causal.json");
}

TEST_CASE("variables sim: a session moving between nodes reads its writes and never goes back", "[variables][sim]") {
  holds_and_replays("variables-session.json");
}

TEST_CASE("variables sim: the minority's writes are refused and traced with the error", "[variables][sim]") {
  const RunResult r = run_file("variables-partition-2-3.json");
  auto refused = test::records_of(r.trace, "var_write");
  int minority_refusals = 0, conflicts = 0;
  for (const auto& w : refused)
    if (!w.fields.value("ok", true) && w.fields.value("error", "").find("read-only") != std::string::npos) ++minority_refusals;
  conflicts = static_cast<int>(test::records_of(r.trace, "var_conflict").size());
  CHECK(minority_refusals > 10);
  CHECK(conflicts > 0);
}
