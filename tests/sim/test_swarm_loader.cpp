// The `swarm` block in the strict loader (sim/scenario_swarm.cpp): a full block loads with
// every value in place, defaults apply, and every mistake names its JSON pointer, what was
// expected and what was found; a check with `by` inside the window is refused.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sim/scenario.h"

using namespace mabeam;
using nlohmann::json;
using Kind = sim::SwarmSpec::Kind;

namespace {

json base() {
  return json::parse(R"({
    "name": "swarm", "duration": "40s", "nodes": 5,
    "swarm": {"window": ["5s", "25s"], "max_down": 2,
              "faults": {"crash": 2, "pause": 3, "partition": 2, "partition_oneway": 1, "link": 3, "clock_skew": 1,
                         "disk_fault": 1}},
    "expect": [{"check": "no_false_down"}, {"check": "members_converged", "by": "30s"}]
  })");
}

json with(const std::string& pointer, json value) {
  json j = base();
  j[json::json_pointer(pointer)] = std::move(value);
  return j;
}

json without(const std::string& pointer) {
  json j = base();
  json::json_pointer p(pointer);
  j[p.parent_pointer()].erase(p.back());
  return j;
}

std::string error_of(const json& j) {
  auto r = sim::parse_scenario(j.dump());
  return r.is_ok() ? std::string("loaded") : r.status().message();
}

}  // namespace

TEST_CASE("swarm loader: a full block loads with every value in place, and defaults apply", "[swarm]") {
  auto r = sim::parse_scenario(base().dump());
  REQUIRE(r.is_ok());
  REQUIRE(r->swarm);
  const sim::SwarmSpec& w = *r->swarm;
  CHECK(w.window_start == sec(5));
  CHECK(w.window_end == sec(25));
  CHECK(w.max_down == 2);
  CHECK(w.faults[Kind::crash] == 2);
  CHECK(w.faults[Kind::pause] == 3);
  CHECK(w.faults[Kind::partition_oneway] == 1);
  CHECK(w.faults[Kind::disk_fault] == 1);
  // Defaults (DESIGN.md): pauses 100ms-5s, link loss 0-0.3, latency up to 100ms, offsets
  // of 2s at most, drift within max_drift / 2.
  CHECK(w.lasts[Kind::pause].min == ms(100));
  CHECK(w.lasts[Kind::pause].max == sec(5));
  CHECK(w.link_loss_min == 0.0);
  CHECK(w.link_loss_max == 0.3);
  CHECK(w.link_latency.max == ms(100));
  CHECK(w.clock_offset_max == sec(2));
  CHECK(w.clock_drift_max == 0.005);
  CHECK(std::string(sim::to_string(Kind::partition_oneway)) == "partition_oneway");

  json ranged = with("/swarm/ranges", {{"pause", {"200ms", "1s"}}, {"link_loss", {0.1, 0.2}},
                                       {"link_latency", {"5ms", "20ms"}}, {"clock_offset", "500ms"},
                                       {"clock_drift", 0.004}, {"crash", {"2s", "20s"}}});
  auto rr = sim::parse_scenario(ranged.dump());
  REQUIRE(rr.is_ok());
  CHECK(rr->swarm->lasts[Kind::pause].min == ms(200));
  CHECK(rr->swarm->lasts[Kind::crash].max == sec(20));
  CHECK(rr->swarm->link_loss_min == 0.1);
  CHECK(rr->swarm->link_latency.min == ms(5));
  CHECK(rr->swarm->clock_offset_max == ms(500));
  CHECK(rr->swarm->clock_drift_max == 0.004);
  // Without a swarm block there is none.
  auto plain = sim::parse_scenario(without("/swarm").dump());
  REQUIRE(plain.is_ok());
  CHECK_FALSE(plain->swarm);
}

TEST_CASE("swarm loader: the window, max_down and faults are checked", "[swarm]") {
  CHECK(error_of(with("/swarm", json::array())) ==
        "/swarm: expected a swarm object like {\"window\": [\"5s\", \"25s\"], \"max_down\": 1, \"faults\": {\"crash\": "
        "2}}, found an empty array");
  CHECK(error_of(with("/swarm/seeds", 3)) == "/swarm/seeds: unknown key (expected one of window, max_down, faults, ranges)");
  CHECK(error_of(without("/swarm/window")) ==
        "/swarm/window: required key is missing (expected a pair of times [start, end] like [\"5s\", \"25s\"])");
  CHECK(error_of(with("/swarm/window", {"5s"})) ==
        "/swarm/window: expected a pair of times [start, end] like [\"5s\", \"25s\"], found an array");
  CHECK(error_of(with("/swarm/window/1", "soon")) ==
        "/swarm/window/1: expected a duration like \"200ms\" or \"1.5s\", found \"soon\"");
  CHECK(error_of(with("/swarm/window/1", "41s")) ==
        "/swarm/window/1: expected a time within the scenario's duration (0..40s), found \"41s\"");
  CHECK(error_of(with("/swarm/window/1", "5s")) == "/swarm/window/1: expected a time after the window's start (5s), found \"5s\"");
  CHECK(error_of(without("/swarm/max_down")) == "/swarm/max_down: required key is missing (expected a node count)");
  CHECK(error_of(with("/swarm/max_down", 6)) == "/swarm/max_down: expected a node count from 0 to 5, found 6");
  CHECK(error_of(with("/swarm/max_down", -1)) == "/swarm/max_down: expected a node count from 0 to 5, found -1");
  CHECK(error_of(with("/swarm/max_down", 0)) ==
        "/swarm/max_down: expected at least 1 when faults include crash, pause, partition or partition_oneway (each "
        "takes a node down), found 0");
  CHECK(error_of(with("/swarm/faults", {{"link", 2}})) == "loaded");  // ... but not with link faults only
  json links_only = with("/swarm/faults", {{"link", 2}});
  links_only["swarm"]["max_down"] = 0;
  CHECK(error_of(links_only) == "loaded");
  CHECK(error_of(without("/swarm/faults")) ==
        "/swarm/faults: required key is missing (expected an object of fault kind -> the most a seed may draw)");
  CHECK(error_of(with("/swarm/faults", 3)) ==
        "/swarm/faults: expected an object of fault kind -> the most a seed may draw, like {\"crash\": 2}, found 3");
  CHECK(error_of(with("/swarm/faults/explode", 1)) ==
        "/swarm/faults/explode: unknown key (expected one of crash, pause, partition, partition_oneway, link, "
        "clock_skew, disk_fault)");
  CHECK(error_of(with("/swarm/faults/crash", 101)) == "/swarm/faults/crash: expected a count from 0 to 100, found 101");
  CHECK(error_of(with("/swarm/faults/crash", 1.5)) == "/swarm/faults/crash: expected a count from 0 to 100, found 1.5");
  json one = with("/nodes", 1);
  one["swarm"]["max_down"] = 1;
  CHECK(error_of(one) == "/swarm/faults/partition: expected 0 in a scenario of one node (it needs two nodes to cut), found 2");
}

TEST_CASE("swarm loader: ranges are checked", "[swarm]") {
  CHECK(error_of(with("/swarm/ranges", "wide")) == "/swarm/ranges: expected an object of fault parameter ranges, found \"wide\"");
  CHECK(error_of(with("/swarm/ranges/reboot", {"1s", "2s"})).rfind(
            "/swarm/ranges/reboot: unknown key (expected one of crash, pause, partition, partition_oneway, link, "
            "clock_skew, disk_fault, link_loss, link_latency, clock_offset, clock_drift)", 0) == 0);
  CHECK(error_of(with("/swarm/ranges/pause", "1s")) ==
        "/swarm/ranges/pause: expected a pair of durations [min, max] like [\"100ms\", \"5s\"], found \"1s\"");
  CHECK(error_of(with("/swarm/ranges/pause", {"0s", "1s"})) ==
        "/swarm/ranges/pause/0: expected a duration greater than zero, found \"0s\"");
  CHECK(error_of(with("/swarm/ranges/pause", {"2s", "1s"})) == "/swarm/ranges/pause/1: expected at least min (2s), found \"1s\"");
  CHECK(error_of(with("/swarm/ranges/crash", {"21s", "30s"})) ==
        "/swarm/ranges/crash/0: expected a duration that fits in the window (20s), found \"21s\"");
  CHECK(error_of(with("/swarm/ranges/link_loss", 0.2)) ==
        "/swarm/ranges/link_loss: expected a pair of probabilities [min, max] like [0, 0.3], found 0.2");
  CHECK(error_of(with("/swarm/ranges/link_loss", {0.1, 1.5})) ==
        "/swarm/ranges/link_loss/1: expected a probability from 0 to 1, found 1.5");
  CHECK(error_of(with("/swarm/ranges/link_loss", {0.3, 0.1})) == "/swarm/ranges/link_loss/1: expected at least min, found 0.1");
  CHECK(error_of(with("/swarm/ranges/link_latency", {"50ms", "5ms"})) ==
        "/swarm/ranges/link_latency/1: expected at least min (50ms), found \"5ms\"");
  CHECK(error_of(with("/swarm/ranges/clock_offset", "-1s")) ==
        "/swarm/ranges/clock_offset: expected a duration like \"200ms\" or \"1.5s\", found \"-1s\"");
  CHECK(error_of(with("/swarm/ranges/clock_drift", 0.02)) ==
        "/swarm/ranges/clock_drift: expected a drift from 0 to config.max_drift (0.01), found 0.02");
}

TEST_CASE("swarm loader: a check with by must judge after the window's end", "[swarm]") {
  CHECK(error_of(with("/expect/1/by", "20s")) ==
        "/expect/1/by: expected a time after the swarm window's end (25s): liveness is judged once the drawn faults "
        "are over, found \"20s\"");
  CHECK(error_of(with("/expect/1/by", "25s")).rfind("/expect/1/by: expected a time after the swarm window's end", 0) == 0);
  CHECK(error_of(with("/expect/1/by", "25.001s")) == "loaded");
  json vars = base();
  vars["variables"] = json::array({{{"name", "x"}}});
  vars["expect"].push_back({{"check", "variables_converged"}, {"by", "10s"}});
  CHECK(error_of(vars).rfind("/expect/2/by: expected a time after the swarm window's end (25s)", 0) == 0);
  // Without a swarm block the same check loads.
  json plain = without("/swarm");
  plain["expect"][1]["by"] = "20s";
  CHECK(error_of(plain) == "loaded");
}
