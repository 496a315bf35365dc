// Tests of the trace reader: the sample loads; malformed traces are errors naming the line
// and the problem; unknown kinds and extra fields are tolerated; durations parse.
#include "viz/model/duration_text.h"
#include "viz/model/trace_reader.h"

#include <catch2/catch.hpp>

using namespace mabeam::viz;

namespace {
ReadResult read_text(const char* text) { return read_trace_bytes(QByteArray(text), QStringLiteral("t.jsonl")); }
QString data(const char* name) { return QStringLiteral(VIZ_TEST_DATA "/") + QLatin1String(name); }
}  // namespace

TEST_CASE("reader loads the 5-node sample: header, nodes, events in time order") {
  const ReadResult r = read_trace_file(data("cluster5.jsonl"));
  REQUIRE(r.ok);
  const Trace& t = *r.trace;
  CHECK(t.source == "sim");
  CHECK(t.seed == 7);
  CHECK(t.scenario == "minority-partition");
  REQUIRE(t.node_count() == 5);
  CHECK(t.nodes[3] == "n4");
  CHECK(t.events.size() > 4000);
  for (std::size_t i = 1; i < t.events.size(); ++i) REQUIRE(t.events[i - 1].t <= t.events[i].t);
  CHECK(t.partitions.size() == 1);
  CHECK(r.warnings.isEmpty());
}

TEST_CASE("reader: invalid JSON is an error naming the line and the column") {
  const ReadResult r = read_trace_file(data("bad_json.jsonl"));
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.line == 3);
  CHECK(r.error.message.contains("invalid JSON"));
  CHECK(r.error.text("bad_json.jsonl").startsWith("bad_json.jsonl:3: "));
}

TEST_CASE("reader: a field of the wrong type is an error naming the line and the field") {
  const ReadResult r = read_trace_file(data("bad_time.jsonl"));
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.line == 4);
  CHECK(r.error.message.contains("\"t\""));
  CHECK(r.error.message.contains("found a string"));
}

TEST_CASE("reader: a file without a mabeam header is rejected on line 1") {
  const ReadResult r = read_trace_file(data("bad_header.jsonl"));
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.line == 1);
  CHECK(r.error.message.contains("header"));
}

TEST_CASE("reader: an unknown membership state is rejected with its line") {
  const ReadResult r = read_trace_file(data("bad_member_state.jsonl"));
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.line == 2);
  CHECK(r.error.message.contains("asleep"));
}

TEST_CASE("reader: empty input, a missing file and an unsupported version are errors") {
  CHECK_FALSE(read_text("").ok);
  CHECK_FALSE(read_text("\n\n").ok);
  const ReadResult missing = read_trace_file(QStringLiteral("/nonexistent/trace.jsonl"));
  REQUIRE_FALSE(missing.ok);
  CHECK(missing.error.line == 0);
  CHECK(missing.error.message.contains("no such file"));
  const ReadResult v2 = read_text(R"({"trace":"mabeam","version":2,"nodes":[]})");
  REQUIRE_FALSE(v2.ok);
  CHECK(v2.error.message.contains("version"));
  const ReadResult arr = read_text("{\"trace\":\"mabeam\",\"version\":1}\n[1,2]\n");
  REQUIRE_FALSE(arr.ok);
  CHECK(arr.error.line == 2);
}

TEST_CASE("reader: unknown kinds and extra fields are tolerated, but a missing msg_send `to` is not") {
  const ReadResult r = read_text(
      "{\"trace\":\"mabeam\",\"version\":1,\"source\":\"real\",\"nodes\":[\"a\"],\"extra\":{\"x\":1}}\n"
      "{\"t\":1,\"node\":\"a\",\"ev\":\"gc_pause\",\"ms\":3}\n"
      "{\"t\":2,\"node\":\"a\",\"ev\":\"node_crash\",\"why\":\"oom\",\"nested\":[1,{\"k\":2}]}\n");
  REQUIRE(r.ok);
  REQUIRE(r.trace->events.size() == 2);
  CHECK(r.trace->events[0].kind == Kind::Other);
  CHECK(r.trace->str(r.trace->events[0].str_a) == "gc_pause");
  CHECK(r.trace->events[1].kind == Kind::NodeCrash);
  const ReadResult bad = read_text("{\"trace\":\"mabeam\",\"version\":1}\n{\"t\":1,\"node\":\"a\",\"ev\":\"msg_send\",\"type\":\"x\"}\n");
  REQUIRE_FALSE(bad.ok);
  CHECK(bad.error.line == 2);
  CHECK(bad.error.message.contains("\"to\""));
}

TEST_CASE("reader: nodes left out of every partition group form one more group, and sim and * are global") {
  const ReadResult r = read_text(
      "{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[\"a\",\"b\",\"c\",\"d\"]}\n"
      "{\"t\":5,\"node\":\"*\",\"ev\":\"partition\",\"groups\":[[\"a\"],[\"b\"]]}\n"
      "{\"t\":6,\"node\":\"sim\",\"ev\":\"heal\"}\n");
  REQUIRE(r.ok);
  REQUIRE(r.trace->partitions.size() == 1);
  const auto& g = r.trace->partitions[0].groups;
  REQUIRE(g.size() == 3);
  CHECK(g[2] == std::vector<int>{2, 3});
  CHECK(r.trace->events[0].node == kNoNode);
  CHECK(r.trace->events[1].node == kNoNode);
}

TEST_CASE("reader: a node in two partition groups is an error") {
  const ReadResult r = read_text(
      "{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[\"a\",\"b\"]}\n"
      "{\"t\":5,\"node\":\"sim\",\"ev\":\"partition\",\"groups\":[[\"a\"],[\"a\",\"b\"]]}\n");
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.line == 2);
  CHECK(r.error.message.contains("two partition groups"));
}

TEST_CASE("reader: events out of time order are sorted, with a warning") {
  const ReadResult r = read_text(
      "{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[\"a\"]}\n"
      "{\"t\":9,\"node\":\"a\",\"ev\":\"node_pause\"}\n"
      "{\"t\":3,\"node\":\"a\",\"ev\":\"node_crash\"}\n");
  REQUIRE(r.ok);
  CHECK(r.trace->events[0].t == 3);
  CHECK(r.trace->events[0].line == 3);
  CHECK_FALSE(r.warnings.isEmpty());
}

TEST_CASE("durations: 12s, 1500ms, 250us, 2m and 1.5s parse, and garbage does not") {
  CHECK(parse_duration_us("12s") == 12'000'000);
  CHECK(parse_duration_us("1500ms") == 1'500'000);
  CHECK(parse_duration_us("250us") == 250);
  CHECK(parse_duration_us("2m") == 120'000'000);
  CHECK(parse_duration_us(" 1.5s ") == 1'500'000);
  CHECK(parse_duration_us("7") == 7'000'000);
  CHECK_FALSE(parse_duration_us("soon"));
  CHECK_FALSE(parse_duration_us("-3s"));
  CHECK_FALSE(parse_duration_us("3 parsecs"));
  CHECK(format_time_us(12'000'000) == "12.000s");
  CHECK(format_time_us(850'000) == "850ms");
}
