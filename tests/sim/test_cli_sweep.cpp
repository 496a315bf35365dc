// `mabeam sweep --swarm`, `--shard I/N --json` and `--merge` as a user runs them: failing
// seeds write a scenario that `mabeam sim` replays to the same trace, the summary counts
// failures by check, and a merge names the seeds no shard ran or two shards ran.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_run.h"

using mabeam::test::run_cli;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kDetect = std::string(MABEAM_TEST_DATA) + "/swarm/detect-n1.json";

// A fresh folder for one test's files.
fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mabeam-cli-sweep-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE(in.good());
  return json::parse(in);
}

// Runs a shard with --json into dir/NAME.json; returns the exit code.
int shard(const fs::path& dir, const std::string& name, const std::string& args) {
  const fs::path out = dir / (name + ".json");
  const auto r = run_cli("sweep " + kDetect + " --swarm --out-dir " + (dir / "failing").string() + " --json " + args +
                         " 2>/dev/null > " + out.string(), false);
  return r.code;
}

}  // namespace

TEST_CASE("cli: sweep --swarm writes failing seeds that mabeam sim replays to the same trace", "[cli]") {
  const fs::path dir = scratch("swarm");
  const auto r = run_cli("sweep " + kDetect + " --seeds 1..20 --swarm --jobs 2 --out-dir " + (dir / "out").string());
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("2 passed, 18 failed"));
  CHECK_THAT(r.out, Catch::Contains("failures by check: detected_down n1 within 1.5s 18"));
  CHECK_THAT(r.out, Catch::Contains("  drew: "));
  const std::string replay = (dir / "out" / "detect-n1-seed2.json").string();
  CHECK_THAT(r.out, Catch::Contains("replay: mabeam sim " + replay));
  CHECK(fs::exists(replay));
  CHECK_FALSE(fs::exists(dir / "out" / "detect-n1-seed1.json"));  // seed 1 passed: nothing written

  // The written file has no swarm block, its seed, and the drawn faults as plain events.
  const json written = read_json(replay);
  CHECK_FALSE(written.contains("swarm"));
  CHECK(written["seed"] == 2);
  CHECK(written["events"].size() > 0);

  // Its replay gives the trace of the failing run, byte for byte.
  CHECK(shard(dir, "seed2", "--seeds 2..2") == 1);
  const json results = read_json(dir / "seed2.json");
  REQUIRE(results["failures"].size() == 1);
  const auto sim = run_cli("sim " + results["failures"][0]["file"].get<std::string>() + " --report " +
                           (dir / "report.json").string());
  CHECK(sim.code == 1);
  CHECK(read_json(dir / "report.json")["trace_sha256"] == results["failures"][0]["trace_sha256"]);
  // And `mabeam sim` on the swarm scenario itself runs it as written: no drawn faults.
  const auto plain = run_cli("sim " + kDetect + " --seed 2 --report " + (dir / "plain.json").string());
  CHECK(read_json(dir / "plain.json")["trace_sha256"] != results["failures"][0]["trace_sha256"]);
  CHECK_THAT(plain.out, Catch::Contains("never crashed"));
  fs::remove_all(dir);
}

TEST_CASE("cli: sweep --swarm needs a swarm block", "[cli]") {
  const auto r = run_cli("sweep " + std::string(MABEAM_SOURCE_DIR) + "/scenarios/crash-restart.json --seeds 1..2 --swarm");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("--swarm needs a \"swarm\" block in the scenario"));
}

TEST_CASE("cli: shard results merge into one summary, and gaps and overlaps are named", "[cli]") {
  const fs::path dir = scratch("merge");
  CHECK(shard(dir, "s1", "--seeds 1..20 --shard 1/3") == 1);
  CHECK(shard(dir, "s2", "--seeds 1..20 --shard 2/3") == 1);
  CHECK(shard(dir, "s3", "--seeds 1..20 --shard 3/3") == 1);
  const json s1 = read_json(dir / "s1.json");
  CHECK(s1["sweep"] == "mabeam");
  CHECK(s1["shard"]["index"] == 1);
  CHECK(s1["seeds_run"] == json::array({json::array({1, 19, 3})}));
  CHECK(s1["figures"].contains("seeds_per_s"));
  CHECK(s1["failures_by_check"].size() == 1);

  auto whole = run_cli("sweep --merge " + (dir / "s1.json").string() + " " + (dir / "s2.json").string() + " " +
                       (dir / "s3.json").string());
  INFO(whole.out);
  CHECK(whole.code == 1);  // every seed covered once; some fail
  CHECK_THAT(whole.out, Catch::Contains("merged 3 shard results of detect-n1 (swarm), seeds 1..20"));
  CHECK_THAT(whole.out, Catch::Contains("2 passed, 18 failed"));
  CHECK_THAT(whole.out, Catch::Contains("failures by check: detected_down n1 within 1.5s 18"));
  CHECK(whole.out.find("no shard covered") == std::string::npos);

  auto gap = run_cli("sweep --merge " + (dir / "s1.json").string() + " " + (dir / "s3.json").string());
  CHECK(gap.code == 2);
  CHECK_THAT(gap.out, Catch::Contains("seeds no shard covered: 2, 5, 8, 11, 14, 17, 20"));

  auto twice = run_cli("sweep --merge " + (dir / "s1.json").string() + " " + (dir / "s2.json").string() + " " +
                       (dir / "s3.json").string() + " " + (dir / "s1.json").string());
  CHECK(twice.code == 2);
  CHECK_THAT(twice.out, Catch::Contains("seeds two shards covered: 1, 4, 7, 10, 13, 16, 19"));

  // Shards of another scenario, a file that is not results, a missing file: bad input.
  CHECK(run_cli("sweep " + std::string(MABEAM_SOURCE_DIR) + "/scenarios/crash-restart.json --seeds 21..22 --json " +
                "2>/dev/null > " + (dir / "other.json").string(), false).code == 0);
  auto other = run_cli("sweep --merge " + (dir / "s1.json").string() + " " + (dir / "other.json").string());
  CHECK(other.code == 2);
  CHECK_THAT(other.out, Catch::Contains("shards of different sweeps"));
  auto garbage = run_cli("sweep --merge " + kDetect);
  CHECK(garbage.code == 2);
  CHECK_THAT(garbage.out, Catch::Contains("not a mabeam sweep results file"));
  auto missing = run_cli("sweep --merge " + (dir / "nope.json").string());
  CHECK(missing.code == 2);
  CHECK_THAT(missing.out, Catch::Contains("cannot read"));
  fs::remove_all(dir);
}
