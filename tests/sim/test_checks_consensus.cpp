// The consensus checks catch the bugs they exist for: single_leader_per_term and
// no_lost_writes are each fed hand-written histories (traces) with that bug, one per way
// the check can fail, and must fail naming who, when and what; sound histories pass.
#include <catch2/catch.hpp>

#include "sim/checks.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {
const char* kHeader = R"({"trace":"mabeam","version":1,"source":"sim","seed":1,"scenario":"t","nodes":["n1","n2","n3"]})";

CheckResult run_one(const std::string& body, const char* name, TimeUs end = sec(30)) {
  auto t = parse_trace_text(std::string(kHeader) + "\n" + body);
  REQUIRE(t.is_ok());
  Check c;
  c.check = name;
  auto r = evaluate_checks({c}, *t, end);
  REQUIRE(r.size() == 1);
  return r[0];
}

const std::string kStart = R"({"t":0,"node":"n1","ev":"node_start"}
{"t":0,"node":"n2","ev":"node_start"}
{"t":0,"node":"n3","ev":"node_start"}
{"t":500000,"node":"n1","ev":"leader","term":1}
{"t":500000,"node":"n1","ev":"raft_config","voters":["n1","n2","n3"],"learners":[],"index":1}
)";

// One write of x = 7 (op a), acknowledged, applied at index 2 by every voter.
const std::string kWrite = R"({"t":1000000,"node":"n2","ev":"op_invoke","op":"a","process":0,"var":"x","f":"write","value":7}
{"t":1001000,"node":"n1","ev":"op_apply","var":"x","index":2,"op":"a","value":7}
{"t":1002000,"node":"n2","ev":"op_apply","var":"x","index":2,"op":"a","value":7}
{"t":1002000,"node":"n3","ev":"op_apply","var":"x","index":2,"op":"a","value":7}
{"t":1003000,"node":"n2","ev":"op_complete","op":"a","type":"ok","value":7}
)";
}  // namespace

TEST_CASE("single_leader_per_term: holds with one leader per term, fails on a second leader in a term") {
  auto ok = run_one(kStart + R"({"t":5000000,"node":"n2","ev":"leader","term":2}
{"t":6000000,"node":"n2","ev":"leader","term":2}
)", "single_leader_per_term");
  CHECK(ok.ok);
  CHECK(ok.detail == "2 terms with a leader, one each");
  auto bad = run_one(kStart + R"({"t":5000000,"node":"n2","ev":"leader","term":2}
{"t":5100000,"node":"n3","ev":"leader","term":2}
)", "single_leader_per_term");
  CHECK_FALSE(bad.ok);
  CHECK(bad.detail == "n2 (at 5.000s) and n3 (at 5.100s) were both leader in term 2");
}

TEST_CASE("single_leader_per_term: a run in which nobody led has nothing to judge and fails") {
  auto r = run_one(R"({"t":0,"node":"n1","ev":"node_start"}
)", "single_leader_per_term");
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "no node ever became leader: nothing to judge");
}

TEST_CASE("no_lost_writes: holds when every running voter has the write, or a later one") {
  auto ok = run_one(kStart + kWrite, "no_lost_writes");
  CHECK(ok.ok);
  CHECK(ok.detail == "1 acknowledged writes held (or superseded) by all 3 running voters");
  // n3 holds a later write instead: superseded, still fine.
  auto later = run_one(kStart + kWrite + R"({"t":2000000,"node":"n3","ev":"op_apply","var":"x","index":5,"op":"b","value":9}
)", "no_lost_writes");
  CHECK(later.ok);
}

TEST_CASE("no_lost_writes: fails when a voter lost an acknowledged write at a restart") {
  // n3 restarts and replays only up to index 1: the write at index 2 is gone from it.
  auto r = run_one(kStart + kWrite + R"({"t":3000000,"node":"n3","ev":"node_crash"}
{"t":4000000,"node":"n3","ev":"node_restart","incarnation":2}
)", "no_lost_writes");
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n3 lacks write a (x, 7, index 2, acknowledged at 1.003s): at the end it holds x = null (never written)");
}

TEST_CASE("no_lost_writes: fails when a voter holds another entry at the write's index") {
  // A new leader's entry replaced the acknowledged one on n3 (acknowledged before a majority held it).
  auto r = run_one(kStart + R"({"t":1000000,"node":"n2","ev":"op_invoke","op":"a","process":0,"var":"x","f":"write","value":7}
{"t":1001000,"node":"n1","ev":"op_apply","var":"x","index":2,"op":"a","value":7}
{"t":1003000,"node":"n2","ev":"op_complete","op":"a","type":"ok","value":7}
{"t":2000000,"node":"n2","ev":"op_apply","var":"x","index":2,"op":"c","value":3}
{"t":2000000,"node":"n3","ev":"op_apply","var":"x","index":2,"op":"c","value":3}
{"t":2500000,"node":"n1","ev":"node_crash"}
{"t":2600000,"node":"n1","ev":"node_restart","incarnation":2}
{"t":2700000,"node":"n1","ev":"op_apply","var":"x","index":2,"op":"c","value":3}
)", "no_lost_writes");
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n1 lacks write a (x, 7, index 2, acknowledged at 1.003s): at the end it holds x = 3 from c at index 2");
}

TEST_CASE("no_lost_writes: fails when an acknowledged write was never applied anywhere") {
  auto r = run_one(kStart + R"({"t":1000000,"node":"n2","ev":"op_invoke","op":"a","process":0,"var":"x","f":"cas","value":[null,7]}
{"t":1003000,"node":"n2","ev":"op_complete","op":"a","type":"ok","value":[null,7]}
)", "no_lost_writes");
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "cas a (x, [null,7]) was acknowledged at 1.003s but no replica ever applied it");
}

TEST_CASE("no_lost_writes: a snapshot's state counts, and a voter restored from it holds the write") {
  auto r = run_one(kStart + kWrite + R"({"t":3000000,"node":"n3","ev":"node_crash"}
{"t":4000000,"node":"n3","ev":"node_restart","incarnation":2}
{"t":4000000,"node":"n3","ev":"strong_state","index":10,"vars":{"x":{"value":7,"op":"a","index":2}}}
)", "no_lost_writes");
  CHECK(r.ok);
}

TEST_CASE("no_lost_writes: nothing to judge is a failure (no acknowledged write, no voters, none running)") {
  auto none = run_one(kStart + R"({"t":1000000,"node":"n2","ev":"op_invoke","op":"a","process":0,"var":"x","f":"read","value":null}
{"t":1003000,"node":"n2","ev":"op_complete","op":"a","type":"ok","value":null}
)", "no_lost_writes");
  CHECK_FALSE(none.ok);
  CHECK(none.detail == "no write or cas was acknowledged: nothing to judge");
  auto no_config = run_one(kWrite, "no_lost_writes");
  CHECK_FALSE(no_config.ok);
  CHECK(no_config.detail == "no leader ever announced a configuration: nothing to judge");
  auto all_down = run_one(kStart + kWrite + R"({"t":3000000,"node":"n1","ev":"node_crash"}
{"t":3000000,"node":"n2","ev":"node_crash"}
{"t":3000000,"node":"n3","ev":"node_crash"}
)", "no_lost_writes");
  CHECK_FALSE(all_down.ok);
  CHECK(all_down.detail == "no voter is running at the end: nothing to judge");
}

TEST_CASE("no_lost_writes: only the voters of the last configuration are judged") {
  // n3 was removed; it never got the write, and that is fine.
  auto r = run_one(kStart + R"({"t":900000,"node":"n1","ev":"raft_config","voters":["n1","n2"],"learners":[],"index":3}
{"t":1000000,"node":"n2","ev":"op_invoke","op":"a","process":0,"var":"x","f":"write","value":7}
{"t":1001000,"node":"n1","ev":"op_apply","var":"x","index":4,"op":"a","value":7}
{"t":1002000,"node":"n2","ev":"op_apply","var":"x","index":4,"op":"a","value":7}
{"t":1003000,"node":"n2","ev":"op_complete","op":"a","type":"ok","value":7}
)", "no_lost_writes");
  CHECK(r.ok);
  CHECK(r.detail == "1 acknowledged writes held (or superseded) by all 2 running voters");
}
