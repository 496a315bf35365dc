// Tests of the strict scenario loader (sim/scenario.cpp): a full scenario loads with every
// value in place, each class of mistake gives its JSON pointer and a message saying what was
// expected and found, random mutations never crash it, and the fixtures that
// tests/scenario_schema_check.py checks against scenarios/schema.json load (good) or fail
// (bad) here too.
#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sim/scenario.h"

using mabeam::ms;
using mabeam::sec;
using mabeam::sim::Check;
using mabeam::sim::Latency;
using mabeam::sim::parse_scenario;
using mabeam::sim::Scenario;
using mabeam::sim::ScenarioEvent;
using nlohmann::json;
using Verb = ScenarioEvent::Verb;

namespace {

// Five nodes, one of each built verb, every built check.
const char* const kFull = R"({
  "name": "minority-partition",
  "description": "a 2/3 split, a crash, heal",
  "seed": 7,
  "duration": "40s",
  "nodes": ["n1", "n2", "n3", "n4", "n5"],
  "network": {"latency": {"dist": "uniform", "min": "1ms", "max": "5ms"},
              "loss": 0.01, "duplicate": 0.002, "reorder": 0.03,
              "links": [{"from": "n1", "to": "n2", "latency": {"dist": "fixed", "value": "40ms"}}]},
  "config": {"heartbeat": {"interval": "200ms", "down_after": "1s"}},
  "trace": {"messages": false},
  "events": [
    {"at": "20s", "do": "heal"},
    {"at": "10s", "do": "partition", "groups": [["n1", "n2"], ["n3"]]},
    {"at": "12s", "do": "crash", "node": "n4"},
    {"at": "14s", "do": "restart", "node": "n4"},
    {"at": "15s", "do": "pause", "node": "n5", "for": "2s"},
    {"at": "16s", "do": "partition_oneway", "from": "n1", "to": ["n2", "n3"]},
    {"at": "17s", "do": "link", "from": "n2", "to": "n3", "loss": 0.5, "both": true},
    {"at": "18s", "do": "clock_skew", "node": "n3", "offset": "-200ms", "drift": 0.001},
    {"at": "19s", "do": "disk_fault", "node": "n2", "for": "500ms"}
  ],
  "expect": [
    {"check": "detected_down", "node": "n4", "within": "3s"},
    {"check": "no_false_down"},
    {"check": "members_converged", "by": "25s"}
  ]
})";

json full() { return json::parse(kFull); }

// kFull with the value at `pointer` replaced (or added).
json with(const std::string& pointer, json value) {
  json j = full();
  j[json::json_pointer(pointer)] = std::move(value);
  return j;
}

json without(const std::string& pointer) {
  json j = full();
  json::json_pointer p(pointer);
  j[p.parent_pointer()].erase(p.back());
  return j;
}

std::string text_error(const std::string& text) {
  auto r = parse_scenario(text);
  REQUIRE_FALSE(r.is_ok());
  return r.status().message();
}

std::string error_of(const json& j) { return text_error(j.dump()); }

const ScenarioEvent& event_with(const Scenario& s, Verb verb) {
  auto it = std::find_if(s.events.begin(), s.events.end(), [&](const ScenarioEvent& e) { return e.verb == verb; });
  REQUIRE(it != s.events.end());
  return *it;
}

}  // namespace

TEST_CASE("loader: a full scenario loads with every value in place", "[loader]") {
  auto r = parse_scenario(kFull, "full.json");
  REQUIRE(r.is_ok());
  const Scenario& s = *r;
  CHECK(s.name == "minority-partition");
  CHECK(s.description == "a 2/3 split, a crash, heal");
  CHECK(s.seed == 7);
  CHECK(s.duration == sec(40));
  CHECK(s.source == "full.json");
  REQUIRE(s.nodes.size() == 5);
  CHECK(s.nodes[4].name == "n5");
  CHECK(s.setup.peers == std::vector<std::string>{"n1", "n2", "n3", "n4", "n5"});
  CHECK(s.setup.heartbeat.interval == ms(200));
  CHECK(s.setup.heartbeat.down_after == sec(1));
  CHECK_FALSE(s.trace_messages);

  CHECK(s.network.latency.dist == Latency::Dist::uniform);
  CHECK(s.network.latency.min == ms(1));
  CHECK(s.network.latency.max == ms(5));
  CHECK(s.network.loss == 0.01);
  CHECK(s.network.duplicate == 0.002);
  CHECK(s.network.reorder == 0.03);
  REQUIRE(s.links.size() == 1);
  CHECK(s.links[0].from == "n1");
  CHECK(s.links[0].to == "n2");
  REQUIRE(s.links[0].latency);
  CHECK(s.links[0].latency->dist == Latency::Dist::fixed);
  CHECK(s.links[0].latency->value == ms(40));
  CHECK_FALSE(s.links[0].loss);

  REQUIRE(s.events.size() == 9);
  CHECK(s.events.front().verb == Verb::partition);
  CHECK(s.events.back().verb == Verb::heal);
  CHECK(s.events.back().at == sec(20));
  CHECK(event_with(s, Verb::crash).node == "n4");
  CHECK(event_with(s, Verb::crash).at == sec(12));
  CHECK(event_with(s, Verb::pause).duration == sec(2));
  CHECK(event_with(s, Verb::disk_fault).duration == ms(500));
  CHECK(event_with(s, Verb::partition_oneway).from == std::vector<std::string>{"n1"});
  CHECK(event_with(s, Verb::partition_oneway).to == std::vector<std::string>{"n2", "n3"});
  const ScenarioEvent& link = event_with(s, Verb::link);
  CHECK(link.from == std::vector<std::string>{"n2"});
  CHECK(link.to == std::vector<std::string>{"n3"});
  CHECK(link.both_ways);
  CHECK(link.loss == 0.5);
  CHECK_FALSE(link.latency);
  CHECK(event_with(s, Verb::clock_skew).offset == -ms(200));
  CHECK(event_with(s, Verb::clock_skew).drift == 0.001);

  REQUIRE(s.expect.size() == 3);
  CHECK(s.expect[0].check == "detected_down");
  CHECK(s.expect[0].node == "n4");
  CHECK(s.expect[0].within == sec(3));
  CHECK(s.expect[1].check == "no_false_down");
  CHECK(s.expect[1].grace == sec(5));
  CHECK(s.expect[2].check == "members_converged");
  CHECK(s.expect[2].by == sec(25));
}

TEST_CASE("loader: defaults apply when optional keys are left out", "[loader]") {
  auto r = parse_scenario(R"({"name": "tiny", "duration": "1s", "nodes": 1})");
  REQUIRE(r.is_ok());
  CHECK(r->seed == 1);
  CHECK(r->trace_messages);
  CHECK(r->events.empty());
  CHECK(r->expect.empty());
  CHECK(r->network.latency.dist == Latency::Dist::uniform);
  CHECK(r->network.loss == 0.0);
  CHECK(r->setup.peers == std::vector<std::string>{"n1"});
  CHECK(r->source.empty());
}

TEST_CASE("loader: nodes are a count, a list of names, or node objects", "[loader]") {
  auto count = parse_scenario(R"({"name": "c", "duration": "1s", "nodes": 3})");
  REQUIRE(count.is_ok());
  REQUIRE(count->nodes.size() == 3);
  CHECK(count->nodes[2].name == "n3");

  auto objects = parse_scenario(R"({"name": "o", "duration": "10s", "nodes": [
      {"name": "gpu-1", "capabilities": ["gpu", "ssd"], "resources": {"cpu": 8, "mem_gb": 31.5}, "start": "2s"},
      "plain_2"]})");
  REQUIRE(objects.is_ok());
  REQUIRE(objects->nodes.size() == 2);
  CHECK(objects->nodes[0].name == "gpu-1");
  CHECK(objects->nodes[0].capabilities == std::vector<std::string>{"gpu", "ssd"});
  CHECK(objects->nodes[0].resources.at("mem_gb") == 31.5);
  CHECK(objects->nodes[0].start == sec(2));
  CHECK(objects->nodes[1].name == "plain_2");
  CHECK(objects->nodes[1].start == 0);
  CHECK(objects->setup.peers == std::vector<std::string>{"gpu-1", "plain_2"});

  CHECK(error_of(with("/nodes", 0)) ==
        "/nodes: expected a node count from 1 to 10000 or a non-empty list of nodes, found 0");
  CHECK(error_of(with("/nodes", 10001)) ==
        "/nodes: expected a node count from 1 to 10000 or a non-empty list of nodes, found 10001");
  CHECK(error_of(with("/nodes", json::array({"a", "b", "a"}))) ==
        "/nodes/2: expected a name not used by another node, found \"a\"");
  CHECK(error_of(with("/nodes", json::array({"a", "b c"}))) ==
        "/nodes/1: expected a node name of 1 to 64 letters, digits, '_', '.' or '-', found \"b c\"");
  CHECK(error_of(with("/nodes", json::array({json{{"name", "a"}, {"start", "41s"}}}))) ==
        "/nodes/0/start: expected a time within the scenario's duration (0..40s), found \"41s\"");
  CHECK(error_of(with("/nodes", json::array({json{{"name", "a"}, {"resources", {{"cpu", -1}}}}}))) ==
        "/nodes/0/resources/cpu: expected a number greater than or equal to 0, found -1");
}

TEST_CASE("loader: events are sorted by at, keeping file order for equal times", "[loader]") {
  json j = full();
  j["events"] = json::array({
      {{"at", "5s"}, {"do", "crash"}, {"node", "n3"}},
      {{"at", "1s"}, {"do", "crash"}, {"node", "n1"}},
      {{"at", "5s"}, {"do", "crash"}, {"node", "n2"}},
      {{"at", "0s"}, {"do", "heal"}},
  });
  auto r = parse_scenario(j.dump());
  REQUIRE(r.is_ok());
  REQUIRE(r->events.size() == 4);
  CHECK(r->events[0].verb == Verb::heal);
  CHECK(r->events[1].node == "n1");
  CHECK(r->events[2].node == "n3");
  CHECK(r->events[3].node == "n2");
}

TEST_CASE("loader: partition groups are completed with the nodes left out", "[loader]") {
  auto r = parse_scenario(kFull);
  REQUIRE(r.is_ok());
  const auto& groups = event_with(*r, Verb::partition).groups;
  REQUIRE(groups.size() == 3);
  CHECK(groups[0] == std::vector<std::string>{"n1", "n2"});
  CHECK(groups[1] == std::vector<std::string>{"n3"});
  CHECK(groups[2] == std::vector<std::string>{"n4", "n5"});

  CHECK(error_of(with("/events/1/groups", json::array({json::array({"n1", "n2", "n3", "n4", "n5"})}))) ==
        "/events/1/groups: expected at least 2 groups (nodes left out of every group form one more), found a single "
        "group holding every node");
}

TEST_CASE("loader: an unknown key is an error naming its pointer and the valid keys", "[loader]") {
  CHECK(error_of(with("/colour", "blue")) ==
        "/colour: unknown key (expected one of $schema, name, description, seed, duration, nodes, network, disk, config, "
        "trace, variables, workload, events, expect, swarm)");
  CHECK(error_of(with("/events/2/for", "1s")) ==
        "/events/2/for: unknown key for \"crash\" (expected one of at, do, node, disk, as, chosen)");
  CHECK(error_of(with("/network/lose", 0.1)) ==
        "/network/lose: unknown key (expected one of latency, loss, duplicate, reorder, links)");
  CHECK(error_of(with("/expect/1/within", "1s")) ==
        "/expect/1/within: unknown key for \"no_false_down\" (expected one of check, grace)");
  CHECK(error_of(with("/trace/msgs", true)) == "/trace/msgs: unknown key (expected messages)");
  // Keys holding '/' or '~' are escaped in the pointer (RFC 6901).
  CHECK(error_of(with("/network/a~1b", 1)) ==
        "/network/a~1b: unknown key (expected one of latency, loss, duplicate, reorder, links)");
  // Keys of the config block are checked by the engine's parse_node_config.
  CHECK(error_of(with("/config/gossip", json::object())).rfind("/config/gossip: unknown key", 0) == 0);
}

TEST_CASE("loader: a missing required key is an error naming where it belongs", "[loader]") {
  CHECK(error_of(without("/name")) == "/name: required key is missing (expected a string)");
  CHECK(error_of(without("/events/2/node")) ==
        "/events/2/node: required key is missing (expected a node name or a selector (\"leader\", \"random\", \"$X\"))");
  CHECK(error_of(without("/events/4/for")) ==
        "/events/4/for: required key is missing (expected a duration like \"2s\")");
  CHECK(error_of(without("/expect/0/within")) ==
        "/expect/0/within: required key is missing (expected a duration like \"3s\")");
}

TEST_CASE("loader: a wrong type is an error saying what was expected and what was found", "[loader]") {
  CHECK(error_of(with("/seed", "7")) == "/seed: expected a non-negative integer, found \"7\"");
  CHECK(error_of(with("/seed", -1)) == "/seed: expected a non-negative integer, found -1");
  CHECK(error_of(with("/seed", 1.5)) == "/seed: expected a non-negative integer, found 1.5");
  CHECK(error_of(with("/name", 3)) == "/name: expected a string, found 3");
  CHECK(error_of(with("/events", json::object())) == "/events: expected an array of events, found an empty object");
  CHECK(error_of(with("/events/0", "heal")) ==
        "/events/0: expected an event object like {\"at\": \"10s\", \"do\": \"crash\", \"node\": \"n1\"}, "
        "found \"heal\"");
  CHECK(error_of(with("/trace/messages", "yes")) == "/trace/messages: expected true or false, found \"yes\"");
  CHECK(error_of(with("/network/loss", nullptr)) == "/network/loss: expected a probability from 0 to 1, found null");
  CHECK(error_of(json::array()) == "top level: expected a scenario object, found an empty array");
  // An integral float is an integer, as in JSON Schema.
  CHECK(parse_scenario(with("/seed", 7.0).dump()).is_ok());
}

TEST_CASE("loader: a bad duration is an error", "[loader]") {
  CHECK(error_of(with("/duration", "40")) == "/duration: duration \"40\" needs a unit: us, ms, s or m");
  CHECK(error_of(with("/duration", "soon")) ==
        "/duration: expected a duration like \"200ms\" or \"1.5s\", found \"soon\"");
  CHECK(error_of(with("/duration", 40)) ==
        "/duration: expected a duration string like \"200ms\" or \"1.5s\", found 40");
  CHECK(error_of(with("/duration", "0s")) == "/duration: expected a duration greater than zero, found \"0s\"");
  CHECK(error_of(with("/events/4/for", "-2s")) ==
        "/events/4/for: expected a duration like \"200ms\" or \"1.5s\", found \"-2s\"");
  CHECK(error_of(with("/expect/0/within", "0ms")) ==
        "/expect/0/within: expected a duration greater than zero, found \"0ms\"");
}

TEST_CASE("loader: a duration past 30 days is an error naming its pointer, never an overflow", "[loader]") {
  CHECK(error_of(with("/duration", "43201m")) ==
        "/duration: duration \"43201m\" is longer than 30 days, the most mabeam accepts");
  CHECK(error_of(with("/events/4/for", "9999999999s")) ==
        "/events/4/for: duration \"9999999999s\" is longer than 30 days, the most mabeam accepts");
  CHECK(error_of(with("/config/membership", {{"probe_interval", "50000m"}})) ==
        "/config/membership/probe_interval: duration \"50000m\" is longer than 30 days, the most mabeam accepts");
  CHECK(error_of(with("/config/variables", {{"anti_entropy_interval", "50000m"}})) ==
        "/config/variables/anti_entropy_interval: duration \"50000m\" is longer than 30 days, the most mabeam "
        "accepts");
}

TEST_CASE("loader: an unknown node name is an error listing the scenario's nodes", "[loader]") {
  CHECK(error_of(with("/events/3/node", "n9")) ==
        "/events/3/node: expected one of the scenario's nodes (n1..n5), found \"n9\"");
  CHECK(error_of(with("/network/links/0/to", "n6")) ==
        "/network/links/0/to: expected one of the scenario's nodes (n1..n5), found \"n6\"");
  CHECK(error_of(with("/events/1/groups/1/0", "x")) ==
        "/events/1/groups/1/0: expected one of the scenario's nodes (n1..n5), found \"x\"");
  CHECK(error_of(with("/events/5/to/1", "n0")) ==
        "/events/5/to/1: expected one of the scenario's nodes (n1..n5), found \"n0\"");
  CHECK(error_of(with("/expect/0/node", "n7")) ==
        "/expect/0/node: expected one of the scenario's nodes (n1..n5), found \"n7\"");
  json named = with("/nodes", json::array({"a", "b"}));
  named["events"] = json::array({{{"at", "1s"}, {"do", "crash"}, {"node", "c"}}});
  named["network"].erase("links");
  named.erase("expect");
  CHECK(error_of(named) == "/events/0/node: expected one of the scenario's nodes (a, b), found \"c\"");
}

TEST_CASE("loader: a probability outside 0..1 is an error", "[loader]") {
  CHECK(error_of(with("/network/loss", 1.5)) == "/network/loss: expected a probability from 0 to 1, found 1.5");
  CHECK(error_of(with("/network/duplicate", -0.1)) ==
        "/network/duplicate: expected a probability from 0 to 1, found -0.1");
  CHECK(error_of(with("/network/links/0/reorder", 2)) ==
        "/network/links/0/reorder: expected a probability from 0 to 1, found 2");
  CHECK(error_of(with("/events/6/loss", "0.5")) == "/events/6/loss: expected a probability from 0 to 1, found \"0.5\"");
  CHECK(error_of(with("/events/7/drift", 0.9)) == "/events/7/drift: expected a number from -0.5 to 0.5, found 0.9");
}

TEST_CASE("loader: overlapping partition groups are an error naming both places", "[loader]") {
  CHECK(error_of(with("/events/1/groups", json::array({json::array({"n1", "n2"}), json::array({"n3", "n2"})}))) ==
        "/events/1/groups/1/1: expected groups that do not overlap, found \"n2\" also at /events/1/groups/0/1");
  CHECK(error_of(with("/events/1/groups", json::array({json::array({"n1", "n1"})}))) ==
        "/events/1/groups/0/1: expected groups that do not overlap, found \"n1\" also at /events/1/groups/0/0");
  CHECK(error_of(with("/events/1/groups", json::array({json::array({"n1"}), json::array()}))) ==
        "/events/1/groups/1: expected a non-empty array of node names, found an empty array");
  CHECK(error_of(with("/events/5/to", "n1")) == "/events/5/to: expected a node not in \"from\", found \"n1\"");
}

TEST_CASE("loader: an at beyond duration is an error", "[loader]") {
  CHECK(error_of(with("/events/0/at", "41s")) ==
        "/events/0/at: expected a time within the scenario's duration (0..40s), found \"41s\"");
  CHECK(error_of(with("/expect/2/by", "1m")) ==
        "/expect/2/by: expected a time within the scenario's duration (0..40s), found \"1m\"");
  CHECK(parse_scenario(with("/events/0/at", "40s").dump()).is_ok());  // the last instant is allowed
}

TEST_CASE("loader: latency distributions take exactly their own keys", "[loader]") {
  auto latency = [](json l) {
    auto r = parse_scenario(with("/network/latency", std::move(l)).dump());
    REQUIRE(r.is_ok());
    return r->network.latency;
  };
  CHECK(latency({{"dist", "fixed"}, {"value", "3ms"}}).value == ms(3));
  const Latency normal = latency({{"dist", "normal"}, {"mean", "4ms"}, {"stddev", "1ms"}});
  CHECK(normal.dist == Latency::Dist::normal);
  CHECK(normal.mean == ms(4));
  CHECK(normal.stddev == ms(1));
  CHECK(latency({{"dist", "exponential"}, {"mean", "2ms"}}).mean == ms(2));
  const Latency pareto = latency({{"dist", "pareto"}, {"scale", "1ms"}, {"shape", 1.5}});
  CHECK(pareto.scale == ms(1));
  CHECK(pareto.shape == 1.5);

  CHECK(error_of(with("/network/latency", {{"dist", "fixed"}, {"value", "2ms"}, {"min", "1ms"}})) ==
        "/network/latency/min: unknown key for a \"fixed\" latency (expected one of dist, value)");
  CHECK(error_of(with("/network/latency", {{"dist", "uniform"}, {"min", "9ms"}, {"max", "1ms"}})) ==
        "/network/latency/max: expected at least min (9ms), found \"1ms\"");
  CHECK(error_of(with("/network/latency", {{"dist", "pareto"}, {"scale", "1ms"}, {"shape", 0}})) ==
        "/network/latency/shape: expected a number greater than 0, found 0");
  CHECK(error_of(with("/network/latency", {{"dist", "exponential"}})) ==
        "/network/latency/mean: required key is missing (expected a duration (a \"exponential\" latency needs it))");
  CHECK(error_of(with("/network/latency", {{"dist", "zipf"}})) ==
        "/network/latency/dist: expected one of fixed, uniform, normal, exponential, pareto, found \"zipf\"");
}

TEST_CASE("loader: clock_skew takes a signed offset, a bounded drift, and at least one of them", "[loader]") {
  auto skew = [](json event) {
    json j = full();
    j["events"] = json::array({std::move(event)});
    return parse_scenario(j.dump());
  };
  auto r = skew({{"at", "1s"}, {"do", "clock_skew"}, {"node", "n1"}, {"offset", "1.5s"}});
  REQUIRE(r.is_ok());
  CHECK(r->events[0].offset == ms(1500));
  CHECK(r->events[0].drift == 0.0);
  r = skew({{"at", "1s"}, {"do", "clock_skew"}, {"node", "n1"}, {"drift", -0.5}});
  REQUIRE(r.is_ok());
  CHECK(r->events[0].drift == -0.5);
  CHECK(error_of(with("/events/7/offset", "--1s")) ==
        "/events/7/offset: expected a duration string like \"200ms\" or \"-1.5s\", found \"--1s\"");
  r = skew({{"at", "1s"}, {"do", "clock_skew"}, {"node", "n1"}});
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() == "/events/0: expected at least one of offset, drift, found neither");
}

TEST_CASE("loader: a link event must change something", "[loader]") {
  json j = without("/events/6/loss");
  CHECK(error_of(j) == "/events/6: expected at least one of latency, loss, duplicate, reorder to change, found none");
}

TEST_CASE("loader: JSON syntax errors give line and column", "[loader]") {
  const std::string text = "{\n  \"name\": \"x\",\n  \"duration\": 10s\n}";
  const std::string message = text_error(text);
  INFO(message);
  CHECK(message.rfind("line 3, column 17: invalid JSON: ", 0) == 0);  // at the "s" that ends the number
  CHECK(text_error("").rfind("line 1, column 1: invalid JSON: ", 0) == 0);
  CHECK(text_error("{\"name\": \"x\",").rfind("line 1, column 14: invalid JSON: ", 0) == 0);
  CHECK(text_error("{\"a\": 1}\n\n  x").rfind("line 3, column 3: invalid JSON: ", 0) == 0);
  CHECK(text_error(R"({"name": "x", "seed": 1e400})").find("invalid JSON") != std::string::npos);
}

TEST_CASE("loader: a key repeated in one object is an error", "[loader]") {
  CHECK(text_error(R"({"name": "a", "duration": "1s", "nodes": 2, "name": "b"})") ==
        "/name: duplicate key (each key may appear once per object)");
  CHECK(text_error(R"({"name": "a", "duration": "9s", "nodes": 2,
                     "events": [{"at": "1s", "do": "heal"}, [1, [2]], {"at": "2s", "do": "heal", "at": "3s"}]})") ==
        "/events/2/at: duplicate key (each key may appear once per object)");
}

TEST_CASE("loader: verbs whose service is not built yet are refused, naming the service", "[loader]") {
  auto refused = [](const std::string& verb) {
    return error_of(with("/events/2", {{"at", "1s"}, {"do", verb}, {"node", "n1"}}));
  };
  CHECK(refused("migrate") == "/events/2/do: \"migrate\" needs the migration service, which is not built yet");
  CHECK(refused("rebalance") == "/events/2/do: \"rebalance\" needs the migration service, which is not built yet");
  CHECK(parse_scenario(with("/events/2", {{"at", "1s"}, {"do", "migrate"}}).dump()).status().code() ==
        mabeam::Status::Code::refused);
  // A strong variable is served by the consensus group.
  auto strong = parse_scenario(with("/variables", json::array({{{"name", "x"}, {"consistency", "strong"}}})).dump());
  REQUIRE(strong.is_ok());
  CHECK(strong->setup.consensus.strong_vars == std::vector<std::string>{"x"});
  json empty = full();
  empty["variables"] = json::array();
  empty["workload"] = json::array();
  CHECK(parse_scenario(empty.dump()).is_ok());
}

TEST_CASE("loader: variables, workload, write and read load, and their mistakes name the pointer", "[loader]") {
  json doc = full();
  doc["variables"] = json::array({{{"name", "c"}, {"resolve", "g_counter"}, {"replicas", 3}},
                                  {{"name", "s"}, {"consistency", "session"}, {"resolve", "or_set"},
                                   {"on_minority", "available"}},
                                  {{"name", "m"}, {"resolve", "longest"}}});
  doc["workload"] = json::array({{{"kind", "mixed"}, {"var", "s"}, {"rate", 2}, {"nodes", {"n1", "n2"}},
                                  {"start", "1s"}, {"stop", "5s"}, {"session", "alice"}}});
  doc["events"].push_back({{"at", "2s"}, {"do", "write"}, {"node", "n1"}, {"var", "s"}, {"value", "x"}, {"op", "remove"}});
  doc["events"].push_back({{"at", "2s"}, {"do", "write"}, {"node", "n2"}, {"var", "c"}});
  doc["events"].push_back({{"at", "3s"}, {"do", "read"}, {"node", "n3"}, {"var", "c"}, {"session", "bob"}});
  doc["expect"].push_back({{"check", "readonly_minority"}, {"within", "2s"}});
  doc["expect"].push_back({{"check", "variables_converged"}, {"by", "30s"}});
  doc["expect"].push_back({{"check", "causal_order"}});
  doc["expect"].push_back({{"check", "session_guarantees"}});
  auto s = parse_scenario(doc.dump());
  REQUIRE(s.is_ok());
  REQUIRE(s->variables.variables.size() == 3);
  CHECK(s->variables.variables[0].resolve == mabeam::vars::Resolve::g_counter);
  CHECK(s->variables.variables[1].available);
  CHECK(s->variables.variables[2].resolve == mabeam::vars::Resolve::custom);
  REQUIRE(s->workload.size() == 1);
  CHECK(s->workload[0].session == "alice");
  CHECK(s->workload[0].stop == sec(5));
  const ScenarioEvent& w = event_with(*s, Verb::write);
  CHECK(w.value == "\"x\"");
  CHECK(w.op == "remove");
  CHECK(event_with(*s, Verb::read).session == "bob");

  auto err = [&](const std::string& pointer, json value) {
    json d = doc;
    d[json::json_pointer(pointer)] = std::move(value);
    auto r = parse_scenario(d.dump());
    return r.is_ok() ? std::string("loaded") : r.status().message();
  };
  CHECK(err("/variables/0/resolve", "lru") ==
        "/variables/0/resolve: expected one of lww, vector_clock, g_counter, pn_counter, or_set, max, min, longest (a "
        "registered merge function), found \"lru\"");
  CHECK(err("/variables/0/replicas", 0) == "/variables/0/replicas: expected a replica count from 1 to 10000, found 0");
  CHECK(err("/variables/1/on_minority", "ignore") ==
        "/variables/1/on_minority: expected one of readonly, available, found \"ignore\"");
  CHECK(err("/variables/0/colour", "red").find("/variables/0/colour: unknown key") == 0);
  CHECK(err("/workload/0/var", "nope") ==
        "/workload/0/var: expected a variable declared in /variables (c, s, m), found \"nope\"");
  CHECK(err("/workload/0/rate", 0) ==
        "/workload/0/rate: expected operations per second per node, above 0 and at most 10000, found 0");
  CHECK(err("/workload/0/stop", "1s") == "/workload/0/stop: expected a time after start (1s), found \"1s\"");
  CHECK(err("/workload/0/kind", "deletes") == "/workload/0/kind: expected one of writes, reads, mixed, messages, found \"deletes\"");
  CHECK(err("/events/9/op", "set").find("/events/9/op: expected one of add, remove (for a or_set variable)") == 0);
  CHECK(err("/events/10/value", -2) ==
        "/events/10/value: expected an increment of 0 or more (a g_counter only grows), found -2");
  CHECK(err("/events/11/var", "q").find("/events/11/var: expected a variable declared in /variables") == 0);
  CHECK(err("/config/variables", {{"anti_entropy_interval", "0s"}}) ==
        "/config/variables/anti_entropy_interval: expected at least 1ms, found \"0s\"");
  CHECK(err("/config/variables", {{"fanout", 3}}).find("/config/variables/fanout: unknown key") == 0);
}

TEST_CASE("loader: checks whose service is not built yet are refused, naming the service", "[loader]") {
  auto refused = [](const std::string& check) { return error_of(with("/expect/1", {{"check", check}})); };
  // The consensus checks need a consensus group to judge.
  CHECK(refused("single_leader_per_term") ==
        "/expect/1/check: expected a consensus group to judge (a strong variable or config.consensus), found none");
  CHECK(refused("no_lost_writes") == "/expect/1/check: expected strong variables to judge, found none declared");
  // The variables checks need variables to judge.
  CHECK(refused("causal_order") == "/expect/1/check: expected variables to judge, found no /variables declared");
}

TEST_CASE("loader: an unknown verb or check lists the valid ones", "[loader]") {
  CHECK(error_of(with("/events/0/do", "explode")) ==
        "/events/0/do: expected one of crash, restart, pause, partition, partition_oneway, heal, link, clock_skew, "
        "disk_fault, join, leave, write, read, cas, add_voter, remove_voter, transfer_leader, spawn, send, kill_agent, "
        "found \"explode\"");
  CHECK(error_of(with("/expect/1/check", "all_good")) ==
        "/expect/1/check: expected one of detected_down, no_false_down, members_converged, readonly_minority, "
        "variables_converged, causal_order, session_guarantees, single_leader_per_term, linearizable, no_lost_writes, "
        "agent_unique, agent_reachable, agent_state, found "
        "\"all_good\"");
}

TEST_CASE("loader: the source names the file in every message", "[loader]") {
  auto r = parse_scenario(with("/seed", "x").dump(), "scenarios/split.json");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() == "scenarios/split.json: /seed: expected a non-negative integer, found \"x\"");
  r = parse_scenario("{", "scenarios/split.json");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().rfind("scenarios/split.json: line 1, column 2: invalid JSON: ", 0) == 0);
}

TEST_CASE("loader: a missing file names the path and the reason", "[loader]") {
  const std::string path = std::string(MABEAM_TEST_DATA) + "/no_such_scenario.json";
  auto r = mabeam::sim::load_scenario_file(path);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() == "cannot read " + path + ": No such file or directory");
  r = mabeam::sim::load_scenario_file(MABEAM_TEST_DATA);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() == std::string("cannot read ") + MABEAM_TEST_DATA + ": Is a directory");
}

TEST_CASE("loader: every verb has a name", "[loader]") {
  CHECK(std::string(mabeam::sim::to_string(Verb::partition_oneway)) == "partition_oneway");
  CHECK(std::string(mabeam::sim::to_string(Verb::disk_fault)) == "disk_fault");
}

namespace {

// Every pointer in a document, containers included.
void collect_pointers(const json& j, const std::string& at, std::vector<std::string>& out) {
  out.push_back(at);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) collect_pointers(*it, at + "/" + it.key(), out);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) collect_pointers(j[i], at + "/" + std::to_string(i), out);
  }
}

// Loading either succeeds with the loader's guarantees, or fails with a message. Returns
// whether it loaded.
bool check_outcome(const std::string& text) {
  mabeam::Result<Scenario> r = mabeam::Status::invalid("not run");
  REQUIRE_NOTHROW(r = parse_scenario(text));
  if (!r.is_ok()) {
    CHECK_FALSE(r.status().message().empty());
    return false;
  }
  CHECK(std::is_sorted(r->events.begin(), r->events.end(),
                       [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at < b.at; }));
  for (const auto& e : r->events) {
    CHECK(e.at >= 0);
    CHECK(e.at <= r->duration);
    if (e.verb == Verb::partition) {
      std::size_t members = 0;
      for (const auto& g : e.groups) members += g.size();
      CHECK(members == r->nodes.size());
      CHECK(e.groups.size() >= 2);
    }
  }
  return true;
}

}  // namespace

TEST_CASE("loader: random mutations of a valid scenario load or fail cleanly, never crash", "[loader]") {
  const std::uint64_t seed = 20240611;
  INFO("mutation seed " << seed);
  std::mt19937_64 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<json> values = {
      nullptr, true, false, 0, 1, -1, 0.5, -0.5, 2.5, 1e300, -1e300, 18446744073709551615ULL, "", "n1", "n9", "0s",
      "10s", "41s", "-5ms", "1.5", "999999999999999999m", ".5s", "a/b~c", std::string(300, 'x'), json::array(),
      json::object(), json::array({"n1", "n2"}), json::array({json::array({"n1"})}), json{{"dist", "fixed"}},
      json{{"dist", "uniform"}, {"min", "1ms"}, {"max", "2ms"}}, "crash", "partition", "heal", "write",
      "detected_down", "readonly_minority"};
  const std::vector<std::string> keys = {"at", "do", "node", "for", "groups", "from", "to", "latency", "loss", "both",
                                         "offset", "drift", "check", "by", "within", "grace", "x", "name", "start"};

  int loaded = 0, failed = 0;
  for (int round = 0; round < 3000; ++round) {
    json doc = full();
    const int edits = 1 + static_cast<int>(pick(3));
    for (int e = 0; e < edits; ++e) {
      std::vector<std::string> pointers;
      collect_pointers(doc, "", pointers);
      const json::json_pointer target(pointers[pick(pointers.size())]);
      json& node = doc[target];
      switch (pick(4)) {
        case 0:
          node = values[pick(values.size())];
          break;
        case 1:
          if (target.empty()) {
            doc = json::object();
          } else if (json& parent = doc[target.parent_pointer()]; parent.is_array()) {
            parent.erase(std::stoul(target.back()));
          } else {
            parent.erase(target.back());
          }
          break;
        case 2:
          if (node.is_object()) node[keys[pick(keys.size())]] = values[pick(values.size())];
          else if (node.is_array()) node.push_back(values[pick(values.size())]);
          break;
        default:
          if (node.is_array() && !node.empty()) node.push_back(node[pick(node.size())]);
          else if (node.is_object() && !node.empty()) node[keys[pick(keys.size())]] = node.begin().value();
          break;
      }
      if (!doc.is_object() && !doc.is_array()) break;  // the root itself was replaced
    }
    INFO("round " << round << ": " << doc.dump());
    (check_outcome(doc.dump()) ? loaded : failed)++;
  }
  // Both paths must have been exercised, or the mutations are too tame or too wild.
  INFO("structural mutations: " << loaded << " loaded, " << failed << " failed");
  CHECK(loaded > 100);
  CHECK(failed > 100);

  const std::string alphabet = "{}[]\",:0123456789.-eE nmsutrfal\\\n";
  const std::string base = full().dump(2);
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(pick(4));
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = pick(text.size());
      switch (pick(4)) {
        case 0: text.erase(at, 1 + pick(8)); break;
        case 1: text.insert(at, 1, alphabet[pick(alphabet.size())]); break;
        case 2: text[at] = alphabet[pick(alphabet.size())]; break;
        default: text[at] = static_cast<char>(pick(256)); break;
      }
    }
    INFO("text round " << round << ": " << text);
    check_outcome(text);
  }
}

TEST_CASE("loader: every good fixture and shipped scenario loads, every bad fixture fails", "[loader]") {
  namespace fs = std::filesystem;
  auto json_files = [](const fs::path& dir) {
    std::vector<fs::path> files;
    if (fs::is_directory(dir))
      for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().extension() == ".json" && entry.path().filename() != "schema.json")
          files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
  };
  const fs::path data = MABEAM_TEST_DATA;
  std::vector<fs::path> good = json_files(fs::path(MABEAM_SOURCE_DIR) / "scenarios");
  const auto fixtures = json_files(data / "good_scenarios");
  good.insert(good.end(), fixtures.begin(), fixtures.end());
  REQUIRE(fixtures.size() >= 2);
  for (const auto& path : good) {
    auto r = mabeam::sim::load_scenario_file(path.string());
    INFO(path.string() << ": " << r.status().message());
    CHECK(r.is_ok());
  }
  const auto bad = json_files(data / "bad_scenarios");
  REQUIRE(bad.size() >= 12);
  for (const auto& path : bad) {
    auto r = mabeam::sim::load_scenario_file(path.string());
    INFO(path.string());
    REQUIRE_FALSE(r.is_ok());
    // The message names the file, then a pointer (or a JSON position).
    CHECK(r.status().message().rfind(path.string() + ": ", 0) == 0);
  }
}

TEST_CASE("loader: crash takes a disk mode and the disk block a sync latency, strictly", "[loader]") {
  json j = full();
  j["events"] = json::array({{{"at", "1s"}, {"do", "crash"}, {"node", "n1"}, {"disk", "lose_unsynced"}},
                             {{"at", "2s"}, {"do", "crash"}, {"node", "n2"}, {"disk", "keep_unsynced"}},
                             {{"at", "3s"}, {"do", "crash"}, {"node", "n3"}}});
  j["disk"] = {{"sync_latency", {{"dist", "fixed"}, {"value", "2ms"}}}};
  auto r = parse_scenario(j.dump());
  REQUIRE(r.is_ok());
  CHECK(r->events[0].disk == mabeam::sim::CrashDisk::lose_unsynced);
  CHECK(r->events[1].disk == mabeam::sim::CrashDisk::keep_unsynced);
  CHECK(r->events[2].disk == mabeam::sim::CrashDisk::random);
  CHECK(r->disk_sync_latency.dist == mabeam::sim::Latency::Dist::fixed);
  CHECK(r->disk_sync_latency.value == ms(2));
  j["events"][0]["disk"] = "sometimes";
  auto bad = parse_scenario(j.dump());
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message() == "/events/0/disk: expected one of random, lose_unsynced, keep_unsynced, found \"sometimes\"");
  j["events"][0]["disk"] = "random";
  j["disk"] = {{"latency", "1ms"}};
  auto bad_key = parse_scenario(j.dump());
  REQUIRE_FALSE(bad_key.is_ok());
  CHECK(bad_key.status().message().find("/disk/latency: unknown key") == 0);
}

TEST_CASE("loader: config.consensus and strong variables are read strictly, errors naming the pointer", "[loader]") {
  json j = full();
  j["variables"] = json::array({{{"name", "r"}, {"consistency", "strong"}}});
  j["workload"] = json::array({{{"kind", "mixed"}, {"var", "r"}, {"rate", 5}}});
  j["events"] = json::array({{{"at", "1s"}, {"do", "cas"}, {"node", "n1"}, {"var", "r"}, {"expected", nullptr}, {"value", 2}},
                             {{"at", "2s"}, {"do", "add_voter"}, {"node", "n5"}},
                             {{"at", "3s"}, {"do", "transfer_leader"}, {"node", "n2"}}});
  j["expect"] = json::array({{{"check", "single_leader_per_term"}}, {{"check", "no_lost_writes"}}, {{"check", "linearizable"}, {"var", "r"}}});
  j["config"] = {{"consensus", {{"voters", {"n1", "n2", "n3"}}, {"election_timeout", "300ms"}, {"heartbeat_interval", "30ms"},
                                {"snapshot_entries", 50}, {"max_inflight", 8}, {"read", "lease"}, {"op_timeout", "1s"}}},
                 {"max_drift", 0.02}};
  auto r = parse_scenario(j.dump());
  REQUIRE(r.is_ok());
  const auto& c = r->setup.consensus;
  CHECK(c.configured);
  CHECK(c.config.voters == std::vector<std::string>{"n1", "n2", "n3"});
  CHECK(c.config.election_timeout == ms(300));
  CHECK(c.config.snapshot_entries == 50);
  CHECK(c.config.read == mabeam::raft::ReadMode::lease);
  CHECK(c.config.max_drift == 0.02);
  CHECK(c.strong_vars == std::vector<std::string>{"r"});
  CHECK(r->events[0].expected == "null");
  CHECK(r->events[0].value == "2");
  REQUIRE(r->expect.size() == 3);
  CHECK(r->expect[2].check == "linearizable");
  CHECK(r->expect[2].var == "r");

  auto err = [&](const std::string& pointer, const json& value) {
    json k = j;
    k[json::json_pointer(pointer)] = value;
    auto res = parse_scenario(k.dump());
    return res.is_ok() ? std::string("loaded") : res.status().message();
  };
  CHECK(err("/config/consensus/voters", json::array({"n1", "n9"})) ==
        "/config/consensus/voters/1: expected one of the scenario's nodes (n1..n5), found \"n9\"");
  CHECK(err("/config/consensus/voters", json::array({"n1", "n1"})) ==
        "/config/consensus/voters/1: expected a node not listed before, found \"n1\"");
  CHECK(err("/config/consensus/read", "quorum") == "/config/consensus/read: expected \"read_index\" or \"lease\", found \"quorum\"");
  CHECK(err("/config/consensus/election_timeout", "50ms") ==
        "/config/consensus/election_timeout: expected at least 3 heartbeat intervals (90ms), found 50ms");
  CHECK(err("/config/consensus/max_inflight", 0) == "/config/consensus/max_inflight: expected an integer from 1 to 4096, found 0");
  CHECK(err("/config/consensus/term", 1).find("/config/consensus/term: unknown key") == 0);
  CHECK(err("/config/max_drift", 0.5) == "/config/max_drift: expected a clock drift rate from 0 to 0.1 (e.g. 0.01 = 1%), found 0.5");
  CHECK(err("/variables/0/on_minority", "available").find("/variables/0/on_minority: does not apply to a strong variable") == 0);
  CHECK(err("/events/0/value", nullptr) == "/events/0/value: expected a number, a string or a boolean, found null");
  CHECK(err("/events/0/expected", json::array()) == "/events/0/expected: expected a number, a string, a boolean or null, found an empty array");
  CHECK(err("/expect/2/var", "q") == "/expect/2/var: expected a variable declared in /variables (r), found \"q\"");
  CHECK(err("/expect/2/var", 7) == "/expect/2/var: expected a variable declared in /variables (r), found 7");
  CHECK(err("/expect/2", {{"check", "linearizable"}}) ==
        "/expect/2/var: required key is missing (expected a strong variable declared in /variables)");
  CHECK(err("/expect/2/within", "1s").find("/expect/2/within: unknown key") == 0);
  json eventual = j;
  eventual["variables"].push_back({{"name", "e"}});
  eventual["expect"][2]["var"] = "e";
  auto ev = parse_scenario(eventual.dump());
  REQUIRE_FALSE(ev.is_ok());
  CHECK(ev.status().message() ==
        "/expect/2/var: expected a strong variable (only consistency \"strong\" promises linearizability), found \"e\"");
}
