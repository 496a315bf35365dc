// The hand-written histories of tests/data/histories (from mabeam's format and in the shapes
// Jepsen/Knossos and Porcupine produce), each with its expected verdict in expected.json:
// the checker reaches it, a violation's minimal set is the expected operations and is
// shown minimal by the brute-force oracle, and every malformed history is refused with
// its error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "sim/lincheck/checker.h"
#include "sim/lincheck/history.h"
#include "tests/sim/lincheck_test_util.h"

using namespace mabeam;
using namespace mabeam::lincheck;

namespace {

const std::string kDir = std::string(MABEAM_TEST_DATA) + "/histories/";

nlohmann::json manifest() {
  std::ifstream in(kDir + "expected.json");
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

Model model_of(const nlohmann::json& entry) {
  auto m = parse_model(entry.value("model", "cas-register"));
  REQUIRE(m.is_ok());
  return *m;
}

Result<History> read(const nlohmann::json& entry) {
  std::ifstream in(kDir + entry["file"].get<std::string>());
  REQUIRE(in);
  return parse_history(in, model_of(entry));
}

}  // namespace

TEST_CASE("lincheck suite: every history file is listed in expected.json", "[lincheck]") {
  const auto m = manifest();
  std::set<std::string> listed;
  for (const auto& e : m["histories"]) listed.insert(e["file"].get<std::string>());
  for (const auto& e : m["malformed"]) listed.insert(e["file"].get<std::string>());
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kDir)) {
    if (entry.path().extension() != ".jsonl") continue;
    ++files;
    const std::string rel = std::filesystem::relative(entry.path(), kDir).generic_string();
    INFO(rel);
    CHECK(listed.count(rel) == 1);
  }
  CHECK(files >= 40);
}

TEST_CASE("lincheck suite: each history gets its expected verdict and minimal set", "[lincheck]") {
  const auto m = manifest();
  for (const auto& e : m["histories"]) {
    const std::string file = e["file"];
    INFO(file << ": " << e.value("why", ""));
    auto h = read(e);
    REQUIRE(h.is_ok());
    CheckOptions o;
    o.steps_max = 1'000'000;
    const CheckReport r = check_history(*h, o);
    CHECK(verdict_name(r.verdict) == e["verdict"].get<std::string>());
    CHECK(h->skipped_foreign_process == e.value("skipped_foreign", std::size_t{0}));
    std::size_t types = 0;
    for (const auto& [type, n] : h->skipped_types) types += n;
    CHECK(types == e.value("skipped_types", std::size_t{0}));
    // The brute-force oracle agrees on every file.
    CHECK(test::brute_force_orders(*h) == (r.verdict == Verdict::linearizable));
    if (r.verdict != Verdict::not_linearizable) {
      CHECK_FALSE(e.contains("minimal"));
      continue;
    }
    REQUIRE(r.violation.has_value());
    std::vector<std::size_t> lines;
    for (std::size_t i : r.violation->ops) lines.push_back(h->ops[i].invoke_line);
    CHECK(lines == e["minimal"].get<std::vector<std::size_t>>());
    test::require_minimal_violation(*h, *r.violation, test::brute_force_orders);
    if (e.contains("bad_keys")) {
      std::vector<std::string> bad;
      for (const auto& k : r.bad_keys) bad.push_back(k.get<std::string>());
      CHECK(bad == e["bad_keys"].get<std::vector<std::string>>());
    }
  }
}

TEST_CASE("lincheck suite: each malformed history is refused with its line and problem", "[lincheck]") {
  const auto m = manifest();
  for (const auto& e : m["malformed"]) {
    const std::string file = e["file"];
    INFO(file);
    auto h = read(e);
    REQUIRE_FALSE(h.is_ok());
    CHECK(h.status().code() == Status::Code::invalid);
    CHECK_THAT(h.status().message(), Catch::Contains(e["error"].get<std::string>()));
  }
}

TEST_CASE("lincheck suite: the report of a stale read names the three operations with lines and times", "[lincheck]") {
  std::ifstream in(kDir + "stale-read.jsonl");
  auto h = parse_history(in, Model::cas_register);
  REQUIRE(h.is_ok());
  const CheckReport r = check_history(*h, {});
  const std::string text = format_report(*h, r);
  CHECK_THAT(text, Catch::StartsWith("not linearizable: 3 operations (3 ok, 0 fail, 0 info, 0 pending) from 3 processes"));
  CHECK_THAT(text, Catch::Contains("these 3 operations cannot be ordered, a minimal set:"));
  CHECK_THAT(text, Catch::Contains("  process  operation  outcome  invoked              completed\n"
                                   "  0        write 1    ok       line 1 at 0.000001s  line 2 at 0.000002s\n"
                                   "  1        write 2    ok       line 3 at 0.000003s  line 4 at 0.000004s\n"
                                   "  2        read -> 1  ok       line 5 at 0.000005s  line 6 at 0.000006s\n"));
  CHECK(format_violation_line(*h, *r.violation) ==
        "3 operations cannot be ordered: process 0 write 1 ok [0.000001s, 0.000002s]; process 1 write 2 ok "
        "[0.000003s, 0.000004s]; process 2 read -> 1 ok [0.000005s, 0.000006s]");
}
