// Merging real nodes' traces (sim/trace_merge.h): times shifted onto the earliest start,
// records interleaved in time order, one header listing every node; the merged text reads
// back with the strict reader; traces that cannot be merged are refused with the reason.
#include <catch2/catch.hpp>

#include "sim/trace_merge.h"
#include "sim/trace_reader.h"

using namespace mabeam;
using namespace mabeam::sim;

namespace {

Trace parse(const std::string& text) {
  auto t = parse_trace_text(text);
  INFO(t.status().message());
  REQUIRE(t.is_ok());
  return *t;
}

// n2 started 250 ms after n1 (by the wall clock); its times count from its own start.
const char* kN1 = R"({"trace":"mabeam","version":1,"source":"real","seed":1,"scenario":"","nodes":["n1"],"start_unix_us":1000000000}
{"t":10,"node":"n1","ev":"node_start","addr":"127.0.0.1:1"}
{"t":300000,"node":"n1","ev":"member","subject":"n2","state":"active","incarnation":1}
{"t":900000,"node":"n1","ev":"var_write","var":"x","value":"\"a\\\"b\"","ok":true}
)";
const char* kN2 = R"({"trace":"mabeam","version":1,"source":"real","seed":2,"scenario":"","nodes":["n2"],"start_unix_us":1000250000}
{"t":20,"node":"n2","ev":"node_start","addr":"127.0.0.1:2"}
{"t":50000,"node":"n2","ev":"member","subject":"n1","state":"active","incarnation":1}
{"t":650000,"node":"n2","ev":"var_apply","var":"x","origin":"n1","seq":1,"value":"a"}
)";

}  // namespace

TEST_CASE("trace merge: real traces go onto the earliest start's clock, in time order", "[trace]") {
  auto merged = merge_traces({{"n1.jsonl", parse(kN1)}, {"n2.jsonl", parse(kN2)}});
  INFO(merged.status().message());
  REQUIRE(merged.is_ok());
  const Trace t = parse(*merged);
  CHECK(t.header.source == "real");
  CHECK(t.header.nodes == std::vector<std::string>{"n1", "n2"});
  REQUIRE(t.header.start_unix_us);
  CHECK(*t.header.start_unix_us == 1000000000);
  REQUIRE(t.records.size() == 6);
  std::vector<std::pair<TimeUs, std::string>> got;
  for (const auto& r : t.records) got.emplace_back(r.t, r.node + " " + r.ev);
  const std::vector<std::pair<TimeUs, std::string>> want = {
      {10, "n1 node_start"},      {250020, "n2 node_start"}, {300000, "n1 member"},
      {300000, "n2 member"},      {900000, "n1 var_write"},  {900000, "n2 var_apply"}};
  CHECK(got == want);  // equal times: input order
  // Fields survive the round trip, escapes included.
  CHECK(t.records[4].fields["value"] == "\"a\\\"b\"");
  CHECK(t.records[3].fields["subject"] == "n1");
}

TEST_CASE("trace merge: sim traces, traces without a start time and a single trace are refused", "[trace]") {
  const std::string sim =
      R"({"trace":"mabeam","version":1,"source":"sim","seed":1,"scenario":"s","nodes":["n1"]})"
      "\n";
  const std::string old =
      R"({"trace":"mabeam","version":1,"source":"real","seed":1,"scenario":"","nodes":["n3"]})"
      "\n";
  auto a = merge_traces({{"n1.jsonl", parse(kN1)}, {"run.jsonl", parse(sim)}});
  REQUIRE_FALSE(a.is_ok());
  CHECK(a.status().message().rfind("run.jsonl: a sim trace; only traces of real nodes are merged", 0) == 0);
  auto b = merge_traces({{"n1.jsonl", parse(kN1)}, {"n3.jsonl", parse(old)}});
  REQUIRE_FALSE(b.is_ok());
  CHECK(b.status().message().rfind("n3.jsonl: the header has no \"start_unix_us\"", 0) == 0);
  auto c = merge_traces({{"n1.jsonl", parse(kN1)}});
  REQUIRE_FALSE(c.is_ok());
  CHECK(c.status().message() == "merge needs at least two traces, found 1");
  // A start time that is not an integer is a header error.
  auto bad = parse_trace_text(R"({"trace":"mabeam","version":1,"source":"real","nodes":["n1"],"start_unix_us":"soon"})"
                              "\n");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("\"start_unix_us\" must be an integer") != std::string::npos);
}
