// Fault selectors (sim/selectors.h, DESIGN.md "Exploring seeds"): the loader's rules for
// "leader", "random", "$X", "host:NAME", "isolate", "halves", `as` and `chosen`; resolution
// when the event fires, traced with the node chosen; a document with the choices written
// in (`chosen`) replays to the same trace; the draws leave every other random stream alone.
#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "sim/runner.h"
#include "sim/selectors.h"
#include "sim_test_util.h"

using namespace mabeam;
using nlohmann::json;

namespace {

json base() {
  return json::parse(R"({
    "name": "selectors", "duration": "12s", "nodes": 5, "seed": 3,
    "network": {"latency": {"dist": "uniform", "min": "1ms", "max": "3ms"}, "loss": 0.01},
    "config": {"heartbeat": {"interval": "100ms", "down_after": "500ms"}},
    "events": []
  })");
}

json with_events(json events) {
  json j = base();
  j["events"] = std::move(events);
  return j;
}

std::string error_of(const json& j) {
  auto r = sim::parse_scenario(j.dump());
  return r.is_ok() ? std::string("loaded") : r.status().message();
}

sim::RunResult run(const json& j) {
  auto sc = sim::parse_scenario(j.dump());
  INFO(j.dump());
  REQUIRE(sc.is_ok());
  return sim::run_scenario(*sc, {});
}

// The trace without its `select` lines.
std::string without_select_lines(const std::string& trace) {
  std::string out;
  std::size_t start = 0;
  while (start < trace.size()) {
    const std::size_t end = trace.find('\n', start);
    const std::string line = trace.substr(start, end - start + 1);
    if (line.find("\"ev\":\"select\"") == std::string::npos) out += line;
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("loader: selectors are checked where they can be known statically", "[selectors]") {
  auto one = [](json e) { return error_of(with_events(json::array({std::move(e)}))); };
  CHECK(one({{"at", "1s"}, {"do", "crash"}, {"node", "leader"}}) == "loaded");
  CHECK(one({{"at", "1s"}, {"do", "pause"}, {"node", "random"}, {"for", "1s"}, {"as", "p"}}) == "loaded");
  CHECK(one({{"at", "1s"}, {"do", "restart"}, {"node", "random"}}) ==
        "/events/0/node: expected a node name or \"$X\" (this verb targets a node that is not running, which "
        "\"leader\" and \"random\" never choose), found \"random\"");
  CHECK(one({{"at", "1s"}, {"do", "crash"}, {"node", "$old"}}) ==
        "/events/0/node: expected a name bound by \"as\" in an event that fires earlier (none is bound before), found "
        "\"$old\"");
  CHECK(one({{"at", "1s"}, {"do", "crash"}, {"node", "$"}}) ==
        "/events/0/node: expected \"$\" and a name of 1 to 64 letters, digits, '_' or '-' bound by an earlier \"as\", "
        "found \"$\"");
  CHECK(one({{"at", "1s"}, {"do", "crash"}, {"node", "leader"}, {"as", "a b"}}) ==
        "/events/0/as: expected a name of 1 to 64 letters, digits, '_' or '-' for the chosen node, found \"a b\"");
  // A name bound by a later event, or only in file order before but later in time.
  json later = with_events(json::array({{{"at", "5s"}, {"do", "restart"}, {"node", "$old"}},
                                        {{"at", "2s"}, {"do", "crash"}, {"node", "leader"}, {"as", "old"}}}));
  CHECK(error_of(later) == "loaded");
  later["events"][1]["at"] = "6s";
  CHECK(error_of(later) == "/events/0/node: expected a name bound by \"as\" in an event that fires earlier (none is "
                           "bound before), found \"$old\"");
  json twice = with_events(json::array({{{"at", "1s"}, {"do", "crash"}, {"node", "random"}, {"as", "x"}},
                                        {{"at", "2s"}, {"do", "pause"}, {"node", "random"}, {"for", "1s"}, {"as", "x"}}}));
  CHECK(error_of(twice) == "/events/1/as: expected a name no earlier event binds, found \"x\" bound before");
}

TEST_CASE("loader: host:NAME needs the agents service and is refused, not ignored", "[selectors]") {
  auto r = sim::parse_scenario(with_events(json::array({{{"at", "1s"}, {"do", "crash"}, {"node", "host:counter"}}})).dump());
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Status::Code::refused);
  CHECK(r.status().message() == "/events/0/node: \"host:counter\": the \"host:NAME\" selector needs the agents "
                                "service, which is not built yet");
  auto isolate = sim::parse_scenario(with_events(json::array({{{"at", "1s"}, {"do", "partition"}, {"isolate", "host:a"}}})).dump());
  CHECK(isolate.status().code() == Status::Code::refused);
}

TEST_CASE("loader: partitions by isolate and halves, their as and chosen", "[selectors]") {
  auto one = [](json e) { return error_of(with_events(json::array({std::move(e)}))); };
  auto sc = sim::parse_scenario(with_events(json::array({{{"at", "1s"}, {"do", "partition"}, {"isolate", "n2"}}})).dump());
  REQUIRE(sc.is_ok());
  CHECK(sc->events[0].groups == std::vector<std::vector<std::string>>{{"n2"}, {"n1", "n3", "n4", "n5"}});
  CHECK(one({{"at", "1s"}, {"do", "partition"}, {"isolate", "leader"}, {"as", "cut"}}) == "loaded");
  CHECK(one({{"at", "1s"}, {"do", "partition"}, {"groups", "halves"}}) == "loaded");
  CHECK(one({{"at", "1s"}, {"do", "partition"}, {"isolate", "n1"}, {"groups", json::array({json::array({"n2"})})}}) ==
        "/events/0: expected either groups or isolate, found both");
  CHECK(one({{"at", "1s"}, {"do", "partition"}, {"groups", "thirds"}}) ==
        "/events/0/groups: expected an array of groups, each an array of node names, or \"halves\", found \"thirds\"");
  CHECK(one({{"at", "1s"}, {"do", "partition"}, {"groups", "halves"}, {"as", "h"}}) ==
        "/events/0/as: expected \"as\" only with a single chosen node, found it with \"halves\"");
  CHECK(one({{"at", "1s"}, {"do", "partition"}}) ==
        "/events/0/groups: required key is missing (expected an array of groups, each an array of node names, "
        "\"halves\", or an \"isolate\" key instead)");
  CHECK(one({{"at", "1s"}, {"do", "partition"}, {"isolate", "n9"}}) ==
        "/events/0/isolate: expected one of the scenario's nodes (n1..n5), found \"n9\"");
  json two = with_events(json::array({{{"at", "1s"}, {"do", "partition"}, {"groups", "halves"}}}));
  two["nodes"] = 2;
  CHECK(error_of(two) == "/events/0/groups: expected a scenario of at least 3 nodes to split in halves, found \"halves\"");
  // chosen: only with an explicit target, and naming a selector of the right kind.
  CHECK(one({{"at", "1s"}, {"do", "crash"}, {"node", "n2"}, {"chosen", "leader"}}) == "loaded");
  CHECK(one({{"at", "1s"}, {"do", "partition"}, {"groups", json::array({json::array({"n1", "n4"})})}, {"chosen", "halves"}}) == "loaded");
  CHECK(one({{"at", "1s"}, {"do", "crash"}, {"node", "leader"}, {"chosen", "leader"}}) ==
        "/events/0/chosen: expected \"chosen\" only with an explicit target (it records the selector that picked it), "
        "found it with the selector \"leader\"");
  CHECK(one({{"at", "1s"}, {"do", "crash"}, {"node", "n2"}, {"chosen", "n3"}}) ==
        "/events/0/chosen: expected the selector that chose this node: \"leader\", \"random\" or \"$X\", found \"n3\"");
  CHECK(one({{"at", "1s"}, {"do", "partition"}, {"groups", json::array({json::array({"n1"})})}, {"chosen", "random"}}) ==
        "/events/0/chosen: expected \"halves\" (the selector that chose these groups), found \"random\"");
}

TEST_CASE("loader: node names are not selectors", "[selectors]") {
  json j = base();
  j["nodes"] = json::array({"a", "leader"});
  CHECK(error_of(j) == "/nodes/1: expected a node name that is not a selector (leader, random, best, all, halves), "
                       "found \"leader\"");
}

TEST_CASE("selectors: random and $X are resolved when the event fires and traced with the node chosen", "[selectors]") {
  const json doc = with_events(json::array({{{"at", "2s"}, {"do", "crash"}, {"node", "random"}, {"as", "victim"}},
                                            {{"at", "6s"}, {"do", "restart"}, {"node", "$victim"}}}));
  const auto r = run(doc);
  const auto selects = test::records_of(r.trace, "select");
  REQUIRE(selects.size() == 2);
  const std::string victim = selects[0].node;
  CHECK(selects[0].t == sec(2));
  CHECK(selects[0].fields.at("do") == "crash");
  CHECK(selects[0].fields.at("selector") == "random");
  CHECK(selects[0].fields.at("as") == "victim");
  CHECK(selects[1].node == victim);
  CHECK(selects[1].fields.at("selector") == "$victim");
  const auto crashes = test::records_of(r.trace, "node_crash");
  REQUIRE(crashes.size() == 1);
  CHECK(crashes[0].node == victim);
  const auto restarts = test::records_of(r.trace, "node_restart");
  REQUIRE(restarts.size() == 1);
  CHECK(restarts[0].node == victim);
  REQUIRE(r.choices.size() == 2);
  CHECK(r.choices[0].node == victim);
  CHECK(r.choices[0].index == 0);

  // Over seeds, "random" picks different nodes: it is drawn, not fixed.
  std::set<std::string> picked;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    auto sc = sim::parse_scenario(doc.dump());
    sim::RunOptions o;
    o.seed = seed;
    picked.insert(sim::run_scenario(*sc, o).choices.at(0).node);
  }
  CHECK(picked.size() >= 3);
}

TEST_CASE("selectors: the written choices replay to the same trace, and the draws touch no other stream", "[selectors]") {
  const json doc = with_events(json::array({{{"at", "2s"}, {"do", "crash"}, {"node", "random"}, {"as", "v"}},
                                            {{"at", "3s"}, {"do", "partition"}, {"groups", "halves"}},
                                            {{"at", "5s"}, {"do", "heal"}},
                                            {{"at", "6s"}, {"do", "restart"}, {"node", "$v"}},
                                            {{"at", "7s"}, {"do", "pause"}, {"node", "random"}, {"for", "1s"}},
                                            {{"at", "8s"}, {"do", "partition"}, {"isolate", "random"}},
                                            {{"at", "9s"}, {"do", "heal"}},
                                            {{"at", "10s"}, {"do", "crash"}, {"node", "leader"}}}));
  const auto r = run(doc);
  REQUIRE(r.choices.size() == 5);  // "leader" found no leader: no choice
  const json resolved = sim::resolve_document(doc, r.choices);
  CHECK(resolved["events"][0]["node"] == r.choices[0].node);
  CHECK(resolved["events"][0]["chosen"] == "random");
  CHECK(resolved["events"][1]["chosen"] == "halves");
  CHECK(resolved["events"][1]["groups"].size() == 1);
  CHECK(resolved["events"][1]["groups"][0].size() == 2);  // floor((5-1)/2)
  CHECK(resolved["events"][5]["isolate"].is_string());
  CHECK(resolved["events"][7]["node"] == "leader");  // skipped: left as written
  const auto replay = run(resolved);
  CHECK(replay.trace_sha256 == r.trace_sha256);
  CHECK(replay.trace == r.trace);

  // The same faults named plainly give the same trace but for the select lines: the
  // selectors' draws come from a stream of their own.
  json plain = resolved;
  for (auto& e : plain["events"]) e.erase("chosen");
  plain["events"][0].erase("as");
  plain["events"][3]["node"] = r.choices[0].node;
  const auto direct = run(plain);
  CHECK(without_select_lines(r.trace) == direct.trace);

  const auto ignored = test::records_of(r.trace, "fault_ignored");
  REQUIRE(ignored.size() == 1);
  CHECK(ignored[0].t == sec(10));
  CHECK(ignored[0].fields.at("selector") == "leader");
  CHECK(ignored[0].fields.at("reason") == "no node that is up claims to lead");
}

TEST_CASE("selectors: leader is the node that is up claiming the highest term", "[selectors]") {
  auto w = test::heartbeat_world(4, test::fixed_latency(ms(1)));
  sim::Selectors sel(*w, 1);
  sim::ScenarioEvent e;
  e.verb = sim::ScenarioEvent::Verb::crash;
  e.selector = "leader";
  std::string node;
  std::vector<std::vector<std::string>> groups;
  CHECK_FALSE(sel.resolve(e, node, groups));
  w->node(1).emit(TraceEvent("leader").with("term", 2));
  w->node(2).emit(TraceEvent("leader").with("term", 3));
  w->node(0).emit(TraceEvent("leader").with("term", 1));
  REQUIRE(sel.resolve(e, node, groups));
  CHECK(node == "n3");
  w->crash(2);
  REQUIRE(sel.resolve(e, node, groups));
  CHECK(node == "n2");
  // Two claims of one term (a safety bug the checks catch): the later one.
  w->node(3).emit(TraceEvent("leader").with("term", 2));
  REQUIRE(sel.resolve(e, node, groups));
  CHECK(node == "n4");
  // A restart forgets the node's old claim.
  w->restart(2);
  REQUIRE(sel.resolve(e, node, groups));
  CHECK(node == "n4");
  const auto selects = test::records_of(w->trace(), "select");
  REQUIRE(selects.size() == 4);
  CHECK(selects[0].node == "n3");
  CHECK(selects[0].fields.at("selector") == "leader");
}

TEST_CASE("selectors: halves cuts a random minority of floor((n-1)/2) against the rest", "[selectors]") {
  for (int n : {3, 4, 7}) {
    json doc = with_events(json::array({{{"at", "1s"}, {"do", "partition"}, {"groups", "halves"}}}));
    doc["nodes"] = n;
    const auto r = run(doc);
    const auto parts = test::records_of(r.trace, "partition");
    REQUIRE(parts.size() == 1);
    const auto& groups = parts[0].fields.at("groups");
    REQUIRE(groups.size() == 2);
    CHECK(groups[0].size() == static_cast<std::size_t>((n - 1) / 2));
    CHECK(groups[0].size() + groups[1].size() == static_cast<std::size_t>(n));
    const auto selects = test::records_of(r.trace, "select");
    REQUIRE(selects.size() == 1);
    CHECK(selects[0].node == "*");
    CHECK(selects[0].fields.at("groups") == groups);
  }
}
