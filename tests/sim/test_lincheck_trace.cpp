// Histories from traces: `trace history` (sim/lincheck/trace_history.h) turns op_invoke /
// op_complete events into a history, and the `linearizable` check (check_linearizable.h)
// judges one strong variable's operations from hand-written traces: sound ones pass, a
// stale read and a lost cas race fail naming the operations, a variable without operations
// fails as nothing to judge, malformed op events fail with their line, and a step budget
// too small fails as undecided.
#include <catch2/catch.hpp>

#include <sstream>

#include "sim/lincheck/check_linearizable.h"
#include "sim/lincheck/generate.h"
#include "sim/lincheck/history.h"
#include "sim/lincheck/trace_history.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {

const std::string kHeader = R"({"trace":"mabeam","version":1,"source":"sim","seed":1,"scenario":"t","nodes":["n1","n2","n3"]})";

Trace trace_of(const std::string& body) {
  auto t = parse_trace_text(kHeader + "\n" + body);
  REQUIRE(t.is_ok());
  return std::move(*t);
}

// x: write 1 on n1, then a read of 1 on n2 while y gets a write that times out.
const std::string kSound = R"({"t":0,"node":"n1","ev":"node_start"}
{"t":1000,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"write","value":1}
{"t":1500,"node":"n1","ev":"msg_send","to":"n2","type":"raft.append"}
{"t":2000,"node":"n1","ev":"op_complete","op":1,"type":"ok","value":1}
{"t":2500,"node":"n2","ev":"op_invoke","op":2,"process":1,"var":"y","f":"write","value":"a"}
{"t":3000,"node":"n2","ev":"op_invoke","op":3,"process":2,"var":"x","f":"read","value":null}
{"t":3500,"node":"n2","ev":"op_complete","op":2,"type":"info"}
{"t":4000,"node":"n2","ev":"op_complete","op":3,"type":"ok","value":1}
)";

// Builds a trace whose op events are those of a history, on one variable.
Trace trace_from_history(const lincheck::History& h, const std::string& var) {
  struct Event {
    std::size_t line, op;
    bool completion;
  };
  std::vector<Event> events;
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    events.push_back({h.ops[i].invoke_line, i, false});
    if (h.ops[i].outcome != lincheck::Outcome::pending) events.push_back({h.ops[i].complete_line, i, true});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.line < b.line; });
  std::string body;
  for (const auto& e : events) {
    const auto& op = h.ops[e.op];
    nlohmann::ordered_json j;
    j["t"] = e.line;
    j["node"] = "n1";
    j["ev"] = e.completion ? "op_complete" : "op_invoke";
    j["op"] = e.op;
    if (!e.completion) {
      j["process"] = op.process;
      j["var"] = var;
      j["f"] = op.f;
      j["value"] = op.value;
    } else {
      j["type"] = std::string(lincheck::outcome_name(op.outcome));
      j["value"] = op.kind == lincheck::OpKind::read ? op.read_value : op.value;
    }
    body += j.dump() + "\n";
  }
  return trace_of(body);
}

}  // namespace

TEST_CASE("trace history: one variable's operations, in trace order, with times in ns and trace lines", "[lincheck]") {
  const Trace t = trace_of(kSound);
  auto h = lincheck::history_from_trace(t, "x");
  REQUIRE(h.is_ok());
  CHECK(h->model == lincheck::Model::cas_register);
  REQUIRE(h->ops.size() == 2);
  CHECK(h->ops[0].invoke_line == 3);  // the header is line 1
  CHECK(h->ops[0].complete_line == 5);
  CHECK(h->ops[1].invoke_time_ns == 3000000);
  std::ostringstream out;
  lincheck::write_history(*h, out);
  CHECK(out.str() ==
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1,\"time\":1000000}\n"
        "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1,\"time\":2000000}\n"
        "{\"process\":2,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":3000000}\n"
        "{\"process\":2,\"type\":\"ok\",\"f\":\"read\",\"value\":1,\"time\":4000000}\n");
  // Read back as a history file, it is the same history.
  auto again = lincheck::parse_history_text(out.str(), lincheck::Model::cas_register);
  REQUIRE(again.is_ok());
  CHECK(again->ops.size() == 2);
}

TEST_CASE("trace history: without a variable, every variable is a key of one kv history", "[lincheck]") {
  auto h = lincheck::history_from_trace(trace_of(kSound), "");
  REQUIRE(h.is_ok());
  CHECK(h->model == lincheck::Model::kv);
  REQUIRE(h->ops.size() == 3);
  CHECK(h->ops[1].key == "y");
  CHECK(h->ops[1].outcome == lincheck::Outcome::info);
  std::ostringstream out;
  lincheck::write_history(*h, out);
  CHECK_THAT(out.str(), Catch::Contains("{\"process\":1,\"type\":\"info\",\"f\":\"write\",\"key\":\"y\",\"value\":\"a\",\"time\":3500000}\n"));
}

TEST_CASE("trace history: malformed op events are errors naming the trace line", "[lincheck]") {
  auto error = [](const std::string& body, const std::string& var = "x") {
    auto h = lincheck::history_from_trace(trace_of(body), var);
    REQUIRE_FALSE(h.is_ok());
    return h.status().message();
  };
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_complete","op":9,"type":"ok"})") ==
        "line 2: op_complete of op 9, which no op_invoke before it started");
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_invoke","process":0,"var":"x","f":"read"})") ==
        "line 2: op_invoke needs \"op\" (the operation's id)");
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_invoke","op":1,"process":"c1","var":"x","f":"read"})") ==
        "line 2: op_invoke needs \"process\" (an integer), found \"c1\"");
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_invoke","op":1,"process":0,"f":"read"})") ==
        "line 2: op_invoke needs \"var\" (a string), found none");
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"read"}
{"t":2,"node":"n1","ev":"op_complete","op":1,"type":"maybe"})") == "line 3: op_complete: \"type\" must be ok, fail or info, found \"maybe\"");
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"read"}
{"t":2,"node":"n1","ev":"op_invoke","op":1,"process":1,"var":"x","f":"read"})") == "line 3: op_invoke of op 1 again (first at line 2)");
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"write","value":1}
{"t":2,"node":"n1","ev":"op_complete","op":1,"type":"ok"}
{"t":3,"node":"n1","ev":"op_complete","op":1,"type":"ok"})") == "line 4: op_complete of op 1 again (first at line 3)");
  // The pairing rules of histories hold for traces too.
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"write","value":1}
{"t":2,"node":"n1","ev":"op_complete","op":1,"type":"info"}
{"t":3,"node":"n1","ev":"op_invoke","op":2,"process":0,"var":"x","f":"read"})") ==
        "line 4: process 0 invokes read after its operation ended in info at line 3: a process whose operation ended in "
        "info issues nothing more (its client goes on under a fresh process number)");
  CHECK(error(R"({"t":1,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"increment","value":1})") ==
        "line 2: \"f\" must be an operation of model cas-register (read, write, cas), found \"increment\"");
}

TEST_CASE("linearizable check: holds for a sound history and says how much it judged", "[lincheck][checks]") {
  const CheckResult r = check_linearizable(trace_of(kSound), "x");
  INFO(r.detail);
  CHECK(r.ok);
  CHECK(r.check == "linearizable x");
  CHECK_THAT(r.detail, Catch::StartsWith("2 operations on x (2 ok, 0 fail, 0 info, 0 pending) from 2 processes are linearizable ("));
  const CheckResult y = check_linearizable(trace_of(kSound), "y");  // one write whose outcome is unknown
  CHECK(y.ok);
}

TEST_CASE("linearizable check: fails on a stale read, naming the operations and their times", "[lincheck][checks]") {
  const CheckResult r = check_linearizable(trace_of(R"({"t":1000,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"write","value":1}
{"t":2000,"node":"n1","ev":"op_complete","op":1,"type":"ok","value":1}
{"t":3000,"node":"n2","ev":"op_invoke","op":2,"process":1,"var":"x","f":"write","value":2}
{"t":4000,"node":"n2","ev":"op_complete","op":2,"type":"ok","value":2}
{"t":5000,"node":"n3","ev":"op_invoke","op":3,"process":2,"var":"x","f":"read","value":null}
{"t":6000,"node":"n3","ev":"op_complete","op":3,"type":"ok","value":1}
)"), "x");
  CHECK_FALSE(r.ok);
  CHECK(r.detail ==
        "not linearizable: 3 operations on x cannot be ordered: process 0 write 1 ok [0.001s, 0.002s]; process 1 write "
        "2 ok [0.003s, 0.004s]; process 2 read -> 1 ok [0.005s, 0.006s]");
}

TEST_CASE("linearizable check: fails when two concurrent cas from the same value both succeed", "[lincheck][checks]") {
  const CheckResult r = check_linearizable(trace_of(R"({"t":1000,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"write","value":1}
{"t":2000,"node":"n1","ev":"op_complete","op":1,"type":"ok","value":1}
{"t":3000,"node":"n2","ev":"op_invoke","op":2,"process":1,"var":"x","f":"cas","value":[1,2]}
{"t":3100,"node":"n3","ev":"op_invoke","op":3,"process":2,"var":"x","f":"cas","value":[1,3]}
{"t":4000,"node":"n2","ev":"op_complete","op":2,"type":"ok"}
{"t":4100,"node":"n3","ev":"op_complete","op":3,"type":"ok"}
)"), "x");
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::StartsWith("not linearizable: 3 operations on x cannot be ordered: process 0 write 1 ok"));
  CHECK_THAT(r.detail, Catch::Contains("process 1 cas [1,2] ok [0.003s, 0.004s]; process 2 cas [1,3] ok [0.0031s, 0.0041s]"));
}

TEST_CASE("linearizable check: an info write may take effect after its timeout, a fail never does", "[lincheck][checks]") {
  const std::string body = R"({"t":1000,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"write","value":1}
{"t":2000,"node":"n1","ev":"op_complete","op":1,"type":"info"}
{"t":3000,"node":"n2","ev":"op_invoke","op":2,"process":1,"var":"x","f":"read","value":null}
{"t":4000,"node":"n2","ev":"op_complete","op":2,"type":"ok","value":null}
{"t":5000,"node":"n2","ev":"op_invoke","op":3,"process":1,"var":"x","f":"read","value":null}
{"t":6000,"node":"n2","ev":"op_complete","op":3,"type":"ok","value":1}
)";
  CHECK(check_linearizable(trace_of(body), "x").ok);
  std::string failed = body;
  failed.replace(failed.find("\"type\":\"info\""), 13, "\"type\":\"fail\"");
  const CheckResult r = check_linearizable(trace_of(failed), "x");
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.detail, Catch::StartsWith("not linearizable: 1 operation on x cannot be ordered: process 1 read -> 1 ok"));
}

TEST_CASE("linearizable check: a variable without operations is nothing to judge", "[lincheck][checks]") {
  const CheckResult r = check_linearizable(trace_of(kSound), "z");
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "nothing to judge: z got no operation (no op_invoke with var z)");
  const CheckResult none = check_linearizable(trace_of(R"({"t":0,"node":"n1","ev":"node_start"}
)"), "x");
  CHECK_FALSE(none.ok);
  CHECK_THAT(none.detail, Catch::StartsWith("nothing to judge"));
}

TEST_CASE("linearizable check: malformed op events fail the check with their line", "[lincheck][checks]") {
  const CheckResult r = check_linearizable(trace_of(R"({"t":1000,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"read","value":null}
{"t":2000,"node":"n1","ev":"op_invoke","op":2,"process":0,"var":"x","f":"read","value":null}
)"), "x");
  CHECK_FALSE(r.ok);
  CHECK(r.detail ==
        "the trace's operations on x are malformed: line 3: process 0 invokes read while its read invoked at line 2 "
        "is still open: a process has at most one operation open");
}

TEST_CASE("linearizable check: judges generated histories of a thousand operations, and undecided is a failure", "[lincheck][checks]") {
  lincheck::GenerateOptions g;
  g.seed = 3;
  g.ops = 1000;
  g.clients = 10;
  g.info_probability = 0.02;
  lincheck::History h = lincheck::generate_history(g);
  const CheckResult sound = check_linearizable(trace_from_history(h, "x"), "x");
  INFO(sound.detail);
  CHECK(sound.ok);
  REQUIRE(lincheck::make_stale_read(h, 0.5) >= 0);
  const Trace stale = trace_from_history(h, "x");
  const CheckResult bad = check_linearizable(stale, "x");
  CHECK_FALSE(bad.ok);
  CHECK_THAT(bad.detail, Catch::StartsWith("not linearizable: "));
  // The verdict depends on steps only: the same trace gives the same detail.
  CHECK(check_linearizable(stale, "x").detail == bad.detail);
  LinearizableOptions tight;
  tight.steps_max = 100;
  const CheckResult undecided = check_linearizable(stale, "x", tight);
  CHECK_FALSE(undecided.ok);
  CHECK_THAT(undecided.detail, Catch::StartsWith("undecided: the step budget of 100 steps ran out deciding 1000 operations on x ("));
}
