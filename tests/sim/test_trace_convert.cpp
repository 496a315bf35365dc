// The forms of `mabeam trace` (sim/trace_convert.h) on one small hand-written history:
// three nodes, a ping answered, a ping lost to a partition, a crash seen by the others, a
// leader and a metric. Plus the command line itself: exit codes 0 and 2.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/trace_convert.h"
#include "sim/trace_reader.h"

using nlohmann::json;

namespace {

const char* kTrace =
    R"({"trace":"mabeam","version":1,"source":"sim","seed":7,"scenario":"tiny","nodes":["n1","n2","n3"]}
{"t":0,"node":"n1","ev":"node_start"}
{"t":0,"node":"n2","ev":"node_start"}
{"t":0,"node":"n3","ev":"node_start"}
{"t":1000,"node":"n1","ev":"msg_send","to":"n2","type":"ping","id":1}
{"t":3500,"node":"n2","ev":"msg_recv","from":"n1","type":"ping","id":1}
{"t":4000,"node":"n2","ev":"msg_send","to":"n1","type":"ack"}
{"t":5000,"node":"n1","ev":"msg_recv","from":"n2","type":"ack"}
{"t":6000,"node":"n1","ev":"msg_send","to":"n3","type":"ping","id":2}
{"t":6000,"node":"n1","ev":"msg_drop","to":"n3","type":"ping","id":2,"reason":"partition"}
{"t":10000000,"node":"*","ev":"partition","groups":[["n1","n2"]]}
{"t":11000000,"node":"n3","ev":"mode","mode":"readonly"}
{"t":12000000,"node":"n3","ev":"node_crash"}
{"t":12803000,"node":"n1","ev":"member","subject":"n3","state":"down","incarnation":0}
{"t":12803000,"node":"n2","ev":"member","subject":"n3","state":"down","incarnation":0}
{"t":12900000,"node":"n2","ev":"member","subject":"n3","state":"down","incarnation":0}
{"t":13000000,"node":"n1","ev":"leader","term":2}
{"t":13500000,"node":"n1","ev":"metric","name":"members_active","value":2}
{"t":14000000,"node":"n2","ev":"quantum_flux","level":3}
)";

mabeam::sim::Trace parsed() {
  auto r = mabeam::sim::parse_trace_text(kTrace);
  REQUIRE(r);
  return *r;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    if (l == line) return true;
  }
  return false;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const json* find_event(const json& events, const std::function<bool(const json&)>& pred) {
  for (const auto& e : events) {
    if (pred(e)) return &e;
  }
  return nullptr;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("mabeam_trace_cli_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("format_seconds prints seconds with millisecond precision", "[trace]") {
  using mabeam::sim::format_seconds;
  CHECK(format_seconds(0) == "0.000s");
  CHECK(format_seconds(12803000) == "12.803s");
  CHECK(format_seconds(12803999) == "12.803s");
  CHECK(format_seconds(999) == "0.000s");
  CHECK(format_seconds(-1500000) == "-1.500s");
}

TEST_CASE("summary of a small trace has the header, counts, drops and timelines", "[trace]") {
  const std::string s = mabeam::sim::trace_summary(parsed());
  INFO(s);
  CHECK(has_line(s, "trace: sim, seed 7, scenario \"tiny\""));
  CHECK(has_line(s, "nodes (3): n1 n2 n3"));
  CHECK(has_line(s, "covers: 0.000s to 14.000s (14.000s), 18 events"));
  // kinds sorted, unknown ones counted too
  CHECK(has_line(s, "  member                3"));
  CHECK(has_line(s, "  quantum_flux          1"));
  CHECK(s.find("  member ") < s.find("  msg_drop "));
  CHECK(s.find("  msg_drop ") < s.find("  quantum_flux "));
  // per node: n1 sent 2, received 1, one drop for a partition
  CHECK(has_line(s, "  node     events       sent   received    dropped"));
  CHECK(has_line(s, "  n1            8          2          1          1  (partition 1)"));
  CHECK(has_line(s, "  n2            6          1          1          0"));
  CHECK(has_line(s, "  0.000s n1 start"));
  CHECK(has_line(s, "  10.000s partition n1 n2 | n3"));
  CHECK(has_line(s, "  12.000s n3 crash"));
  // two observers seeing the same change at once share a line; a repeat is not a change
  CHECK(has_line(s, "  12.803s n1, n2 see n3 down"));
  CHECK_FALSE(contains(s, "12.900s"));
  CHECK(has_line(s, "  11.000s n3 readonly"));
  CHECK(has_line(s, "  13.000s n1 becomes leader (term 2)"));
}

TEST_CASE("summary output is the same for the same trace", "[trace]") {
  CHECK(mabeam::sim::trace_summary(parsed()) == mabeam::sim::trace_summary(parsed()));
}

TEST_CASE("perfetto output is trace-event JSON with thread names, a matched message slice, instants and counters",
          "[trace]") {
  const std::string text = mabeam::sim::trace_perfetto(parsed());
  const json doc = json::parse(text, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  CHECK(doc["displayTimeUnit"] == "ms");
  const json& ev = doc["traceEvents"];
  REQUIRE(ev.is_array());

  auto thread_tid = [&](const std::string& name) {
    const json* e = find_event(
        ev, [&](const json& x) { return x["ph"] == "M" && x["name"] == "thread_name" && x["args"]["name"] == name; });
    return e ? (*e)["tid"].get<int>() : -1;
  };
  const int n1 = thread_tid("n1"), n2 = thread_tid("n2"), n3 = thread_tid("n3");
  CHECK(n1 > 0);
  CHECK(n2 > 0);
  CHECK(n3 > 0);
  CHECK(thread_tid("world") > 0);  // the partition was written with no node
  CHECK(find_event(ev, [](const json& x) { return x["ph"] == "M" && x["name"] == "process_name"; }));

  // the ping n1 -> n2 (matched by id): a slice from 1000 to 3500 µs and a flow arrow
  const json* b = find_event(ev, [](const json& x) { return x["ph"] == "b" && x["name"] == "ping n1->n2"; });
  REQUIRE(b);
  CHECK((*b)["ts"] == 1000);
  CHECK((*b)["tid"] == n1);
  CHECK((*b)["args"]["latency_us"] == 2500);
  const json id = (*b)["id"];
  const json* e = find_event(ev, [&](const json& x) { return x["ph"] == "e" && x["id"] == id; });
  REQUIRE(e);
  CHECK((*e)["ts"] == 3500);
  CHECK((*e)["tid"] == n2);
  CHECK(find_event(ev, [&](const json& x) { return x["ph"] == "s" && x["id"] == id && x["tid"] == n1; }));
  CHECK(find_event(ev, [&](const json& x) { return x["ph"] == "f" && x["id"] == id && x["tid"] == n2; }));
  // the ack (no id) is matched first-in first-out
  CHECK(find_event(ev, [](const json& x) { return x["ph"] == "b" && x["name"] == "ack n2->n1" && x["ts"] == 4000; }));
  // the dropped ping has no slice, but a drop instant with its reason
  CHECK_FALSE(find_event(ev, [](const json& x) { return x["ph"] == "b" && x["name"] == "ping n1->n3"; }));
  CHECK(find_event(ev, [](const json& x) {
    return x["ph"] == "i" && x["cat"] == "msg_drop" && x["args"]["reason"] == "partition";
  }));

  const json* crash = find_event(ev, [](const json& x) { return x["ph"] == "i" && x["name"] == "node_crash"; });
  REQUIRE(crash);
  CHECK((*crash)["tid"] == n3);
  CHECK((*crash)["ts"] == 12000000);
  CHECK(find_event(ev, [&](const json& x) { return x["ph"] == "i" && x["name"] == "n3 down" && x["tid"] == n1; }));
  CHECK(find_event(ev, [](const json& x) { return x["ph"] == "i" && x["name"] == "leader n1 term 2"; }));
  CHECK(find_event(ev, [](const json& x) {
    return x["ph"] == "i" && x["name"] == "partition" && x["args"]["groups"][0][1] == "n2";
  }));
  CHECK(find_event(ev, [](const json& x) { return x["ph"] == "i" && x["name"] == "quantum_flux"; }));
  const json* counter = find_event(ev, [](const json& x) { return x["ph"] == "C"; });
  REQUIRE(counter);
  CHECK((*counter)["name"] == "members_active n1");
  CHECK((*counter)["args"]["value"] == 2);
}

TEST_CASE("dot output has every node coloured by final state, message edges and the partition", "[trace]") {
  const std::string d = mabeam::sim::trace_dot(parsed());
  INFO(d);
  CHECK(contains(d, "digraph mabeam {"));
  CHECK(contains(d, R"("n1" [label="n1" fillcolor=palegreen peripheries=2 xlabel="leader term 2"];)"));
  CHECK(contains(d, R"("n3" [label="n3\ncrashed" fillcolor=red fontcolor=white];)"));
  CHECK(contains(d, R"("n1" -> "n2" [label="1")"));
  CHECK(contains(d, R"("n2" -> "n1" [label="1")"));
  CHECK(contains(d, R"x("n1" -> "n3" [label="1 (1 dropped)")x"));
  CHECK(contains(d, "subgraph cluster_partition_1 {"));
  CHECK(contains(d, "subgraph cluster_partition_2 {"));
  CHECK(d.substr(d.size() - 2) == "}\n");
}

TEST_CASE("dot shows no partition after a heal and one-way cuts as dashed edges", "[trace]") {
  const std::string text = std::string(kTrace) +
                           R"({"t":15000000,"node":"","ev":"heal"})"
                           "\n"
                           R"({"t":16000000,"node":"","ev":"partition_oneway","from":["n1"],"to":["n2"]})"
                           "\n";
  auto r = mabeam::sim::parse_trace_text(text);
  REQUIRE(r);
  const std::string d = mabeam::sim::trace_dot(*r);
  INFO(d);
  CHECK_FALSE(contains(d, "cluster_partition"));
  CHECK(contains(d, R"("n1" -> "n2" [style=dashed color=red fontcolor=red label="cut" constraint=false];)"));
}

TEST_CASE("mabeam trace exits 0 on a good trace and 2 on a malformed or missing one", "[trace]") {
  const std::string good = temp_path("good.jsonl");
  const std::string bad = temp_path("bad.jsonl");
  const std::string out = temp_path("out.json");
  const std::string err = temp_path("err.txt");
  {
    std::ofstream f(good, std::ios::binary);
    f << kTrace;
    std::ofstream g(bad, std::ios::binary);
    g << R"({"trace":"mabeam","version":1,"source":"sim","nodes":["n1"]})"
      << "\n"
      << R"({"t":"abc","node":"n1","ev":"x"})"
      << "\n";
  }
  const std::string bin = MABEAM_BINARY;
  CHECK(run(bin + " trace summary " + good + " > /dev/null") == 0);
  CHECK(run(bin + " trace dot " + good + " > /dev/null") == 0);
  CHECK(run(bin + " trace perfetto " + good + " -o " + out) == 0);
  CHECK_FALSE(json::parse(slurp(out), nullptr, false).is_discarded());
  CHECK(run(bin + " trace --help > /dev/null") == 0);

  CHECK(run(bin + " trace summary " + bad + " 2> " + err) == 2);
  CHECK(slurp(err) == "mabeam trace: " + bad + ": line 2: \"t\" must be a non-negative integer, found \"abc\"\n");
  CHECK(run(bin + " trace summary " + temp_path("missing.jsonl") + " 2> /dev/null") == 2);
  CHECK(run(bin + " trace frobnicate " + good + " 2> /dev/null") == 2);
  CHECK(run(bin + " trace 2> /dev/null") == 2);

  for (const auto& p : {good, bad, out, err}) std::remove(p.c_str());
}

TEST_CASE("summary condenses membership: repeats dropped, same-millisecond changes share lines", "[trace]") {
  const std::string text = R"({"trace":"mabeam","version":1,"source":"real","nodes":["n1","n2","n3","n4"]}
{"t":0,"node":"n1","ev":"member","subject":"n1","state":"active","incarnation":1}
{"t":10,"node":"n2","ev":"member","subject":"n2","state":"active","incarnation":1}
{"t":1000100,"node":"n1","ev":"member","subject":"n2","state":"active","incarnation":1}
{"t":1000200,"node":"n1","ev":"member","subject":"n3","state":"active","incarnation":1}
{"t":2000000,"node":"n2","ev":"member","subject":"n3","state":"down","incarnation":1}
{"t":2000001,"node":"n1","ev":"member","subject":"n3","state":"down","incarnation":1}
{"t":2000002,"node":"n1","ev":"member","subject":"n4","state":"down","incarnation":1}
{"t":2000900,"node":"n2","ev":"member","subject":"n4","state":"down","incarnation":1}
{"t":2000950,"node":"n2","ev":"member","subject":"n1","state":"suspect","incarnation":1}
{"t":2500000,"node":"n2","ev":"member","subject":"n3","state":"down","incarnation":2}
{"t":3000000,"node":"n1","ev":"member","subject":"n3","state":"suspect","incarnation":2}
)";
  auto r = mabeam::sim::parse_trace_text(text);
  REQUIRE(r);
  const std::string s = mabeam::sim::trace_summary(*r);
  INFO(s);
  CHECK(has_line(s, "trace: real"));
  CHECK(contains(s,
                 "\nmembership:\n"
                 "  0.000s n1, n2 see themselves active\n"
                 "  1.000s n1 sees n2, n3 active\n"
                 "  2.000s n2, n1 see n3, n4 down\n"
                 "  2.000s n2 sees n1 suspect\n"
                 "  3.000s n1 sees n3 suspect\n"
                 "\nmodes: none\n"));
}

TEST_CASE("conversions accept a trace built in memory, records without fields included", "[trace]") {
  mabeam::sim::Trace trace;
  trace.header.source = "sim";
  trace.header.nodes = {"a", "b"};
  mabeam::sim::TraceRecord crash;
  crash.t = 2500;
  crash.node = "b";
  crash.ev = "node_crash";  // fields left null
  trace.records.push_back(crash);
  CHECK(has_line(mabeam::sim::trace_summary(trace), "  0.002s b crash"));
  CHECK_FALSE(json::parse(mabeam::sim::trace_perfetto(trace), nullptr, false).is_discarded());
  CHECK(contains(mabeam::sim::trace_dot(trace), R"("b" [label="b\ncrashed" fillcolor=red fontcolor=white];)"));
}
