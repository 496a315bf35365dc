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
  CHECK(r.detail == "n2 accepted a write to readonly variable c at 15.000s (in a group of 2 of 5 nodes that reach each other "
                   "both ways, 10.000s..20.000s)");
}

TEST_CASE("readonly_minority: fails when a minority node never turns readonly", "[checks][variables]") {
  auto r = run_one(kStart + R"({"t":10000000,"node":"*","ev":"partition","groups":[["n1","n2"],["n3","n4","n5"]]}
{"t":11000000,"node":"n1","ev":"mode","mode":"readonly"}
)" + kHeal, named("readonly_minority", 0, sec(3)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n2 was normal at 13.000s, 3s into its time (in a group of 2 of 5 nodes that reach each other both ways, "
                   "10.000s..20.000s); expected readonly");
}

TEST_CASE("readonly_minority: fails when a majority node turns readonly", "[checks][variables]") {
  auto r = run_one(kSplit + R"({"t":15000000,"node":"n4","ev":"mode","mode":"readonly"}
)" + kHeal, named("readonly_minority", 0, sec(3)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail.find("n4 turned readonly at 15.000s (in a group of 3 of 5 nodes") == 0);
}

TEST_CASE("readonly_minority: groups are who reach each other both ways: a one-way cut splits a group", "[checks][variables]") {
  // 2/3 split, and n5 cannot send to n3 and n4: n5 is alone, n3 and n4 a pair, all minorities.
  const std::string oneway = kStart + R"({"t":10000000,"node":"*","ev":"partition","groups":[["n1","n2"],["n3","n4","n5"]]}
{"t":10000000,"node":"*","ev":"partition_oneway","from":["n5"],"to":["n3","n4"]}
{"t":11000000,"node":"n1","ev":"mode","mode":"readonly"}
{"t":11000000,"node":"n2","ev":"mode","mode":"readonly"}
)";
  const std::string all_readonly = R"({"t":11000000,"node":"n3","ev":"mode","mode":"readonly"}
{"t":11000000,"node":"n4","ev":"mode","mode":"readonly"}
{"t":11000000,"node":"n5","ev":"mode","mode":"readonly"}
)";
  auto ok = run_one(oneway + all_readonly + kHeal + R"({"t":21000000,"node":"n3","ev":"mode","mode":"normal"}
{"t":21000000,"node":"n4","ev":"mode","mode":"normal"}
{"t":21000000,"node":"n5","ev":"mode","mode":"normal"}
)",
                    named("readonly_minority", 0, sec(3)));
  INFO(ok.detail);
  CHECK(ok.ok);
  auto bad = run_one(oneway + kHeal, named("readonly_minority", 0, sec(3)));
  CHECK_FALSE(bad.ok);
  CHECK(bad.detail.find("n3 was normal at 13.000s") == 0);
  CHECK(bad.detail.find("group of 2 of 5") != std::string::npos);
}

TEST_CASE("readonly_minority: a crashed node still counts in the cluster, and a paused one is not judged", "[checks][variables]") {
  // n5 crashes in the 3-group: n3 and n4 are 2 of 5, a minority; n1 paused is not asked.
  const std::string body = kStart + R"({"t":10000000,"node":"*","ev":"partition","groups":[["n1","n2"],["n3","n4","n5"]]}
{"t":10000000,"node":"n5","ev":"node_crash"}
{"t":10000000,"node":"n1","ev":"node_pause"}
{"t":11000000,"node":"n2","ev":"mode","mode":"readonly"}
)";
  auto bad = run_one(body + kHeal, named("readonly_minority", 0, sec(3)));
  CHECK_FALSE(bad.ok);
  CHECK(bad.detail.find("n3 was normal at 13.000s") == 0);
  INFO(bad.detail);
  auto ok = run_one(body + R"({"t":11000000,"node":"n3","ev":"mode","mode":"readonly"}
{"t":11000000,"node":"n4","ev":"mode","mode":"readonly"}
{"t":20000000,"node":"n1","ev":"node_resume"}
{"t":20000000,"node":"n5","ev":"node_restart"}
{"t":20000000,"node":"*","ev":"heal"}
{"t":20500000,"node":"n5","ev":"mode","mode":"readonly"}
{"t":21000000,"node":"n2","ev":"mode","mode":"normal"}
{"t":21000000,"node":"n3","ev":"mode","mode":"normal"}
{"t":21000000,"node":"n4","ev":"mode","mode":"normal"}
{"t":21000000,"node":"n5","ev":"mode","mode":"normal"}
)",
                    named("readonly_minority", 0, sec(3)));
  INFO(ok.detail);
  CHECK(ok.ok);
}

TEST_CASE("readonly_minority: a run without a minority has nothing to judge and fails", "[checks][variables]") {
  auto r = run_one(kStart, named("readonly_minority", 0, sec(3)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "no node was in a minority for longer than 3s: nothing to judge");
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
  CHECK(r.detail == "every live node holds s = [\"a\",\"b\"] at 5.000s, but the acknowledged adds not removed (of 3 writes) gives [\"b\"]");
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
// Session s writes at n1, then reads at n2 (which has or has not the write). A read is
// judged by its own record: the value it returned and the version vector `vv` of the
// writes that value reflects.
std::string session(bool n2_has_write, bool then_older_read) {
  std::string t = kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"cart","op":"add","value":"a","ok":true,"seq":1,"session":"s","tag":"n1#1","resolve":"or_set"}
{"t":1000000,"node":"n1","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
)";
  if (n2_has_write) t += R"({"t":1500000,"node":"n2","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
{"t":2000000,"node":"n2","ev":"var_read","var":"cart","op":"read","value":["a"],"ok":true,"session":"s","vv":{"n1":1}}
)";
  else t += R"({"t":2000000,"node":"n2","ev":"var_read","var":"cart","op":"read","value":[],"ok":true,"session":"s","vv":{}}
)";
  if (then_older_read) {
    // A second write by n4, seen by a read at n4; then a read at n3 that has only n1's.
    t += R"({"t":2100000,"node":"n4","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
{"t":2100000,"node":"n4","ev":"var_write","var":"cart","op":"add","value":"b","ok":true,"seq":1,"tag":"n4#1","resolve":"or_set"}
{"t":2100000,"node":"n4","ev":"var_apply","var":"cart","origin":"n4","seq":1,"value":["a","b"]}
{"t":2200000,"node":"n4","ev":"var_read","var":"cart","op":"read","value":["a","b"],"ok":true,"session":"s","vv":{"n1":1,"n4":1}}
{"t":2300000,"node":"n3","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
{"t":2400000,"node":"n3","ev":"var_read","var":"cart","op":"read","value":["a"],"ok":true,"session":"s","vv":{"n1":1}}
)";
  }
  return t;
}
}  // namespace

TEST_CASE("session_guarantees: holds when session reads see the session's writes", "[checks][variables]") {
  auto r = run_one(session(true, false), named("session_guarantees"));
  INFO(r.detail);
  CHECK(r.ok);
  CHECK(r.detail == "1 session reads, each with the session's own writes, nothing older than before, and the value the "
                    "writes it reflects imply");
}

TEST_CASE("session_guarantees: fails when a read misses the session's own write", "[checks][variables]") {
  auto r = run_one(session(false, false), named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "session s read cart at n2 at 2.000s without its own write n1#1 (the read reflects n1's writes up to #0)");
}

TEST_CASE("session_guarantees: fails when a later read goes back in time", "[checks][variables]") {
  auto r = run_one(session(true, true), named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "session s read cart at n3 at 2.400s and went back in time: an earlier read had seen n4#1, this one "
                    "only up to #0");
}

// var_state: a replica took in whole states at once (a transfer from a peer, or its log at
// a restart); the checks count every write a state carries as applied, all at that moment.
// Each history below is judged right only if var_state is read: the failing ones hide the
// bug inside a state, the passing ones would fail if the state were ignored.

namespace {
// n1 writes post; n2 applies it and writes comment (so the comment depends on the post),
// then comment#2. n3 takes in a state from n2 carrying `vars` (a JSON object: var -> {vv,
// value}); then n3 applies n2's comment#2 (which depends on post n1#1 and comment n2#1) as
// a single write. "comment" sorts before "post": a state's variables are exposed together,
// not one by one in name order.
std::string causal_state(const std::string& vars) {
  return kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"post","op":"set","value":1,"ok":true,"seq":1,"consistency":"causal"}
{"t":1000000,"node":"n1","ev":"var_apply","var":"post","origin":"n1","seq":1,"value":1}
{"t":1100000,"node":"n2","ev":"var_apply","var":"post","origin":"n1","seq":1,"value":1}
{"t":1200000,"node":"n2","ev":"var_write","var":"comment","op":"set","value":2,"ok":true,"seq":1,"consistency":"causal"}
{"t":1200000,"node":"n2","ev":"var_apply","var":"comment","origin":"n2","seq":1,"value":2}
{"t":1300000,"node":"n3","ev":"var_state","source":"transfer","from":"n2","vars":)" + vars + R"(}
{"t":1400000,"node":"n2","ev":"var_write","var":"comment","op":"set","value":3,"ok":true,"seq":2,"consistency":"causal"}
{"t":1400000,"node":"n2","ev":"var_apply","var":"comment","origin":"n2","seq":2,"value":3}
{"t":1500000,"node":"n3","ev":"var_apply","var":"comment","origin":"n2","seq":2,"value":3}
)";
}
const std::string kStateBoth = R"({"comment":{"vv":{"n2":1},"value":2},"post":{"vv":{"n1":1},"value":1}})";
const std::string kStateComment = R"({"comment":{"vv":{"n2":1},"value":2}})";
}  // namespace

TEST_CASE("causal_order: holds when a transferred state carries a write with the write it depends on",
          "[checks][variables][var_state]") {
  // Were the state ignored, n3's apply of comment n2#2 would skip comment n2#1 and lack
  // post n1#1.
  auto r = run_one(causal_state(kStateBoth), named("causal_order"));
  INFO(r.detail);
  CHECK(r.ok);
  // n2's apply of post n1#1, the two writes in n3's state, n3's apply of comment n2#2.
  CHECK(r.detail == "4 remote applies, each after the writes it depends on (3 causal writes)");
}

TEST_CASE("causal_order: holds when a state carries a write whose dependency the node applied before",
          "[checks][variables][var_state]") {
  std::string body = causal_state(kStateComment);
  const std::string post_first = R"({"t":1250000,"node":"n3","ev":"var_apply","var":"post","origin":"n1","seq":1,"value":1}
)";
  body.insert(body.find(R"({"t":1300000,"node":"n3")"), post_first);
  auto r = run_one(body, named("causal_order"));
  INFO(r.detail);
  CHECK(r.ok);
}

TEST_CASE("causal_order: fails when a transferred state exposes a write without the write it depends on",
          "[checks][variables][var_state]") {
  auto r = run_one(causal_state(kStateComment), named("causal_order"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n3 exposed comment n2#1 at 1.300s in a state from n2 without post n1#1, which n2 had applied before writing it");
}

TEST_CASE("causal_order: fails when a state replayed from the log at a restart exposes a write without its dependency",
          "[checks][variables][var_state]") {
  // n3 held both before its crash; the restart forgets them, and its log gives back only
  // the comments.
  std::string body = causal_state(kStateBoth) + R"({"t":2000000,"node":"n3","ev":"node_crash"}
{"t":3000000,"node":"n3","ev":"node_restart"}
{"t":3000000,"node":"n3","ev":"var_state","source":"log","vars":{"comment":{"vv":{"n2":2},"value":3}}}
)";
  auto r = run_one(body, named("causal_order"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n3 exposed comment n2#1 at 3.000s in a state from its log without post n1#1, which n2 had applied before writing it");
}

namespace {
// writes_and_applies, except that n3 gets both variables as one state from n1 (at 2s)
// instead of var_apply events.
std::string converged_by_state(const std::string& n3_counter, const std::string& n3_set) {
  std::string body = writes_and_applies("5", R"(["b"])");
  // Drop n3's two applies: its values come only from the state.
  for (int i = 0; i < 2; ++i) {
    const auto at = body.find(R"({"t":2000000,"node":"n3","ev":"var_apply")");
    REQUIRE(at != std::string::npos);
    body.erase(at, body.find('\n', at) + 1 - at);
  }
  return body + R"({"t":2000000,"node":"n3","ev":"var_state","source":"transfer","from":"n1","vars":{"c":{"vv":{"n1":1,"n2":1},"value":)" +
         n3_counter + R"(},"s":{"vv":{"n1":3},"value":)" + n3_set + R"(}}}
)";
}
}  // namespace

TEST_CASE("variables_converged: holds when a node's values come from a state that agrees", "[checks][variables][var_state]") {
  // Another state after `by` that brings nothing new (same values) is no change either.
  auto r = run_one(converged_by_state("5", R"(["b"])") +
                       R"({"t":7000000,"node":"n4","ev":"var_state","source":"transfer","from":"n2","vars":{"c":{"vv":{"n1":1,"n2":1},"value":5},"s":{"vv":{"n1":3},"value":["b"]}}}
)",
                   named("variables_converged", sec(5)));
  INFO(r.detail);
  CHECK(r.ok);
  CHECK(r.detail.find("2 variable(s) agree on 5 live nodes") == 0);
}

TEST_CASE("variables_converged: fails when a state gives a node a value the others do not hold",
          "[checks][variables][var_state]") {
  auto r = run_one(converged_by_state("2", R"(["b"])"), named("variables_converged", sec(5)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "at 5.000s n3 holds c = 2 but n1 holds 5");
}

TEST_CASE("variables_converged: fails when a state changes a value after `by`", "[checks][variables][var_state]") {
  auto r = run_one(converged_by_state("5", R"(["b"])") +
                       R"({"t":7000000,"node":"n4","ev":"var_state","source":"transfer","from":"n2","vars":{"c":{"vv":{"n1":1,"n2":1,"n3":1},"value":6}}}
)",
                   named("variables_converged", sec(5)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "n4 changed c from 5 to 6 at 7.000s, after 5.000s (a state from n2 arrived late)");
}

namespace {
// Session s writes cart at n1; then s reads at n2, whose read record says `read` (value and vv).
std::string session_read(const std::string& n2_applies, const std::string& read) {
  return kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"cart","op":"add","value":"a","ok":true,"seq":1,"session":"s","tag":"n1#1","resolve":"or_set"}
{"t":1000000,"node":"n1","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
)" + n2_applies + R"({"t":2000000,"node":"n2","ev":"var_read","var":"cart","op":"read","ok":true,"session":"s",)" + read + "}\n";
}
const std::string kN2Applies = R"({"t":1500000,"node":"n2","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
)";
}  // namespace

TEST_CASE("session_guarantees: a read is judged by what it returned, not by what its node had applied",
          "[checks][variables]") {
  SECTION("the node never traced the apply, but the read returned the write: holds") {
    auto r = run_one(session_read("", R"("value":["a"],"vv":{"n1":1})"), named("session_guarantees"));
    INFO(r.detail);
    CHECK(r.ok);
  }
  SECTION("the node had applied the write, but the read returned a value without it: fails") {
    auto r = run_one(session_read(kN2Applies, R"("value":[],"vv":{})"), named("session_guarantees"));
    CHECK_FALSE(r.ok);
    CHECK(r.detail == "session s read cart at n2 at 2.000s without its own write n1#1 (the read reflects n1's writes up to #0)");
  }
}

TEST_CASE("session_guarantees: fails when the value read is not what the writes its vv covers imply", "[checks][variables]") {
  // The read claims n1#1 but returned an empty cart.
  auto r = run_one(session_read(kN2Applies, R"("value":[],"vv":{"n1":1})"), named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "session s read cart at n2 at 2.000s = [], but the writes its vv {\"n1\":1} covers give [\"a\"] (the "
                    "acknowledged adds not removed (of 1 writes))");
}

TEST_CASE("session_guarantees: fails when a read carries no vv", "[checks][variables]") {
  auto r = run_one(session_read(kN2Applies, R"("value":["a"])"), named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "session s read cart at n2 at 2.000s, but the read carries no version vector `vv`: what it returned "
                    "cannot be judged");
}

TEST_CASE("session_guarantees: fails when a read's vv covers a write the trace does not have", "[checks][variables]") {
  auto r = run_one(session_read(kN2Applies, R"("value":["a"],"vv":{"n1":2})"), named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "session s read cart at n2 at 2.000s: its vv covers n1#2, but the trace has no acknowledged write n1#2 "
                    "to cart before it");
}

TEST_CASE("session_guarantees: fails when the variable's resolution cannot be judged", "[checks][variables]") {
  auto body = kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"x","op":"set","value":"a","ok":true,"seq":1,"session":"s","resolve":"no_such_merge"}
{"t":2000000,"node":"n1","ev":"var_read","var":"x","op":"read","value":"a","ok":true,"session":"s","vv":{"n1":1}}
)";
  auto r = run_one(body, named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "session s read x at n1 at 2.000s: cannot judge its value: the merge function \"no_such_merge\" is "
                    "not registered in this build");
}

TEST_CASE("session_guarantees: a read before any write returns an empty value", "[checks][variables]") {
  auto r = run_one(kStart + R"({"t":500000,"node":"n2","ev":"var_read","var":"cart","op":"read","value":[],"ok":true,"session":"s","vv":{}}
)" + R"({"t":1000000,"node":"n1","ev":"var_write","var":"cart","op":"add","value":"a","ok":true,"seq":1,"session":"s","tag":"n1#1","resolve":"or_set"}
{"t":2000000,"node":"n2","ev":"var_read","var":"cart","op":"read","value":["a"],"ok":true,"session":"s","vv":{"n1":1}}
)",
                   named("session_guarantees"));
  INFO(r.detail);
  CHECK(r.ok);
  CHECK(r.detail.find("2 session reads") == 0);
}

TEST_CASE("causal_order and session_guarantees: nothing to judge is a failure", "[checks][variables]") {
  // Writes to an eventual variable only, and no session: neither check has anything to judge.
  const std::string body = kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"c","op":"incr","value":1,"ok":true,"seq":1,"resolve":"g_counter","consistency":"eventual"}
{"t":1000000,"node":"n1","ev":"var_apply","var":"c","origin":"n1","seq":1,"value":1}
{"t":1500000,"node":"n2","ev":"var_apply","var":"c","origin":"n1","seq":1,"value":1}
{"t":2000000,"node":"n2","ev":"var_read","var":"c","value":1,"ok":true}
)";
  auto causal = run_one(body, named("causal_order"));
  CHECK_FALSE(causal.ok);
  CHECK(causal.detail == "no acknowledged write to a causal variable: nothing to judge");
  auto session = run_one(body, named("session_guarantees"));
  CHECK_FALSE(session.ok);
  CHECK(session.detail == "no successful session read: nothing to judge");
}

namespace {
// `writes` (var_write lines), then every node applies a last write of `var` and holds `value`.
std::string all_hold(const std::string& writes, const char* var, const std::string& value) {
  std::string body = kStart + writes;
  for (const char* n : {"n1", "n2", "n3", "n4", "n5"})
    body += std::string(R"({"t":3000000,"node":")") + n + R"(","ev":"var_apply","var":")" + var +
            R"(","origin":"n1","seq":9,"value":)" + value + "}\n";
  return body;
}
const std::string kIncrements = R"({"t":1000000,"node":"n1","ev":"var_write","var":"c","op":"incr","value":2,"ok":true,"seq":1,"resolve":"pn_counter"}
{"t":1100000,"node":"n2","ev":"var_write","var":"c","op":"incr","value":-5,"ok":true,"seq":1,"resolve":"pn_counter"}
{"t":1200000,"node":"n1","ev":"var_write","var":"c","op":"incr","value":4,"ok":true,"seq":2,"resolve":"pn_counter"}
{"t":1300000,"node":"n3","ev":"var_write","var":"c","op":"incr","value":7,"ok":false,"error":"read-only","resolve":"pn_counter"}
)";
// Three lww writes: n2's has the greatest timestamp although n3 wrote last.
const std::string kLww = R"({"t":1000000,"node":"n1","ev":"var_write","var":"x","op":"set","value":"a","ok":true,"seq":1,"hlc":[1000000,0],"resolve":"lww"}
{"t":1100000,"node":"n2","ev":"var_write","var":"x","op":"set","value":"b","ok":true,"seq":1,"hlc":[1900000,3],"resolve":"lww"}
{"t":1200000,"node":"n3","ev":"var_write","var":"x","op":"set","value":"c","ok":true,"seq":1,"hlc":[1900000,2],"resolve":"lww"}
)";
std::string extremes(const char* resolve) {
  std::string out;
  int seq = 1;
  for (const char* v : {"4", "-3", "9", "2"})
    out += std::string(R"({"t":1000000,"node":"n1","ev":"var_write","var":"m","op":"set","value":)") + v +
           R"(,"ok":true,"seq":)" + std::to_string(seq++) + R"(,"resolve":")" + resolve + "\"}\n";
  return out;
}
// vector_clock: n1 writes a; n2, having seen it, writes b (replaces a); n3, concurrently
// (having seen nothing), writes c. The maximal writes: b and c.
const std::string kSiblings = R"({"t":1000000,"node":"n1","ev":"var_write","var":"v","op":"set","value":"a","ok":true,"seq":1,"deps":[],"resolve":"vector_clock"}
{"t":1100000,"node":"n2","ev":"var_write","var":"v","op":"set","value":"b","ok":true,"seq":1,"deps":[["v","n1",1]],"resolve":"vector_clock"}
{"t":1200000,"node":"n3","ev":"var_write","var":"v","op":"set","value":"c","ok":true,"seq":1,"deps":[],"resolve":"vector_clock"}
)";
// A registered merge: "longest" (engine/variables/spec.h) keeps the longest text.
const std::string kLongest = R"({"t":1000000,"node":"n1","ev":"var_write","var":"l","op":"set","value":"ab","ok":true,"seq":1,"resolve":"longest"}
{"t":1100000,"node":"n2","ev":"var_write","var":"l","op":"set","value":"abcd","ok":true,"seq":1,"resolve":"longest"}
{"t":1200000,"node":"n3","ev":"var_write","var":"l","op":"set","value":"xyz","ok":true,"seq":1,"resolve":"longest"}
)";
}  // namespace

TEST_CASE("variables_converged: a counter must hold the sum of the acknowledged increments", "[checks][variables]") {
  auto ok = run_one(all_hold(kIncrements, "c", "1"), named("variables_converged", sec(5)));
  INFO(ok.detail);
  CHECK(ok.ok);
  auto bad = run_one(all_hold(kIncrements, "c", "8"), named("variables_converged", sec(5)));  // the refused +7 counted
  CHECK_FALSE(bad.ok);
  CHECK(bad.detail == "every live node holds c = 8 at 5.000s, but the sum of 3 acknowledged increments gives 1");
}

TEST_CASE("variables_converged: lww must hold the acknowledged write with the greatest timestamp", "[checks][variables]") {
  auto ok = run_one(all_hold(kLww, "x", R"("b")"), named("variables_converged", sec(5)));
  INFO(ok.detail);
  CHECK(ok.ok);
  auto bad = run_one(all_hold(kLww, "x", R"("c")"), named("variables_converged", sec(5)));  // the last, not the greatest
  CHECK_FALSE(bad.ok);
  CHECK(bad.detail == "every live node holds x = \"c\" at 5.000s, but the acknowledged write with the greatest timestamp "
                      "(n2#1 at 1.100s, of 3) gives \"b\"");
}

TEST_CASE("variables_converged: max and min must hold the greatest and least acknowledged write", "[checks][variables]") {
  CHECK(run_one(all_hold(extremes("max"), "m", "9"), named("variables_converged", sec(5))).ok);
  CHECK(run_one(all_hold(extremes("min"), "m", "-3"), named("variables_converged", sec(5))).ok);
  auto max = run_one(all_hold(extremes("max"), "m", "2"), named("variables_converged", sec(5)));
  CHECK_FALSE(max.ok);
  CHECK(max.detail == "every live node holds m = 2 at 5.000s, but the max of 4 acknowledged writes gives 9");
  auto min = run_one(all_hold(extremes("min"), "m", "4"), named("variables_converged", sec(5)));
  CHECK_FALSE(min.ok);
  CHECK(min.detail == "every live node holds m = 4 at 5.000s, but the min of 4 acknowledged writes gives -3");
}

TEST_CASE("variables_converged: vector_clock siblings must be exactly the maximal acknowledged writes",
          "[checks][variables]") {
  auto ok = run_one(all_hold(kSiblings, "v", R"({"siblings":["c","b"]})"), named("variables_converged", sec(5)));
  INFO(ok.detail);
  CHECK(ok.ok);
  const std::string want = R"(, but the maximal acknowledged writes (n2#1, n3#1 of 3) as siblings gives {"siblings":["b","c"]})";
  SECTION("a replaced write kept as a sibling") {
    auto r = run_one(all_hold(kSiblings, "v", R"({"siblings":["a","b","c"]})"), named("variables_converged", sec(5)));
    CHECK_FALSE(r.ok);
    CHECK(r.detail == R"(every live node holds v = {"siblings":["a","b","c"]} at 5.000s)" + want);
  }
  SECTION("a concurrent write lost") {
    auto r = run_one(all_hold(kSiblings, "v", R"("b")"), named("variables_converged", sec(5)));
    CHECK_FALSE(r.ok);
    CHECK(r.detail == R"(every live node holds v = "b" at 5.000s)" + want);
  }
  SECTION("a later write of the same writer replaces its earlier one") {
    auto r = run_one(all_hold(kSiblings + R"({"t":1300000,"node":"n3","ev":"var_write","var":"v","op":"set","value":"d","ok":true,"seq":2,"deps":[],"resolve":"vector_clock"}
)",
                              "v", R"({"siblings":["b","d"]})"),
                     named("variables_converged", sec(5)));
    INFO(r.detail);
    CHECK(r.ok);
  }
}

TEST_CASE("variables_converged: a registered merge must hold the merge of the acknowledged writes", "[checks][variables]") {
  auto ok = run_one(all_hold(kLongest, "l", R"("abcd")"), named("variables_converged", sec(5)));
  INFO(ok.detail);
  CHECK(ok.ok);
  auto bad = run_one(all_hold(kLongest, "l", R"("xyz")"), named("variables_converged", sec(5)));
  CHECK_FALSE(bad.ok);
  CHECK(bad.detail == "every live node holds l = \"xyz\" at 5.000s, but the merge \"longest\" of 3 acknowledged writes "
                      "gives \"abcd\"");
}

TEST_CASE("variables_converged: fails when the replicas agree on holding nothing despite acknowledged writes",
          "[checks][variables]") {
  // vector_clock: no expected value was computed for it before; every replica lost the writes.
  auto none = run_one(kStart + kSiblings, named("variables_converged", sec(5)));
  CHECK_FALSE(none.ok);
  CHECK(none.detail == "every live node holds nothing for v at 5.000s (no value), but it had 3 acknowledged write(s)");
  auto null = run_one(all_hold(kLww, "x", "null"), named("variables_converged", sec(5)));
  CHECK_FALSE(null.ok);
  CHECK(null.detail == "every live node holds nothing for x at 5.000s (null), but it had 3 acknowledged write(s)");
}

TEST_CASE("variables_converged: fails when a variable's resolution cannot be judged", "[checks][variables]") {
  auto unknown = run_one(all_hold(R"({"t":1000000,"node":"n1","ev":"var_write","var":"u","op":"set","value":1,"ok":true,"seq":1,"resolve":"no_such_merge"}
)", "u", "1"),
                         named("variables_converged", sec(5)));
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.detail == "cannot judge u: the merge function \"no_such_merge\" is not registered in this build");
  auto missing = run_one(all_hold(R"({"t":1000000,"node":"n1","ev":"var_write","var":"u","op":"set","value":1,"ok":true,"seq":1}
)", "u", "1"),
                         named("variables_converged", sec(5)));
  CHECK_FALSE(missing.ok);
  CHECK(missing.detail == "cannot judge u: the writes do not say how the variable resolves (no `resolve`)");
  auto not_integer = run_one(all_hold(R"({"t":1000000,"node":"n1","ev":"var_write","var":"u","op":"incr","value":"x","ok":true,"seq":1,"resolve":"g_counter"}
)", "u", "1"),
                             named("variables_converged", sec(5)));
  CHECK_FALSE(not_integer.ok);
  CHECK(not_integer.detail == "cannot judge u: the write n1#1 has a value that is not an integer (\"x\")");
}
