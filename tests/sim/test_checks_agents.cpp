// The agent checks catch the bugs they exist for: each is fed a hand-written trace with that
// bug and must fail with a detail naming who, when and what; a sound trace must pass; a
// trace with nothing to judge fails and says so.
#include <catch2/catch.hpp>

#include "sim/checks.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {
const char* kHeader =
    R"({"trace":"mabeam","version":1,"source":"sim","seed":1,"scenario":"t","nodes":["n1","n2","n3"]})";

CheckResult run_one(const std::string& body, Check c, TimeUs end = sec(40)) {
  auto t = parse_trace_text(std::string(kHeader) + "\n" + body);
  REQUIRE(t.is_ok());
  auto r = evaluate_checks({c}, *t, end);
  REQUIRE(r.size() == 1);
  return r[0];
}

Check named(const char* name, DurationUs within = sec(5), const std::string& agent = "") {
  Check c;
  c.check = name;
  c.within = within;
  c.agent = agent;
  return c;
}

// A counter `total` on n2 (n2.1) and a client on n1 sending it three increments.
const std::string kSpawn = R"({"t":0,"node":"n1","ev":"node_start"}
{"t":0,"node":"n2","ev":"node_start"}
{"t":1000000,"node":"n2","ev":"agent_spawn","agent":"n2.1","type":"counter","name":"total","state":{"count":0}}
)";
std::string send(int t_ms, int n, int inc = 1) {
  return R"({"t":)" + std::to_string(t_ms * 1000) + R"(,"node":"n1","ev":"agent_send","msg":"n1:1:c#)" +
         std::to_string(n) + R"(","from":"n1:1:c","to":"total","body":{"inc":)" + std::to_string(inc) + "}}\n";
}
std::string deliver(int t_ms, int n, int count) {
  return R"({"t":)" + std::to_string(t_ms * 1000) + R"(,"node":"n2","ev":"agent_deliver","msg":"n1:1:c#)" +
         std::to_string(n) + R"(","agent":"n2.1","from":"n1:1:c","state":{"count":)" + std::to_string(count) + "}}\n";
}
std::string told(int t_ms, int n, const char* outcome) {
  return R"({"t":)" + std::to_string(t_ms * 1000) + R"(,"node":"n1","ev":"agent_outcome","msg":"n1:1:c#)" +
         std::to_string(n) + R"(","outcome":")" + outcome + R"(","agent":"n2.1"})" + "\n";
}
const std::string kSound = kSpawn + send(2000, 1) + deliver(2003, 1, 1) + told(2006, 1, "ok") + send(2100, 2) +
                           deliver(2103, 2, 2) + told(2106, 2, "ok") + send(2200, 3) + told(7200, 3, "unknown");
}  // namespace

TEST_CASE("agent checks: a sound history holds", "[checks][agents]") {
  for (const Check& c : {named("agent_unique"), named("agent_reachable"), named("agent_state", 0, "total")}) {
    auto r = run_one(kSound, c);
    INFO(r.check << ": " << r.detail);
    CHECK(r.ok);
  }
  auto r = run_one(kSound, named("agent_state", 0, "total"));
  CHECK(r.detail == "n2.1: 2 with 2 acknowledged, 1 unknown, 0 refused");
}

TEST_CASE("agent_unique: one id dispatching on two nodes, or one name held by two agents at once", "[checks][agents]") {
  // The same id on n3 while n2's instance still delivers.
  auto twice = run_one(kSpawn + R"({"t":1500000,"node":"n3","ev":"agent_spawn","agent":"n2.1","type":"counter","name":"total"}
)" + send(2000, 1) + deliver(2003, 1, 1), named("agent_unique"));
  CHECK_FALSE(twice.ok);
  CHECK(twice.detail == "agent n2.1 dispatched on n2 from 1.000s to 2.003s and on n3 from 1.500s to 1.500s");
  // Another id holding `total` while n2.1 still dispatches.
  auto name = run_one(kSpawn + R"({"t":1500000,"node":"n3","ev":"agent_spawn","agent":"n3.1","type":"counter","name":"total"}
)" + send(2000, 1) + deliver(2003, 1, 1), named("agent_unique"));
  CHECK_FALSE(name.ok);
  CHECK(name.detail.find("name total was held by n2.1 (on n2, dispatching 1.000s to 2.003s) and by n3.1") == 0);
  // A second holder after the first one stopped is fine.
  auto after = run_one(kSpawn + send(2000, 1) + deliver(2003, 1, 1) + R"({"t":3000000,"node":"n2","ev":"agent_stop","agent":"n2.1","reason":"killed","name":"total"}
{"t":3500000,"node":"n3","ev":"agent_spawn","agent":"n3.1","type":"counter","name":"total"}
)", named("agent_unique"));
  CHECK(after.ok);
  // A crash ends the node's instances: the same id elsewhere afterwards is a failover, not a twin.
  auto failover = run_one(kSpawn + R"({"t":1500000,"node":"n2","ev":"node_crash"}
{"t":1600000,"node":"n3","ev":"agent_spawn","agent":"n2.1","type":"counter","name":"total"}
)", named("agent_unique"));
  CHECK(failover.ok);
  auto none = run_one(R"({"t":0,"node":"n1","ev":"node_start"}
)", named("agent_unique"));
  CHECK_FALSE(none.ok);
  CHECK(none.detail == "no agent was spawned: nothing to judge");
}

TEST_CASE("agent_reachable: every way a message can go wrong", "[checks][agents]") {
  auto dup = run_one(kSpawn + send(2000, 1) + deliver(2003, 1, 1) + deliver(2004, 1, 2) + told(2006, 1, "ok"),
                     named("agent_reachable"));
  CHECK_FALSE(dup.ok);
  CHECK(dup.detail == "message n1:1:c#1 was delivered 2 times (at 2.003s and 2.004s to n2.1)");
  auto lost = run_one(kSpawn + send(2000, 1) + told(2006, 1, "ok"), named("agent_reachable"));
  CHECK_FALSE(lost.ok);
  CHECK(lost.detail == "message n1:1:c#1 was told ok at 2.006s but never delivered");
  auto refused = run_one(kSpawn + send(2000, 1) + deliver(2003, 1, 1) + told(2006, 1, "refused"), named("agent_reachable"));
  CHECK_FALSE(refused.ok);
  CHECK(refused.detail.find("message n1:1:c#1 was delivered to n2.1 at 2.003s but its sender was told refused") == 0);
  auto order = run_one(kSpawn + send(2000, 1) + send(2001, 2) + deliver(2003, 2, 1) + deliver(2004, 1, 2),
                       named("agent_reachable"));
  CHECK_FALSE(order.ok);
  CHECK(order.detail ==
        "messages from n1:1:c to n2.1 were delivered out of order: n1:1:c#1 at 2.004s after n1:1:c#2");
  auto silent = run_one(kSpawn + send(2000, 1), named("agent_reachable", sec(5)));
  CHECK_FALSE(silent.ok);
  CHECK(silent.detail == "message n1:1:c#1 sent at 2.000s to total (live then) was not delivered and its sender got no "
                         "outcome within 5s");
  auto late = run_one(kSpawn + send(2000, 1) + told(9000, 1, "unknown"), named("agent_reachable", sec(5)));
  CHECK_FALSE(late.ok);
  CHECK(late.detail.find("its sender was told unknown only at 9.000s") != std::string::npos);
  // Ten messages delivered one after another at one instant are in order by their lines.
  std::string same = kSpawn;
  for (int n = 1; n <= 10; ++n) same += send(2000 + n, n);
  for (int n = 1; n <= 10; ++n) same += deliver(2100, n, n);
  for (int n = 1; n <= 10; ++n) same += told(2200, n, "ok");
  CHECK(run_one(same, named("agent_reachable")).ok);
  // A sender whose node crashes before the deadline cannot be told: not judged.
  auto gone = run_one(kSpawn + send(2000, 1) + R"({"t":3000000,"node":"n1","ev":"node_crash"}
)", named("agent_reachable"));
  CHECK_FALSE(gone.ok);
  CHECK(gone.detail.find("no message was sent to a live agent early enough to judge") == 0);
}

TEST_CASE("agent_state: the count must lie between the acknowledged sum and it plus the unknown ones", "[checks][agents]") {
  // Applied twice: 3 acknowledged increments but the counter holds 4.
  auto dup = run_one(kSpawn + send(2000, 1) + deliver(2003, 1, 1) + told(2006, 1, "ok") + send(2100, 2) +
                         deliver(2103, 2, 3) + told(2106, 2, "ok"),
                     named("agent_state", 0, "total"));
  CHECK_FALSE(dup.ok);
  CHECK(dup.detail == "counter total (n2.1) holds 3 from 0: 3 applied, but its senders were told 2 was handled and 0 "
                      "may have been (so between 2 and 2)");
  // Acknowledged but not applied.
  auto lost = run_one(kSpawn + send(2000, 1) + told(2006, 1, "ok") + send(2100, 2) + deliver(2103, 2, 1) +
                          told(2106, 2, "ok"),
                      named("agent_state", 0, "total"));
  CHECK_FALSE(lost.ok);
  CHECK(lost.detail.find("holds 1 from 0: 1 applied, but its senders were told 2 was handled") != std::string::npos);
  // A refused increment that was applied anyway.
  auto refused = run_one(kSpawn + send(2000, 1, 5) + deliver(2003, 1, 5) + told(2006, 1, "refused"),
                         named("agent_state", 0, "total"));
  CHECK_FALSE(refused.ok);
  CHECK(refused.detail.find("holds 5 from 0: 5 applied, but its senders were told 0 was handled") != std::string::npos);
  auto negative = run_one(kSpawn + send(2000, 1, -2), named("agent_state", 0, "total"));
  CHECK_FALSE(negative.ok);
  CHECK(negative.detail == "message n1:1:c#1 increments by -2: agent_state judges non-negative increments");
  auto nothing = run_one(kSpawn, named("agent_state", 0, "total"));
  CHECK_FALSE(nothing.ok);
  CHECK(nothing.detail == "no increment reached total: nothing to judge");
  auto unknown = run_one(kSpawn, named("agent_state", 0, "other"));
  CHECK(unknown.detail == "no agent other was spawned: nothing to judge");
}
