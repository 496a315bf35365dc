// Cut layers (sim/network.h, sim/history.h): a link is cut while any layer cuts it, a
// partition replaces only its own layer's groups, a heal ends only its own layer's cuts; the
// trace carries the layer and the history the checks read combines the layers the same way.
#include <catch2/catch.hpp>

#include "sim/history.h"
#include "sim/network.h"
#include "sim/runner.h"
#include "sim_test_util.h"

using namespace mabeam;

TEST_CASE("network: a link is cut while any layer cuts it, and a heal ends only its own layer", "[layers]") {
  sim::Network net(3, test::fixed_latency(ms(1)), 1);
  net.partition("", {0, 1, 1});        // n1 | n2 n3
  net.partition("swarm1", {0, 0, 1});  // n1 n2 | n3
  CHECK(net.cut(0, 1));
  CHECK(net.cut(1, 2));
  CHECK(net.cut(0, 2));
  net.heal("");  // the scripted heal: n1-n2 join again, n3 stays cut off by swarm1
  CHECK_FALSE(net.cut(0, 1));
  CHECK(net.cut(1, 2));
  CHECK(net.cut(2, 0));
  net.partition_oneway("swarm2", {0}, {1});
  CHECK(net.cut(0, 1));
  CHECK_FALSE(net.cut(1, 0));
  net.heal("swarm1");
  CHECK_FALSE(net.cut(1, 2));
  CHECK(net.cut(0, 1));  // swarm2's one-way cut is still there
  net.heal("swarm2");
  CHECK_FALSE(net.cut(0, 1));
  // A partition replaces only its own layer's groups.
  net.partition("", {0, 1, 1});
  net.partition("swarm3", {0, 0, 1});
  net.partition("", {0, 0, 0});
  CHECK_FALSE(net.cut(0, 1));
  CHECK(net.cut(0, 2));
}

namespace {
const char* kLayered = R"({
  "name": "layers", "duration": "10s", "nodes": 4,
  "network": {"latency": {"dist": "fixed", "value": "1ms"}},
  "config": {"heartbeat": {"interval": "100ms", "down_after": "500ms"}},
  "events": [
    {"at": "1s", "do": "partition", "groups": [["n1"]]},
    {"at": "2s", "do": "partition", "groups": [["n4"]], "layer": "swarm1"},
    {"at": "3s", "do": "heal"},
    {"at": "4s", "do": "partition_oneway", "from": "n2", "to": "n3", "layer": "swarm2"},
    {"at": "5s", "do": "heal", "layer": "swarm1"},
    {"at": "6s", "do": "heal", "layer": "swarm2"}
  ]
})";
}  // namespace

TEST_CASE("world: layered cuts are traced with their layer and the history combines them", "[layers]") {
  auto sc = sim::parse_scenario(kLayered);
  REQUIRE(sc.is_ok());
  CHECK(sc->events[1].layer == "swarm1");
  CHECK(sc->events[2].layer.empty());
  const auto r = sim::run_scenario(*sc, {});
  const auto heals = test::records_of(r.trace, "heal");
  REQUIRE(heals.size() == 3);
  CHECK_FALSE(heals[0].fields.contains("layer"));  // the scripted layer is not named
  CHECK(heals[1].fields.at("layer") == "swarm1");
  CHECK(test::records_of(r.trace, "partition")[1].fields.at("layer") == "swarm1");
  CHECK(test::records_of(r.trace, "partition_oneway")[0].fields.at("layer") == "swarm2");

  auto trace = sim::parse_trace_text(r.trace);
  REQUIRE(trace.is_ok());
  const sim::History h(*trace, sc->duration);
  CHECK(h.cut_at("n1", "n2", sec(2) + ms(500)));
  CHECK(h.cut_at("n4", "n2", sec(2) + ms(500)));
  // The scripted heal at 3s rejoins n1 but leaves swarm1's cut of n4 in place.
  CHECK_FALSE(h.cut_at("n1", "n2", sec(3) + ms(500)));
  CHECK(h.cut_at("n4", "n1", sec(3) + ms(500)));
  CHECK(h.cut_at("n2", "n3", sec(5) + ms(500)));
  CHECK_FALSE(h.cut_at("n3", "n2", sec(5) + ms(500)));
  CHECK_FALSE(h.cut_at("n4", "n1", sec(5) + ms(500)));
  CHECK_FALSE(h.cut_at("n2", "n3", sec(6) + ms(500)));

  // Messages obey the same rule: nothing crosses from n1 to n4 between 3s and 5s.
  for (const auto& rec : test::records_of(r.trace, "msg_recv"))
    if (rec.node == "n4" && rec.fields.at("from") == "n1") CHECK((rec.t < sec(2) || rec.t > sec(5)));

  // The splits: the common refinement of the layers' symmetric partitions.
  const auto& splits = h.splits();
  REQUIRE(splits.size() == 3);
  CHECK(splits[0].begin == sec(1));
  CHECK(splits[0].groups == std::vector<std::vector<std::string>>{{"n1"}, {"n2", "n3", "n4"}});
  CHECK(splits[1].begin == sec(2));
  CHECK(splits[1].groups == std::vector<std::vector<std::string>>{{"n1"}, {"n4"}, {"n2", "n3"}});
  CHECK(splits[2].begin == sec(3));
  CHECK(splits[2].end == sec(5));
  CHECK(splits[2].groups == std::vector<std::vector<std::string>>{{"n4"}, {"n1", "n2", "n3"}});
}

TEST_CASE("history: a partition that leaves the groups as they were does not start a new split", "[layers]") {
  const std::string text =
      "{\"trace\":\"mabeam\",\"version\":1,\"source\":\"sim\",\"seed\":1,\"scenario\":\"t\",\"nodes\":[\"a\",\"b\",\"c\"]}\n"
      "{\"t\":100,\"node\":\"*\",\"ev\":\"partition\",\"groups\":[[\"a\"],[\"b\",\"c\"]]}\n"
      "{\"t\":200,\"node\":\"*\",\"ev\":\"partition\",\"groups\":[[\"a\"]],\"layer\":\"x\"}\n"
      "{\"t\":300,\"node\":\"*\",\"ev\":\"heal\",\"layer\":\"x\"}\n"
      "{\"t\":400,\"node\":\"*\",\"ev\":\"heal\"}\n";
  auto trace = sim::parse_trace_text(text);
  REQUIRE(trace.is_ok());
  const sim::History h(*trace, 1000);
  REQUIRE(h.splits().size() == 1);
  CHECK(h.splits()[0].begin == 100);
  CHECK(h.splits()[0].end == 400);
}

TEST_CASE("loader: a cut layer is a name, on partition, partition_oneway and heal only", "[layers]") {
  auto error = [](const std::string& event) {
    auto r = sim::parse_scenario(R"({"name": "l", "duration": "10s", "nodes": 3, "events": [)" + event + "]}");
    return r.is_ok() ? std::string("loaded") : r.status().message();
  };
  CHECK(error(R"({"at": "1s", "do": "heal", "layer": "a b"})") ==
        "/events/0/layer: expected a cut layer name of 1 to 64 letters, digits, '_' or '-', found \"a b\"");
  CHECK(error(R"({"at": "1s", "do": "heal", "layer": 3})") ==
        "/events/0/layer: expected a cut layer name of 1 to 64 letters, digits, '_' or '-', found 3");
  CHECK(error(R"({"at": "1s", "do": "crash", "node": "n1", "layer": "x"})") ==
        "/events/0/layer: unknown key for \"crash\" (expected one of at, do, node, disk, as, chosen)");
  CHECK(error(R"({"at": "1s", "do": "partition_oneway", "from": "n1", "to": "n2", "layer": "x"})") == "loaded");
}
