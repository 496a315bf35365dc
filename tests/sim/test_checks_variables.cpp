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
// Session s writes cart at n1; n2 takes in a state (`vars`) from n3, then s reads at n2.
std::string session_state(const std::string& vars) {
  return kStart + R"({"t":1000000,"node":"n1","ev":"var_write","var":"cart","op":"add","value":"a","ok":true,"seq":1,"session":"s"}
{"t":1000000,"node":"n1","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
{"t":1500000,"node":"n2","ev":"var_state","source":"transfer","from":"n3","vars":)" + vars + R"(}
{"t":2000000,"node":"n2","ev":"var_read","var":"cart","op":"read","value":["a"],"ok":true,"session":"s"}
)";
}
}  // namespace

TEST_CASE("session_guarantees: holds when a read follows a state that carried the session's write",
          "[checks][variables][var_state]") {
  auto r = run_one(session_state(R"({"cart":{"vv":{"n1":1},"value":["a"]}})"), named("session_guarantees"));
  INFO(r.detail);
  CHECK(r.ok);
  CHECK(r.detail == "1 session reads, each with the session's own writes and nothing older than before");
}

TEST_CASE("session_guarantees: fails when a read follows a state without the session's write",
          "[checks][variables][var_state]") {
  // The state carries another writer's write to cart, and n1's write to another variable.
  auto r = run_one(session_state(R"({"cart":{"vv":{"n4":1},"value":["z"]},"other":{"vv":{"n1":1},"value":1}})"),
                   named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "session s read cart at n2 at 2.000s without its own write n1#1 (n2 had n1's writes up to #0)");
}

TEST_CASE("session_guarantees: a write seen through a state counts for monotonic reads", "[checks][variables][var_state]") {
  // The read at n2 saw n4#1 through the state; a later read at n3, which has only n1#1,
  // goes back in time.
  auto r = run_one(session_state(R"({"cart":{"vv":{"n1":1,"n4":1},"value":["a","z"]}})") +
                       R"({"t":2300000,"node":"n3","ev":"var_apply","var":"cart","origin":"n1","seq":1,"value":["a"]}
{"t":2400000,"node":"n3","ev":"var_read","var":"cart","op":"read","value":["a"],"ok":true,"session":"s"}
)",
                   named("session_guarantees"));
  CHECK_FALSE(r.ok);
  CHECK(r.detail ==
        "session s read cart at n3 at 2.400s and went back in time: an earlier read had seen n4#1, n3 had only up to #0");
}

TEST_CASE("session_guarantees: a restart forgets what a node applied until its log state gives it back",
          "[checks][variables][var_state]") {
  auto base = session_state(R"({"cart":{"vv":{"n1":1},"value":["a"]}})");
  const std::string restart = R"({"t":2500000,"node":"n2","ev":"node_crash"}
{"t":2600000,"node":"n2","ev":"node_restart"}
)";
  const std::string read = R"({"t":3000000,"node":"n2","ev":"var_read","var":"cart","op":"read","value":["a"],"ok":true,"session":"s"}
)";
  SECTION("the log's state carries the write") {
    auto r = run_one(base + restart + R"({"t":2600000,"node":"n2","ev":"var_state","source":"log","vars":{"cart":{"vv":{"n1":1},"value":["a"]}}}
)" + read,
                     named("session_guarantees"));
    INFO(r.detail);
    CHECK(r.ok);
  }
  SECTION("the log held nothing") {
    auto r = run_one(base + restart + read, named("session_guarantees"));
    CHECK_FALSE(r.ok);
    CHECK(r.detail == "session s read cart at n2 at 3.000s without its own write n1#1 (n2 had n1's writes up to #0)");
  }
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
