// Swarm draws (sim/swarm.h) and swarm seeds (sim/sweep.h): each seed draws its own fault
// mix (some none, some the most of a kind), every drawn fault starts and ends in the window,
// at most max_down nodes are down at once counting the scripted faults (judged on the run's
// trace, independently of the draw's own bookkeeping), the draw touches no other random
// stream, and a failing seed writes a scenario that replays to its very trace.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/duration.h"
#include "sim/history.h"
#include "sim/runner.h"
#include "sim/sweep.h"
#include "sim/swarm.h"

using namespace mabeam;
using json = nlohmann::ordered_json;

namespace {

const char* kSwarm = R"({
  "name": "swarm-test", "duration": "25s", "nodes": 5,
  "network": {"latency": {"dist": "uniform", "min": "1ms", "max": "4ms"}, "loss": 0.01},
  "config": {"heartbeat": {"interval": "100ms", "down_after": "600ms"}},
  "trace": {"messages": false},
  "events": [
    {"at": "8s", "do": "crash", "node": "n1"},
    {"at": "14s", "do": "restart", "node": "n1"},
    {"at": "9s", "do": "pause", "node": "random", "for": "2s"},
    {"at": "15s", "do": "partition", "groups": [["n5"]]},
    {"at": "17s", "do": "heal"}
  ],
  "swarm": {"window": ["5s", "20s"], "max_down": 2,
            "faults": {"crash": 3, "pause": 3, "partition": 2, "partition_oneway": 2, "link": 2, "clock_skew": 1,
                       "disk_fault": 2}},
  "expect": [{"check": "members_converged", "by": "24s"}]
})";

constexpr std::size_t kScripted = 5;  // events in kSwarm before the drawn ones

TimeUs at_of(const json& e) { return *parse_duration(e.at("at").get<std::string>()); }

// Nodes down at t judged from the trace: not running or paused, or out of the largest group
// of running, unpaused nodes that the symmetric cuts leave together, a one-way cut putting its
// smaller side out.
std::uint32_t down_in_trace(const sim::Trace& trace, const sim::History& h, TimeUs t) {
  const auto& nodes = trace.header.nodes;
  std::set<std::string> out;
  for (const auto& n : nodes)
    if (!h.running_at(n, t) || h.paused_at(n, t)) out.insert(n);
  std::map<std::string, std::vector<std::vector<std::string>>> oneway;  // layer -> smaller sides
  for (const auto& r : trace.records) {
    if (r.t > t) break;
    const std::string layer = r.fields.value("layer", "");
    if (r.ev == "heal") oneway.erase(layer);
    if (r.ev != "partition_oneway") continue;
    const auto from = r.fields.at("from").get<std::vector<std::string>>();
    const auto to = r.fields.at("to").get<std::vector<std::string>>();
    oneway[layer].push_back(from.size() <= to.size() ? from : to);
  }
  for (const auto& [layer, sides] : oneway)
    for (const auto& side : sides) out.insert(side.begin(), side.end());
  std::vector<std::vector<std::string>> groups{nodes};
  for (const auto& s : h.splits())
    if (s.begin <= t && t < s.end) groups = s.groups;
  std::size_t largest = 0;
  for (const auto& g : groups) {
    std::size_t live = 0;
    for (const auto& n : g) live += out.count(n) == 0;
    largest = std::max(largest, live);
  }
  return static_cast<std::uint32_t>(nodes.size() - largest);
}

}  // namespace

TEST_CASE("swarm: drawn faults start and end in the window and keep at most max_down nodes down", "[swarm]") {
  auto base = sim::parse_scenario(kSwarm);
  REQUIRE(base.is_ok());
  const json doc = json::parse(kSwarm);
  std::uint32_t most_down = 0;
  int empty = 0, full_kind = 0;
  std::set<std::string> mixes;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    INFO("seed " << seed);
    const sim::SwarmDraw draw = sim::draw_swarm(*base, seed);
    const json drawn = sim::swarm_document(doc, draw, seed);
    CHECK(drawn["events"].size() == kScripted + draw.events.size());
    CHECK_FALSE(drawn.contains("swarm"));
    CHECK(drawn["seed"] == seed);
    mixes.insert(draw.summary());
    for (int k = 0; k < sim::SwarmSpec::kinds; ++k) {
      if (draw.wanted[k] == base->swarm->faults[k] && draw.wanted[k] > 1) ++full_kind;
      CHECK(draw.placed[k] <= draw.wanted[k]);
    }

    // Every drawn fault starts and ends inside [5s, 20s].
    std::map<std::string, int> open_crashes, open_layers;
    for (const auto& e : draw.events) {
      const TimeUs t = at_of(e);
      CHECK(t >= sec(5));
      CHECK(t <= sec(20));
      const std::string verb = e.at("do");
      if (verb == "pause" || verb == "disk_fault") CHECK(t + *parse_duration(e.at("for").get<std::string>()) <= sec(20));
      if (verb == "crash") ++open_crashes[e.at("node")];
      if (verb == "restart") --open_crashes[e.at("node")];
      if (verb == "partition" || verb == "partition_oneway") ++open_layers[e.at("layer")];
      if (verb == "heal") --open_layers[e.at("layer")];
    }
    for (const auto& [node, open] : open_crashes) CHECK(open == 0);
    for (const auto& [layer, open] : open_layers) CHECK(open == 0);

    auto sc = sim::parse_scenario(drawn.dump());
    REQUIRE(sc.is_ok());
    const auto r = sim::run_scenario(*sc, {});
    auto trace = sim::parse_trace_text(r.trace);
    REQUIRE(trace.is_ok());
    const sim::History h(*trace, sc->duration);
    for (TimeUs t : h.change_times()) {
      const std::uint32_t down = down_in_trace(*trace, h, t);
      INFO("at " << sim::format_time(t));
      CHECK(down <= 2);
      most_down = std::max(most_down, down);
    }
    // Once the window is over only the scripted faults are left: the drawn ones all ended.
    for (const auto& n : trace->header.nodes) CHECK(h.running_at(n, sec(21)));
  }
  // Each of the 7 kinds is drawn with probability 1/2: 1 seed in 128 draws nothing.
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    const auto d = sim::draw_swarm(*base, seed);
    empty += d.events.empty() && d.summary() == "no faults";
  }
  CHECK(most_down == 2);    // the bound was reached, so it was tested
  CHECK(empty >= 1);        // some seeds draw nothing ...
  CHECK(full_kind >= 1);    // ... some the most of a kind
  CHECK(mixes.size() >= 30);
}

TEST_CASE("swarm: a seed draws the same faults every time, and a seed that draws none runs the scenario as written",
          "[swarm]") {
  auto base = sim::parse_scenario(kSwarm);
  REQUIRE(base.is_ok());
  CHECK(sim::draw_swarm(*base, 7).events == sim::draw_swarm(*base, 7).events);
  CHECK(sim::draw_swarm(*base, 7).events != sim::draw_swarm(*base, 8).events);
  std::uint64_t quiet = 0;
  for (std::uint64_t seed = 1; seed < 2000 && !quiet; ++seed)
    if (sim::draw_swarm(*base, seed).events.empty()) quiet = seed;
  REQUIRE(quiet != 0);
  const json drawn = sim::swarm_document(json::parse(kSwarm), sim::draw_swarm(*base, quiet), quiet);
  auto sc = sim::parse_scenario(drawn.dump());
  REQUIRE(sc.is_ok());
  sim::RunOptions o;
  o.seed = quiet;
  // The draw has a stream of its own: the run's other randomness is the scenario's as written.
  CHECK(sim::run_scenario(*sc, {}).trace_sha256 == sim::run_scenario(*base, o).trace_sha256);
}

TEST_CASE("swarm: the static count of nodes down agrees with the scripted faults", "[swarm]") {
  auto base = sim::parse_scenario(kSwarm);
  REQUIRE(base.is_ok());
  CHECK(sim::nodes_down_at(*base, sec(7)) == 0);
  CHECK(sim::nodes_down_at(*base, sec(8)) == 1);                // n1 crashed
  CHECK(sim::nodes_down_at(*base, sec(9) + ms(500)) == 2);   // and a random node paused
  CHECK(sim::nodes_down_at(*base, sec(12) + ms(500)) == 1);
  CHECK(sim::nodes_down_at(*base, sec(14)) == 0);
  CHECK(sim::nodes_down_at(*base, sec(15) + ms(500)) == 1);  // n5 cut off
  CHECK(sim::nodes_down_at(*base, sec(17)) == 0);
  // A swarm document counts its drawn faults the same way.
  json doc = json::parse(kSwarm);
  doc.erase("swarm");
  doc["events"].push_back({{"at", "9s"}, {"do", "partition"}, {"groups", json::array({json::array({"n2", "n3"})})}, {"layer", "a"}});
  doc["events"].push_back({{"at", "9s"}, {"do", "partition_oneway"}, {"from", "n4"}, {"to", json::array({"n2", "n3", "n5"})}, {"layer", "b"}});
  doc["events"].push_back({{"at", "10s"}, {"do", "heal"}, {"layer", "a"}});
  auto cut = sim::parse_scenario(doc.dump());
  REQUIRE(cut.is_ok());
  // n1 crashed, a paused node, and of n2..n5: n4 cannot send (one-way) and {n2, n3} is
  // apart from n5: the largest group has 2 nodes; down = 5 - 2 + 1 (the selector's pause).
  CHECK(sim::nodes_down_at(*cut, sec(9) + ms(500)) == 4);
  CHECK(sim::nodes_down_at(*cut, sec(10) + ms(500)) == 3);  // layer a healed: n2, n3, n5 together
}

TEST_CASE("swarm: a failing seed writes the exact scenario it ran, which replays to the same trace", "[swarm]") {
  namespace fs = std::filesystem;
  json doc = json::parse(kSwarm);
  doc["events"].push_back({{"at", "3s"}, {"do", "crash"}, {"node", "random"}, {"as", "v"}});
  doc["events"].push_back({{"at", "4s"}, {"do", "restart"}, {"node", "$v"}});
  doc["expect"].push_back({{"check", "detected_down"}, {"node", "n4"}, {"within", "100ms"}});  // never holds
  auto sc = sim::parse_scenario(doc.dump());
  REQUIRE(sc.is_ok());
  const fs::path dir = fs::temp_directory_path() / "mabeam-swarm-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  sim::SweepSetup setup;
  setup.scenario = &*sc;
  setup.document = doc;
  setup.file = "swarm-test.json";
  setup.swarm = true;
  setup.out_dir = dir.string();
  for (std::uint64_t seed : {3, 11, 12}) {
    INFO("seed " << seed);
    const sim::SeedResult r = sim::run_seed(setup, seed);
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.error.empty());
    CHECK(r.file == (dir / ("swarm-test-seed" + std::to_string(seed) + ".json")).string());
    CHECK(r.replay == "mabeam sim " + r.file);
    REQUIRE_FALSE(r.failed.empty());
    auto written = sim::load_scenario_file(r.file);
    REQUIRE(written.is_ok());
    CHECK_FALSE(written->swarm);
    CHECK(written->seed == seed);
    std::ifstream in(r.file);
    const json w = json::parse(in);
    CHECK(w["events"][kScripted]["chosen"] == "random");  // the selector's choice is written in
    CHECK(w["events"][kScripted + 1]["chosen"] == "$v");
    CHECK(w["events"][kScripted]["node"] == w["events"][kScripted + 1]["node"]);
    const auto replay = sim::run_scenario(*written, {});
    CHECK(replay.trace_sha256 == r.trace_sha256);
    CHECK_FALSE(replay.ok);
  }
  fs::remove_all(dir);
}
