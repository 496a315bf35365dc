// The shipped agents scenarios run in the simulator: each holds its expectations and two
// runs give the same trace; each shows what its description promises (monitors and links
// firing noconnection, a supervisor giving up past its intensity, a registry race with one
// winner and one told); and each test-only fault of the agent service (RunOptions
// agent_faults) is caught by the check that exists for it.
#include <catch2/catch.hpp>

#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/sim/sim_test_util.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {
Scenario load(const std::string& name) {
  auto sc = load_scenario_file(std::string(MABEAM_SOURCE_DIR) + "/scenarios/" + name);
  REQUIRE(sc.is_ok());
  return *sc;
}

RunResult run_file(const std::string& name, agents::AgentBugs faults = {}, std::uint64_t seed = 0) {
  RunOptions o;
  o.agent_faults = faults;
  if (seed) o.seed = seed;
  return run_scenario(load(name), o);
}

std::string details(const RunResult& r) {
  std::string s;
  for (const auto& c : r.checks) s += (c.ok ? "ok   " : "FAIL ") + c.check + ": " + c.detail + "\n";
  return s;
}

void holds_and_replays(const std::string& name) {
  INFO(name);
  const RunResult a = run_file(name);
  INFO(details(a));
  CHECK(a.ok);
  const RunResult b = run_file(name);
  CHECK(a.trace_sha256 == b.trace_sha256);
}

const CheckResult& check_named(const RunResult& r, const std::string& prefix) {
  for (const auto& c : r.checks)
    if (c.check.rfind(prefix, 0) == 0) return c;
  FAIL("no check " << prefix);
  return r.checks.front();
}

std::string field(const TraceRecord& r, const char* k) { return r.fields.value(k, std::string()); }
}  // namespace

TEST_CASE("agents sim: every shipped agents scenario holds and replays", "[agents][sim]") {
  for (const char* f : {"agents-pinger-ring.json", "agents-node-crash.json", "agents-supervisor-intensity.json",
                        "agents-registry-race.json", "agents-partition-messages.json", "swarm-agents.json"})
    holds_and_replays(f);
}

TEST_CASE("agents sim: a ring of pingers answers every ping", "[agents][sim]") {
  const RunResult r = run_file("agents-pinger-ring.json");
  const auto spawns = test::records_of(r.trace, "agent_spawn");
  REQUIRE(spawns.size() == 6);
  // Each pinger's pings arrive at the next one: deliveries from ring_k's id to ring_k+1's.
  std::map<std::string, std::string> id_of;
  for (const auto& s : spawns) id_of[field(s, "name")] = field(s, "agent");
  std::map<std::string, int> pings;
  for (const auto& d : test::records_of(r.trace, "agent_deliver")) pings[field(d, "from") + ">" + field(d, "agent")]++;
  for (int k = 1; k <= 5; ++k) {
    const std::string from = id_of["ring_" + std::to_string(k)], to = id_of["ring_" + std::to_string(k % 5 + 1)];
    INFO(from << " > " << to);
    CHECK(pings[from + ">" + to] > 40);  // every 500ms for ~28s, over 1% loss
  }
}

TEST_CASE("agents sim: a node crash fires monitors and links with noconnection, and the supervisor restarts elsewhere",
          "[agents][sim]") {
  const RunResult r = run_file("agents-node-crash.json");
  std::set<std::string> watchers;
  for (const auto& d : test::records_of(r.trace, "agent_down"))
    if (field(d, "reason") == "noconnection" && d.t >= sec(10) && d.t < sec(11)) watchers.insert(d.node);
  CHECK(watchers == std::set<std::string>{"n1", "n2"});
  bool tied_ended = false, worker_on_n5 = false;
  for (const auto& s : test::records_of(r.trace, "agent_stop"))
    if (field(s, "name") == "tied" && field(s, "reason") == "noconnection") tied_ended = true;
  for (const auto& s : test::records_of(r.trace, "agent_spawn"))
    if (field(s, "name") == "worker" && s.node == "n5" && s.t > sec(10)) worker_on_n5 = true;
  CHECK(tied_ended);
  CHECK(worker_on_n5);
}

TEST_CASE("agents sim: a supervisor restarts its child three times, then gives up with shutdown", "[agents][sim]") {
  const RunResult r = run_file("agents-supervisor-intensity.json");
  int flaky_spawns = 0;
  for (const auto& s : test::records_of(r.trace, "agent_spawn")) flaky_spawns += field(s, "name") == "flaky";
  CHECK(flaky_spawns == 4);  // the first and three restarts
  std::string sup_end;
  TimeUs sup_end_at = 0;
  for (const auto& s : test::records_of(r.trace, "agent_stop"))
    if (field(s, "name") == "sup") {
      sup_end = field(s, "reason");
      sup_end_at = s.t;
    }
  CHECK(sup_end == "shutdown");
  CHECK(sup_end_at >= sec(10));
  CHECK(sup_end_at < sec(11));
}

TEST_CASE("agents sim: a registry race during a partition has one winner, and the other is told", "[agents][sim]") {
  const RunResult r = run_file("agents-registry-race.json");
  std::vector<std::string> lock;  // node: ok or the error, in order
  for (const auto& n : test::records_of(r.trace, "agent_name"))
    if (field(n, "name") == "lock") lock.push_back(n.node + " " + (n.fields.value("ok", false) ? "ok" : field(n, "error")));
  REQUIRE(lock.size() == 3);
  CHECK(lock[0] == "n2 ok");
  CHECK(lock[1].rfind("n4 registry: no answer within 3000ms", 0) == 0);
  CHECK(lock[2].rfind("n4 name \"lock\" is held by n2.", 0) == 0);
  // The cut-off holder of svc stopped dispatching, then ended once it heard its lease expired.
  bool suspended = false, expired = false;
  for (const auto& s : test::records_of(r.trace, "agent_suspend")) suspended = suspended || s.node == "n3";
  for (const auto& s : test::records_of(r.trace, "agent_stop"))
    expired = expired || (s.node == "n3" && field(s, "reason") == "lease_expired");
  CHECK(suspended);
  CHECK(expired);
}

TEST_CASE("agents sim: a message handed over twice is caught by agent_reachable and agent_state", "[agents][sim][faults]") {
  agents::AgentBugs f;
  f.duplicate_delivery = true;
  const RunResult r = run_file("agents-pinger-ring.json", f);
  INFO(details(r));
  CHECK_FALSE(r.ok);
  CHECK(check_named(r, "agent_reachable").detail.find("was delivered 2 times") != std::string::npos);
  CHECK_FALSE(check_named(r, "agent_state").ok);
}

TEST_CASE("agents sim: a message acknowledged but never handled is caught by agent_reachable and agent_state",
          "[agents][sim][faults]") {
  agents::AgentBugs f;
  f.ack_without_delivery = true;
  const RunResult r = run_file("agents-pinger-ring.json", f);
  INFO(details(r));
  CHECK(check_named(r, "agent_reachable").detail.find("but never delivered") != std::string::npos);
  CHECK(check_named(r, "agent_state").detail.find("its senders were told") != std::string::npos);
}

TEST_CASE("agents sim: an agent dispatching past its lapsed lease is caught by agent_unique", "[agents][sim][faults]") {
  agents::AgentBugs f;
  f.ignore_lease = true;
  const RunResult r = run_file("agents-registry-race.json", f);
  INFO(details(r));
  const CheckResult& u = check_named(r, "agent_unique");
  CHECK_FALSE(u.ok);
  CHECK(u.detail.find("name svc was held by") == 0);
}
