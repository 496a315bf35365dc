// Agents on five real node processes (DESIGN.md "Agents", "Real node endpoints"): agents
// spawned over HTTP on several nodes, a ring of pingers answering each other across the TCP
// transport, messages by name answered with the reply, kill -9 of one node: its agents'
// monitors fire noconnection on the others, a supervisor elsewhere restarts what it
// supervised there, and the names it held become free. The registry's sequencer is n1.
// Every wait is bounded and polls the nodes' /agents; every child is killed and reaped.
#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>

#include "node_cluster.h"

using namespace mabeam::testing;
using nlohmann::json;
using mabeam::real::Millis;
using mabeam::real::wait_until;

namespace {

constexpr const char* kConfig = R"({
  "config": {"membership": {"probe_interval": "100ms", "probe_timeout": "50ms"},
             "agents": {"sequencer": "n1", "name_lease": "2s", "registry_timeout": "2s", "call_timeout": "3s"}}
})";

const std::vector<std::string> kNodes = {"n1", "n2", "n3", "n4", "n5"};

struct AgentCluster : NodeCluster {
  AgentCluster() : NodeCluster(kConfig) {}

  void form() {
    start("n1", "");
    for (std::size_t i = 1; i < kNodes.size(); ++i) start(kNodes[i], addr("n1"));
    REQUIRE(formed(kNodes, Millis(15000)));
  }

  json post(const std::string& node, const std::string& path, const json& body, int* status = nullptr) {
    auto r = request(node, "POST", path, body.dump());
    if (status) *status = r.status;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json(r.body) : j;
  }

  // Spawns on `node`, retrying while the registry is not reachable yet; the new id.
  std::string spawn(const std::string& node, const json& spec) {
    std::string id;
    wait_until(
        [&] {
          int status = 0;
          json r = post(node, "/agents", spec, &status);
          if (status == 201) id = r["agent"];
          return status == 201;
        },
        Millis(10000), Millis(100));
    INFO(node << " spawn " << spec.dump());
    REQUIRE(!id.empty());
    return id;
  }

  // The agent named `name` as `node`'s GET /agents lists it (null if not there).
  json agent(const std::string& node, const std::string& name) {
    auto r = request(node, "GET", "/agents");
    if (r.status != 200) return json();
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return json();
    for (const auto& a : j["agents"])
      if (a.value("name", "") == name) return a;
    return json();
  }
};

}  // namespace

TEST_CASE("agents: spawned over HTTP on five real nodes, a pinger ring, messages, and a kill -9", "[real]") {
  AgentCluster c;
  c.form();
  // The ring: ring_k on nk pings ring_k+1.
  for (int k = 1; k <= 5; ++k)
    c.spawn("n" + std::to_string(k), {{"type", "pinger"}, {"name", "ring_" + std::to_string(k)},
                                      {"state", {{"peer", "ring_" + std::to_string(k % 5 + 1)}, {"every", "200ms"}}}});
  const std::string total = c.spawn("n2", {{"type", "counter"}, {"name", "total"}});
  CHECK(total.rfind("n2.", 0) == 0);
  c.spawn("n4", {{"type", "pinger"}, {"name", "target"}, {"state", {{"peer", "ring_1"}, {"every", "500ms"}}}});
  c.spawn("n1", {{"type", "pinger"}, {"name", "watch_1"}, {"state", {{"peer", "target"}, {"every", "500ms"}, {"monitor", true}}}});
  c.spawn("n3", {{"type", "pinger"}, {"name", "watch_3"}, {"state", {{"peer", "target"}, {"every", "500ms"}, {"monitor", true}}}});
  c.spawn("n1", {{"type", "supervisor"}, {"name", "sup"},
                 {"state", {{"intensity", 3}, {"period", "10s"},
                            {"children", json::array({{{"type", "echo"}, {"name", "worker"}, {"node", json::array({"n4", "n5"})}}})}}}});
  REQUIRE(wait_until([&] { return !c.agent("n4", "worker").is_null(); }, Millis(5000), Millis(100)));

  // Messages by name from any node, answered once handled; async once enqueued.
  int status = 0;
  json r = c.post("n3", "/agents/total/messages", {{"inc", 2}}, &status);
  INFO(r.dump());
  CHECK(status == 200);
  CHECK(r["outcome"] == "ok");
  CHECK(r["reply"] == 2);
  CHECK(r["agent"] == total);
  c.post("n5", "/agents/total/messages?async=true", {{"inc", 3}}, &status);
  CHECK(status == 202);
  CHECK(wait_until([&] { return c.post("n1", "/agents/" + total + "/messages", "get")["reply"] == 5; }, Millis(3000)));
  // A message to a name nobody holds, and a request without the token.
  r = c.post("n1", "/agents/nobody/messages", 1, &status);
  CHECK(status == 404);
  CHECK(r["outcome"] == "fail");
  CHECK(mabeam::real::http_request(c.node("n1").http, "GET", "/agents").status == 401);
  // /status lists the node's agents; /metrics counts them.
  json st = c.status("n2");
  bool listed = false;
  for (const auto& a : st["agents"]) listed = listed || a["id"] == total;
  CHECK(listed);
  CHECK(c.metric("n2", "mabeam_agents") >= 2);
  CHECK(c.metric("n2", "mabeam_agent_messages_in_total") >= 3);

  // The ring answers: every pinger has pongs.
  CHECK(wait_until(
      [&] {
        for (int k = 1; k <= 5; ++k) {
          json a = c.agent("n" + std::to_string(k), "ring_" + std::to_string(k));
          if (a.is_null() || a["state"].value("pongs", 0) < 3) return false;
        }
        return true;
      },
      Millis(10000), Millis(100)));

  // kill -9 of n4.
  c.node("n4").process->signal(SIGKILL);
  CHECK(c.node("n4").process->wait_exit(Millis(2000)) == -SIGKILL);
  // The monitors on n1 and n3 fire noconnection.
  for (const auto& [node, name] : {std::pair{"n1", "watch_1"}, std::pair{"n3", "watch_3"}}) {
    INFO(name);
    CHECK(wait_until([&, node = node, name = name] {
      json a = c.agent(node, name);
      return !a.is_null() && a["state"].value("downs", 0) == 1 && a["state"].value("last_down", "") == "noconnection";
    }, Millis(10000), Millis(100)));
  }
  // The supervisor on n1 restarts worker on n5, once n4's lease has expired and freed the name.
  CHECK(wait_until([&] { return !c.agent("n5", "worker").is_null(); }, Millis(15000), Millis(100)));
  CHECK(c.agent("n1", "sup")["state"].value("restarts", 0) >= 1);
  // And target's name is free: another node can take it.
  const std::string again = c.spawn("n3", {{"type", "counter"}, {"name", "target"}});
  CHECK(again.rfind("n3.", 0) == 0);

  // DELETE ends an agent; a message to it afterwards fails.
  auto d = c.request("n2", "DELETE", "/agents/total");
  INFO(d.body);
  CHECK(d.status == 200);
  CHECK(wait_until([&] {
    int s = 0;
    c.post("n5", "/agents/total/messages", {{"inc", 1}}, &s);
    return s == 404;
  }, Millis(5000), Millis(100)));
}

TEST_CASE("agents: bad requests to /agents get clear errors", "[real]") {
  AgentCluster c;
  c.start("n1", "");
  int status = 0;
  json r = c.post("n1", "/agents", {{"type", "unicorn"}}, &status);
  CHECK(status == 400);
  CHECK(r["error"] == "unknown agent type \"unicorn\"");
  r = c.post("n1", "/agents", {{"type", "counter"}, {"colour", "red"}}, &status);
  CHECK(status == 400);
  CHECK(r["error"] == "unknown key \"colour\" (expected type, name, state, durable, node)");
  r = c.post("n1", "/agents", {{"type", "counter"}, {"state", {{"count", "many"}}}}, &status);
  CHECK(status == 400);
  auto garbage = c.request("n1", "POST", "/agents", "{not json");
  CHECK(garbage.status == 400);
  auto path = c.request("n1", "POST", "/agents/bad.name.x/messages", "1");
  CHECK(path.status == 400);
  auto put = c.request("n1", "PUT", "/agents", "{}");
  CHECK(put.status == 405);
  const std::string id = c.spawn("n1", {{"type", "counter"}, {"name", "one"}});
  r = c.post("n1", "/agents", {{"type", "counter"}, {"name", "one"}}, &status);
  CHECK(status == 409);
  CHECK(r["error"] == "name \"one\" is held by " + id);
}
