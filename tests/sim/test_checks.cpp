// Every check catches the bug it exists for: each is fed a hand-written history (a trace)
// with that bug and must fail with a detail naming who and when, and a sound history must
// pass.
#include <catch2/catch.hpp>

#include "sim/checks.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {
const char* kHeader = R"({"trace":"mabeam","version":1,"source":"sim","seed":1,"scenario":"t","nodes":["n1","n2","n3"]})";

CheckResult run_one(const std::string& body, Check c, TimeUs end = sec(30)) {
  auto t = parse_trace_text(std::string(kHeader) + "\n" + body);
  REQUIRE(t.is_ok());
  auto r = evaluate_checks({c}, *t, end);
  REQUIRE(r.size() == 1);
  return r[0];
}

// Three nodes start at 0 and see each other active.
const std::string kStart = R"({"t":0,"node":"n1","ev":"node_start"}
{"t":0,"node":"n2","ev":"node_start"}
{"t":0,"node":"n3","ev":"node_start"}
{"t":100,"node":"n1","ev":"member","subject":"n2","state":"active"}
{"t":100,"node":"n1","ev":"member","subject":"n3","state":"active"}
{"t":100,"node":"n2","ev":"member","subject":"n1","state":"active"}
{"t":100,"node":"n2","ev":"member","subject":"n3","state":"active"}
{"t":100,"node":"n3","ev":"member","subject":"n1","state":"active"}
{"t":100,"node":"n3","ev":"member","subject":"n2","state":"active"}
)";

Check detected(const char* node, DurationUs within) {
  Check c;
  c.check = "detected_down";
  c.node = node;
  c.within = within;
  return c;
}
Check no_false(DurationUs grace = sec(5)) {
  Check c;
  c.check = "no_false_down";
  c.grace = grace;
  return c;
}
Check converged(TimeUs by) {
  Check c;
  c.check = "members_converged";
  c.by = by;
  return c;
}
}  // namespace

TEST_CASE("detected_down: holds when every live node marks the crashed node down in time", "[checks]") {
  auto r = run_one(kStart + R"({"t":10000000,"node":"n3","ev":"node_crash"}
{"t":11500000,"node":"n1","ev":"member","subject":"n3","state":"down"}
{"t":12000000,"node":"n2","ev":"member","subject":"n3","state":"down"}
)", detected("n3", sec(3)));
  CHECK(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("max 2.000s"));
}

TEST_CASE("detected_down: fails when an observer never marks the crashed node down", "[checks]") {
  auto r = run_one(kStart + R"({"t":10000000,"node":"n3","ev":"node_crash"}
{"t":11500000,"node":"n1","ev":"member","subject":"n3","state":"down"}
)", detected("n3", sec(3)));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("n2 did not mark n3 down within 3s of its crash at 10.000s"));
}

TEST_CASE("detected_down: fails when the detection comes too late", "[checks]") {
  auto r = run_one(kStart + R"({"t":10000000,"node":"n3","ev":"node_crash"}
{"t":11500000,"node":"n1","ev":"member","subject":"n3","state":"down"}
{"t":13500000,"node":"n2","ev":"member","subject":"n3","state":"down"}
)", detected("n3", sec(3)));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("n2"));
}

TEST_CASE("detected_down: fails when the node never crashed, so nothing was tested", "[checks]") {
  auto r = run_one(kStart, detected("n3", sec(3)));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("never crashed"));
}

TEST_CASE("detected_down: fails when no observer stayed up to judge the crash", "[checks]") {
  // n3 crashes, then n1 crashes and n2 pauses: nobody ran unpaused to the deadline.
  auto r = run_one(kStart + R"({"t":10000000,"node":"n3","ev":"node_crash"}
{"t":10100000,"node":"n1","ev":"node_crash"}
{"t":10200000,"node":"n2","ev":"node_pause","for":5000000}
{"t":15200000,"node":"n2","ev":"node_resume"}
)", detected("n3", sec(3)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "no other node ran unpaused from n3's crash at 10.000s to 13.000s: nothing to judge");
}

TEST_CASE("no_false_down: fails when a running, reachable node is marked down", "[checks]") {
  auto r = run_one(kStart + R"({"t":20000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)", no_false());
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("n1 marked n2 down at 20.000s"));
}

TEST_CASE("no_false_down: a down mark explained by a crash, a pause or a partition is fine", "[checks]") {
  auto r = run_one(kStart + R"({"t":5000000,"node":"n2","ev":"node_pause","for":3000000}
{"t":7000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
{"t":8000000,"node":"n2","ev":"node_resume"}
{"t":8100000,"node":"n1","ev":"member","subject":"n2","state":"active"}
{"t":10000000,"node":"*","ev":"partition","groups":[["n1"],["n2","n3"]]}
{"t":12000000,"node":"n1","ev":"member","subject":"n3","state":"down"}
{"t":15000000,"node":"*","ev":"heal"}
)", no_false());
  CHECK(r.ok);
}

TEST_CASE("no_false_down: a partition long healed no longer explains a down mark", "[checks]") {
  auto r = run_one(kStart + R"({"t":1000000,"node":"*","ev":"partition","groups":[["n1"],["n2","n3"]]}
{"t":2000000,"node":"*","ev":"heal"}
{"t":20000000,"node":"n1","ev":"member","subject":"n3","state":"down"}
)", no_false(sec(5)));
  CHECK_FALSE(r.ok);
}

TEST_CASE("no_false_down: a one-way cut explains only marks across it", "[checks]") {
  auto r = run_one(kStart + R"({"t":1000000,"node":"*","ev":"partition_oneway","from":["n1"],"to":["n2"]}
{"t":2000000,"node":"n3","ev":"member","subject":"n1","state":"down"}
)", no_false());
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("n3 marked n1 down"));
}

TEST_CASE("no_false_down: a one-way cut either way between observer and subject excuses the mark", "[checks]") {
  // n2 cannot reach n1 (the acks are lost): n1's mark of n2 is excused, as is n2's of n1.
  auto r = run_one(kStart + R"({"t":1000000,"node":"*","ev":"partition_oneway","from":["n2"],"to":["n1"]}
{"t":2000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
{"t":2500000,"node":"n2","ev":"member","subject":"n1","state":"down"}
)", no_false());
  CHECK(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("2 down marks"));
}

TEST_CASE("no_false_down: a link between them losing at least half excuses the mark", "[checks]") {
  for (const char* loss : {"0.5", "0.8", "1"}) {
    INFO("loss " << loss);
    auto r = run_one(kStart + R"({"t":1000000,"node":"*","ev":"link","from":"n2","to":"n1","both":false,"loss":)" + loss +
                         R"(}
{"t":3000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)",
                     no_false());
    CHECK(r.ok);
  }
}

TEST_CASE("no_false_down: a link losing less than half does not excuse the mark", "[checks]") {
  // The swarm's link faults draw loss up to 0.3 by default: a detector must ride them out.
  auto r = run_one(kStart + R"({"t":1000000,"node":"*","ev":"link","from":"n1","to":"n2","both":true,"loss":0.3}
{"t":3000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)", no_false());
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("n1 marked n2 down at 3.000s, but n2 was running, unpaused and reachable from n1"));
  CHECK_THAT(r.detail, Catch::Contains("probe timeout 125ms"));
}

TEST_CASE("no_false_down: a link slower on average than the probe timeout excuses the mark", "[checks]") {
  Check c = no_false();
  c.probe_timeout = ms(250);
  auto r = run_one(kStart + R"({"t":1000000,"node":"*","ev":"link","from":"n1","to":"n2","both":false,"latency_changed":true,"latency_mean":300000}
{"t":3000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)", c);
  CHECK(r.ok);
}

TEST_CASE("no_false_down: a link slower than usual but within the probe timeout does not excuse", "[checks]") {
  Check c = no_false();
  c.probe_timeout = ms(250);
  auto r = run_one(kStart + R"({"t":1000000,"node":"*","ev":"link","from":"n1","to":"n2","both":true,"latency_changed":true,"latency_mean":100000}
{"t":3000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)", c);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("probe timeout 250ms"));
}

TEST_CASE("no_false_down: a degraded link elsewhere or one restored before the grace does not excuse", "[checks]") {
  // n1 -> n3 loses everything and n2 -> n3 is slow: neither is between n1 and n2.
  auto elsewhere = run_one(kStart + R"({"t":1000000,"node":"*","ev":"link","from":"n1","to":"n3","both":true,"loss":1}
{"t":1000000,"node":"*","ev":"link","from":"n2","to":"n3","both":true,"latency_changed":true,"latency_mean":900000}
{"t":3000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)", no_false());
  CHECK_FALSE(elsewhere.ok);
  CHECK_THAT(elsewhere.detail, Catch::Contains("n1 marked n2 down at 3.000s"));
  // n1 <-> n2 lost 90% from 1 s to 2 s, restored; the mark at 10 s is past the 5 s grace.
  auto restored = run_one(kStart + R"({"t":1000000,"node":"*","ev":"link","from":"n1","to":"n2","both":true,"loss":0.9}
{"t":2000000,"node":"*","ev":"link","from":"n1","to":"n2","both":true,"loss":0.01}
{"t":10000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)", no_false());
  CHECK_FALSE(restored.ok);
  CHECK_THAT(restored.detail, Catch::Contains("throughout [5.000s, 10.000s]"));
}

TEST_CASE("no_false_down: the observer's own pause or crash does not excuse its mark", "[checks]") {
  // n1 stalls, and at its resume marks n2 down: n2 ran and was reachable all along.
  auto paused = run_one(kStart + R"({"t":5000000,"node":"n1","ev":"node_pause","for":3000000}
{"t":8000000,"node":"n1","ev":"node_resume"}
{"t":8000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)", no_false());
  CHECK_FALSE(paused.ok);
  CHECK_THAT(paused.detail, Catch::Contains("n1 marked n2 down at 8.000s"));
  auto crashed = run_one(kStart + R"({"t":5000000,"node":"n1","ev":"node_crash"}
{"t":6000000,"node":"n1","ev":"node_restart"}
{"t":7000000,"node":"n1","ev":"member","subject":"n2","state":"down"}
)", no_false());
  CHECK_FALSE(crashed.ok);
  CHECK_THAT(crashed.detail, Catch::Contains("n1 marked n2 down at 7.000s"));
}

TEST_CASE("members_converged: fails when views still disagree after the deadline", "[checks]") {
  auto r = run_one(kStart + R"({"t":10000000,"node":"n3","ev":"node_crash"}
{"t":11000000,"node":"n1","ev":"member","subject":"n3","state":"down"}
)", converged(sec(20)));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("n2 sees n3 as active, but n3 is not running"));
}

TEST_CASE("members_converged: fails when a running node is seen as down after the deadline", "[checks]") {
  auto r = run_one(kStart + R"({"t":25000000,"node":"n2","ev":"member","subject":"n1","state":"down"}
)", converged(sec(20)));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::Contains("at 25.000s n2 sees n1 as down, but n1 is running"));
}

TEST_CASE("members_converged: holds when every view is right from the deadline on", "[checks]") {
  auto r = run_one(kStart + R"({"t":10000000,"node":"n3","ev":"node_crash"}
{"t":11000000,"node":"n1","ev":"member","subject":"n3","state":"down"}
{"t":11000000,"node":"n2","ev":"member","subject":"n3","state":"down"}
)", converged(sec(20)));
  CHECK(r.ok);
}

TEST_CASE("members_converged: a restarted observer's view starts empty", "[checks]") {
  auto r = run_one(kStart + R"({"t":10000000,"node":"n1","ev":"node_crash"}
{"t":12000000,"node":"n1","ev":"node_restart"}
{"t":12100000,"node":"n1","ev":"member","subject":"n2","state":"active"}
{"t":12500000,"node":"n2","ev":"member","subject":"n1","state":"active"}
{"t":12500000,"node":"n3","ev":"member","subject":"n1","state":"active"}
)", converged(sec(20)));
  CHECK_FALSE(r.ok);  // n1 never heard from n3 again
  CHECK_THAT(r.detail, Catch::Contains("n1 sees n3 as absent"));
}
