// The variables checks catch the bugs they exist for: each is fed a hand-written history
// (a trace) with that bug and must fail with a detail naming who, when and what; a sound
// history must pass.
#include <catch2/catch.hpp>

#include "sim/checks.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {
const char* kHeader =
    R"({"trace":"mabeam","version":1,"source":"sim","seed":1,"scenario":"t","nodes":["n1","n2","n3","n4","n5"]})";

CheckResult run_one(const std::string& body, Check c, TimeUs end = sec(40)) {
  auto t = parse_trace_text(std::string(kHeader) + "\n" + body);
  REQUIRE(t.is_ok());
  auto r = evaluate_checks({c}, *t, end);
  REQUIRE(r.size() == 1);
  return r[0];
}

Check named(const char* name, TimeUs by = 0, DurationUs within = sec(5)) {
  Check c;
  c.check = name;
  c.by = by;
  c.within = within;
  return c;
}

const std::string kStart = R"({"t":0,"node":"n1","ev":"node_start"}
{"t":0,"node":"n2","ev":"node_start"}
{"t":0,"node":"n3","ev":"node_start"}
{"t":0,"node":"n4","ev":"node_start"}
{"t":0,"node":"n5","ev":"node_start"}
{"t":500000,"node":"n1","ev":"mode","mode":"normal"}
{"t":500000,"node":"n2","ev":"mode","mode":"normal"}
{"t":500000,"node":"n3","ev":"mode","mode":"normal"}
{"t":500000,"node":"n4","ev":"mode","mode":"normal"}
{"t":500000,"node":"n5","ev":"mode","mode":"normal"}
)";

// A 2/3 split at 10s, healed at 20s; modes as a sound guard would trace them.
const std::string kSplit = kStart + R"({"t":10000000,"node":"*","ev":"partition","groups":[["n1","n2"],["n3","n4","n5"]]}
{"t":11000000,"node":"n1","ev":"mode","mode":"readonly"}
{"t":11000000,"node":"n2","ev":"mode","mode":"readonly"}
)";
const std::string kHeal = R"({"t":20000000,"node":"*","ev":"heal"}
{"t":21000000,"node":"n1","ev":"mode","mode":"normal"}
{"t":21000000,"node":"n2","ev":"mode","mode":"normal"}
)";
}  // namespace

TEST_CASE("readonly_minority: holds when the minority turns readonly and refuses writes", "[checks][variables]") {
  auto r = run_one(kSplit + R"({"t":12000000,"node":"n3","ev":"var_write","var":"c","op":"incr","value":1,"ok":true,"seq":1,"policy":"readonly"}
{"t":13500000,"node":"n2","ev":"var_write","var":"x","op":"set","value":1,"ok":true,"seq":1,"policy":"available"}
{"t":14000000,"node":"n1","ev":"var_write","var":"c","op":"incr","value":1,"ok":false,"error":"read-only","policy":"readonly"}
)" + kHeal, named("readonly_minority", 0, sec(3)));
  INFO(r.detail);
  CHECK(r.ok);
  CHECK(r.detail.find("1 minority writes refused") != std::string::npos);
}

TEST_CASE("readonly_minority: fails when a minority node accepts a write to a readonly variable", "[checks][variables]") {
  auto r = run_one(kSplit + R"({"t":15000000,"node":"n2","ev":"var_write","var":"c","op":"incr","value":1,"ok":true,"seq":4,"policy":"readonly"}
)" + kHeal, named("readonly_minority", 0, sec(3)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n2 accepted a write to readonly variable c at 15.000s while in a minority group (2 of 5)");
}

TEST_CASE("readonly_minority: fails when a minority node never turns readonly", "[checks][variables]") {
  auto r = run_one(kStart + R"({"t":10000000,"node":"*","ev":"partition","groups":[["n1","n2"],["n3","n4","n5"]]}
{"t":11000000,"node":"n1","ev":"mode","mode":"readonly"}
)" + kHeal, named("readonly_minority", 0, sec(3)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n2 (in a group of 2 of 5 nodes) was normal at 13.000s, 3s after the partition at 10.000s; expected readonly");
}

TEST_CASE("readonly_minority: fails when a majority node turns readonly", "[checks][variables]") {
  auto r = run_one(kSplit + R"({"t":15000000,"node":"n4","ev":"mode","mode":"readonly"}
)" + kHeal, named("readonly_minority", 0, sec(3)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail.find("n4 turned readonly at 15.000s during the partition") == 0);
}

namespace {
// Two increments and an or_set add/remove, applied everywhere.
std::string writes_and_applies(const std::string& n3_counter, const std::string& n3_set) {
  return kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"c","op":"incr","value":2,"ok":true,"seq":1,"resolve":"g_counter"}
{"t":1000000,"node":"n1","ev":"var_apply","var":"c","origin":"n1","seq":1,"value":2}
{"t":1100000,"node":"n2","ev":"var_write","var":"c","op":"incr","value":3,"ok":true,"seq":1,"resolve":"g_counter"}
{"t":1100000,"node":"n2","ev":"var_apply","var":"c","origin":"n2","seq":1,"value":3}
{"t":1200000,"node":"n1","ev":"var_write","var":"s","op":"add","value":"a","ok":true,"seq":1,"tag":"n1#1","resolve":"or_set"}
{"t":1200000,"node":"n1","ev":"var_apply","var":"s","origin":"n1","seq":1,"value":["a"]}
{"t":1300000,"node":"n1","ev":"var_write","var":"s","op":"add","value":"b","ok":true,"seq":2,"tag":"n1#2","resolve":"or_set"}
{"t":1300000,"node":"n1","ev":"var_apply","var":"s","origin":"n1","seq":2,"value":["a","b"]}
{"t":1400000,"node":"n1","ev":"var_write","var":"s","op":"remove","value":"a","ok":true,"seq":3,"tags":["n1#1"],"resolve":"or_set"}
{"t":1400000,"node":"n1","ev":"var_apply","var":"s","origin":"n1","seq":3,"value":["b"]}
{"t":2000000,"node":"n1","ev":"var_apply","var":"c","origin":"n2","seq":1,"value":5}
{"t":2000000,"node":"n2","ev":"var_apply","var":"c","origin":"n1","seq":1,"value":5}
{"t":2000000,"node":"n2","ev":"var_apply","var":"s","origin":"n1","seq":3,"value":["b"]}
{"t":2000000,"node":"n4","ev":"var_apply","var":"c","origin":"n1","seq":1,"value":5}
{"t":2000000,"node":"n4","ev":"var_apply","var":"s","origin":"n1","seq":3,"value":["b"]}
{"t":2000000,"node":"n5","ev":"var_apply","var":"c","origin":"n1","seq":1,"value":5}
{"t":2000000,"node":"n5","ev":"var_apply","var":"s","origin":"n1","seq":3,"value":["b"]}
{"t":2000000,"node":"n3","ev":"var_apply","var":"c","origin":"n1","seq":1,"value":)" + n3_counter + R"(}
{"t":2000000,"node":"n3","ev":"var_apply","var":"s","origin":"n1","seq":3,"value":)" + n3_set + R"(}
)";
}
}  // namespace

TEST_CASE("variables_converged: holds when every live node holds the value the acknowledged writes imply",
          "[checks][variables]") {
  auto r = run_one(writes_and_applies("5", R"(["b"])"), named("variables_converged", sec(5)));
  INFO(r.detail);
  CHECK(r.ok);
}

TEST_CASE("variables_converged: fails when a replica disagrees", "[checks][variables]") {
  auto r = run_one(writes_and_applies("2", R"(["b"])"), named("variables_converged", sec(5)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "at 5.000s n3 holds c = 2 but n1 holds 5");
}

TEST_CASE("variables_converged: fails when the replicas agree on a wrong value", "[checks][variables]") {
  // Every node lost the remove's effect: "a" is back, but its only tag was removed.
  std::string body = writes_and_applies("5", R"(["a","b"])");
  for (const char* n : {"n1", "n2", "n4", "n5"}) {
    body += std::string(R"({"t":3000000,"node":")") + n + R"(","ev":"var_apply","var":"s","origin":"n9","seq":1,"value":["a","b"]})" + "\n";
  }
  auto r = run_one(body, named("variables_converged", sec(5)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "every live node holds s = [\"a\",\"b\"] at 5.000s, but the acknowledged adds not removed gives [\"b\"]");
}

TEST_CASE("variables_converged: fails when a value still changes after `by`", "[checks][variables]") {
  auto r = run_one(writes_and_applies("5", R"(["b"])") +
                       R"({"t":7000000,"node":"n4","ev":"var_apply","var":"c","origin":"n3","seq":1,"value":6}
)",
                   named("variables_converged", sec(5)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n4 changed c from 5 to 6 at 7.000s, after 5.000s (n3#1 arrived late)");
}

namespace {
// n1 writes x; n2 applies it, then writes y (so y depends on x); n3 applies both.
std::string causal(bool y_first_at_n3) {
  std::string s = kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"x","op":"set","value":1,"ok":true,"seq":1,"consistency":"causal"}
{"t":1000000,"node":"n1","ev":"var_apply","var":"x","origin":"n1","seq":1,"value":1}
{"t":1100000,"node":"n2","ev":"var_apply","var":"x","origin":"n1","seq":1,"value":1}
{"t":1200000,"node":"n2","ev":"var_write","var":"y","op":"set","value":2,"ok":true,"seq":1,"consistency":"causal"}
{"t":1200000,"node":"n2","ev":"var_apply","var":"y","origin":"n2","seq":1,"value":2}
)";
  const std::string x = R"({"t":1300000,"node":"n3","ev":"var_apply","var":"x","origin":"n1","seq":1,"value":1}
)";
  const std::string y = R"({"t":1300000,"node":"n3","ev":"var_apply","var":"y","origin":"n2","seq":1,"value":2}
)";
  return s + (y_first_at_n3 ? y + x : x + y);
}
}  // namespace

TEST_CASE("causal_order: holds when every node applies a write after what it depends on", "[checks][variables]") {
  auto r = run_one(causal(false), named("causal_order"));
  INFO(r.detail);
  CHECK(r.ok);
}

TEST_CASE("causal_order: fails when a node exposes a write before its dependency", "[checks][variables]") {
  auto r = run_one(causal(true), named("causal_order"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n3 exposed y n2#1 at 1.300s before x n1#1, which n2 had applied before writing it (n3 had x from n1 up to #0)");
}

namespace {
// Session s writes at n1, then reads at n2 (which has or has not applied the write).
std::string session(bool n2_has_write, bool then_older_read) {
  std::string t = kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"cart","op":"add","value":"a","ok":true,"seq":1,"session":"s"}
{"t":1000000,"node":"n1","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
)";
  if (n2_has_write) t += R"({"t":1500000,"node":"n2","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
)";
  t += R"({"t":2000000,"node":"n2","ev":"var_read","var":"cart","op":"read","value":["a"],"ok":true,"session":"s"}
)";
  if (then_older_read) {
    // A second write by n4, seen by a read at n4; then a read at n3 that has neither.
    t += R"({"t":2100000,"node":"n4","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
{"t":2100000,"node":"n4","ev":"var_write","var":"cart","op":"add","value":"b","ok":true,"seq":1}
{"t":2100000,"node":"n4","ev":"var_apply","var":"cart","origin":"n4","seq":1,"value":["a","b"]}
{"t":2200000,"node":"n4","ev":"var_read","var":"cart","op":"read","value":["a","b"],"ok":true,"session":"s"}
{"t":2300000,"node":"n3","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
{"t":2400000,"node":"n3","ev":"var_read","var":"cart","op":"read","value":["a"],"ok":true,"session":"s"}
)";
  }
  return t;
}
}  // namespace

TEST_CASE("session_guarantees: holds when session reads see the session's writes", "[checks][variables]") {
  auto r = run_one(session(true, false), named("session_guarantees"));
  INFO(r.detail);
  CHECK(r.ok);
}

TEST_CASE("session_guarantees: fails when a read misses the session's own write", "[checks][variables]") {
  auto r = run_one(session(false, false), named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "session s read cart at n2 at 2.000s without its own write n1#1 (n2 had n1's writes up to #0)");
}

TEST_CASE("session_guarantees: fails when a later read goes back in time", "[checks][variables]") {
  auto r = run_one(session(true, true), named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail ==
        "session s read cart at n3 at 2.400s and went back in time: an earlier read had seen n4#1, n3 had only up to #0");
}
