// Distributed variables on real node processes: declared in the config file, written over
// HTTP on one node, they converge on the others (eventual consistency through replication
// and anti-entropy over the TCP transport); a counter sums increments made on every node;
// bad requests get clear errors. SWIM membership with fast timers; the nodes are started by
// the NodeCluster fixture (node_cluster.h); every wait is bounded and polls /status or
// /variables; every child is killed and reaped by its destructor.
#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>
#include <sstream>

#include "node_cluster.h"

using namespace mabeam::testing;
using nlohmann::json;
using mabeam::real::Millis;

namespace {

constexpr auto kConverge = Millis(10000);

constexpr const char* kVariablesConfig = R"({
  "variables": [
    {"name": "x", "consistency": "eventual", "resolve": "lww", "replicas": 3},
    {"name": "hits", "consistency": "eventual", "resolve": "g_counter", "replicas": 3},
    {"name": "tags", "consistency": "eventual", "resolve": "or_set", "replicas": 3}
  ],
  "capabilities": ["gpu"],
  "resources": {"cpu": 4},
  "config": {"membership": {"probe_interval": "100ms", "probe_timeout": "50ms"},
             "variables": {"anti_entropy_interval": "100ms"}}
})";

struct VarCluster : NodeCluster {
  VarCluster() : NodeCluster(kVariablesConfig) {}

  // Three nodes, n2 and n3 seeded with n1; waits until each sees the others active.
  void form() {
    start("n1", "");
    start("n2", addr("n1"));
    start("n3", addr("n1"));
    REQUIRE(formed({"n1", "n2", "n3"}, Millis(10000)));
    REQUIRE(writable({"n1", "n2", "n3"}, Millis(10000)));
  }

  // `var`'s value on `node` (null if it does not answer 200).
  json read(const std::string& node, const std::string& var) {
    auto r = request(node, "GET", "/variables/" + var);
    if (r.status != 200) return json();
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json() : j["value"];
  }

  bool all_read(const std::string& var, const json& want) {
    return mabeam::real::wait_until(
        [&] {
          for (const auto& n : {"n1", "n2", "n3"})
            if (read(n, var) != want) return false;
          return true;
        },
        kConverge, Millis(50));
  }
};

}  // namespace

TEST_CASE("variables: an eventual variable written on one real node converges on the others", "[real]") {
  VarCluster c;
  c.form();
  CHECK(c.read("n2", "x").is_null());  // never written
  auto w = c.request("n1", "PUT", "/variables/x", R"({"v": 1})");
  INFO(w.body);
  REQUIRE(w.status == 200);
  CHECK(json::parse(w.body)["ok"] == true);
  CHECK(c.all_read("x", json{{"v", 1}}));
  // A later write on another node wins everywhere (last writer wins on hybrid clocks).
  REQUIRE(c.request("n3", "PUT", "/variables/x", "\"second\"").status == 200);
  CHECK(c.all_read("x", "second"));
  // /status lists the variables with their values, and each member's gossiped node info.
  auto status = json::parse(c.request("n2", "GET", "/status").body);
  CHECK(status["variables"]["x"] == "second");
  bool n1_info = false;
  for (const auto& m : status["members"])
    if (m["name"] == "n1") n1_info = m.value("capabilities", json()) == json::array({"gpu"}) && m["resources"]["cpu"] == 4;
  CHECK(n1_info);
}

TEST_CASE("variables: increments made on every real node sum up on every node, and or_set adds and removes converge", "[real]") {
  VarCluster c;
  c.form();
  for (const auto& n : {"n1", "n2", "n3"})
    for (int i = 0; i < 3; ++i) REQUIRE(c.request(n, "POST", "/variables/hits?op=incr", "2").status == 200);
  CHECK(c.all_read("hits", 18));
  REQUIRE(c.request("n1", "POST", "/variables/tags?op=add", "\"a\"").status == 200);
  REQUIRE(c.request("n2", "POST", "/variables/tags?op=add", "\"b\"").status == 200);
  CHECK(c.all_read("tags", json::array({"a", "b"})));
  REQUIRE(c.request("n3", "POST", "/variables/tags?op=remove", "\"a\"").status == 200);
  CHECK(c.all_read("tags", json::array({"b"})));
}

TEST_CASE("variables: bad requests to /variables get clear errors and change nothing", "[real]") {
  VarCluster c;
  c.start("n1", "");
  auto unknown = c.request("n1", "GET", "/variables/nope");
  CHECK(unknown.status == 404);
  CHECK(unknown.body.find("unknown variable \"nope\"") != std::string::npos);
  auto not_json = c.request("n1", "PUT", "/variables/x", "{oops");
  CHECK(not_json.status == 400);
  CHECK(not_json.body.find("not a JSON value") != std::string::npos);
  auto empty = c.request("n1", "PUT", "/variables/x", "");
  CHECK(empty.status == 400);
  auto no_op = c.request("n1", "POST", "/variables/x", "1");
  CHECK(no_op.status == 400);
  CHECK(no_op.body.find("needs ?op=") != std::string::npos);
  auto wrong_op = c.request("n1", "POST", "/variables/hits?op=set", "5");
  CHECK(wrong_op.status == 409);
  CHECK(wrong_op.body.find("does not apply to a g_counter") != std::string::npos);
  auto negative = c.request("n1", "POST", "/variables/hits?op=incr", "-1");
  CHECK(negative.status == 409);
  CHECK(c.read("n1", "x").is_null());
  CHECK(c.read("n1", "hits") == 0);  // a counter never incremented reads 0
  auto del = c.request("n1", "DELETE", "/variables/x");
  CHECK(del.status == 405);
  auto list = json::parse(c.request("n1", "GET", "/variables").body);
  REQUIRE(list["variables"].size() == 3);
  CHECK(list["variables"][0]["name"] == "x");
  CHECK(list["variables"][1]["resolve"] == "g_counter");
  auto status = json::parse(c.request("n1", "GET", "/status").body);
  CHECK(status["mode"] == "normal");
}

TEST_CASE("variables: the traces of the real nodes merge into one trace on one clock", "[real]") {
  VarCluster c;
  c.form();
  REQUIRE(c.request("n1", "PUT", "/variables/x", "7").status == 200);
  REQUIRE(c.all_read("x", 7));
  for (const auto& n : {"n1", "n2", "n3"}) c.node(n).process->signal(SIGTERM);
  for (const auto& n : {"n1", "n2", "n3"}) REQUIRE(c.node(n).process->wait_exit(Millis(5000)) == 0);
  const std::string out = c.dir().file("all.jsonl");
  auto merge = mabeam::real::ChildProcess::spawn({MABEAM_BINARY, "trace", "merge", c.dir().file("n1.jsonl"),
                                                  c.dir().file("n2.jsonl"), c.dir().file("n3.jsonl"), "-o", out});
  REQUIRE(merge);
  REQUIRE((*merge)->wait_exit(Millis(5000)) == 0);
  std::istringstream lines(mabeam::real::read_text_file(out));
  std::string line;
  REQUIRE(std::getline(lines, line));
  const json header = json::parse(line);
  CHECK(header["nodes"] == json::array({"n1", "n2", "n3"}));
  std::int64_t last = 0, applied_elsewhere = 0, starts = 0;
  bool ordered = true;
  while (std::getline(lines, line)) {
    const json e = json::parse(line);
    ordered = ordered && e["t"].get<std::int64_t>() >= last;
    last = e["t"].get<std::int64_t>();
    starts += e["ev"] == "node_start";
    applied_elsewhere += e["ev"] == "var_apply" && e["origin"] == "n1" && e["node"] != "n1";
  }
  CHECK(ordered);
  CHECK(starts == 3);
  CHECK(applied_elsewhere == 2);  // n1's write applied on n2 and n3, both in the one trace
}
