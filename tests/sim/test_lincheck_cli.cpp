// `mabeam lincheck` and `mabeam trace history` as a user runs them: the exit codes (0
// linearizable, 1 not, 2 bad input, 3 undecided), the report on standard output, errors on
// standard error, standard input as `-`, and a trace's history piped into the checker.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/lincheck/generate.h"
#include "sim/lincheck/history.h"

namespace {
struct Run {
  int code;
  std::string out;
};
Run run(const std::string& args) {
  const std::string cmd = std::string(MABEAM_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}
const std::string kHistories = std::string(MABEAM_TEST_DATA) + "/histories/";

// A temporary file holding `text`, removed at the end of the test.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name, const std::string& text)
      : path((std::filesystem::temp_directory_path() / ("mabeam-lincheck-test-" + std::to_string(::getpid()) + "-" + name)).string()) {
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

// 20 clients and a stale read halfway: hundreds of thousands of search steps.
std::string hard_history_text(std::size_t ops) {
  mabeam::lincheck::GenerateOptions g;
  g.seed = 5;
  g.ops = ops;
  g.clients = 20;
  mabeam::lincheck::History h = mabeam::lincheck::generate_history(g);
  REQUIRE(mabeam::lincheck::make_stale_read(h, 0.5) >= 0);
  std::ostringstream out;
  mabeam::lincheck::write_history(h, out);
  return out.str();
}

const char* kTrace = R"({"trace":"mabeam","version":1,"source":"sim","seed":1,"scenario":"t","nodes":["n1","n2"]}
{"t":1000,"node":"n1","ev":"op_invoke","op":1,"process":0,"var":"x","f":"write","value":1}
{"t":2000,"node":"n1","ev":"op_complete","op":1,"type":"ok","value":1}
{"t":2100,"node":"n1","ev":"op_invoke","op":4,"process":0,"var":"y","f":"write","value":5}
{"t":2200,"node":"n1","ev":"op_complete","op":4,"type":"ok","value":5}
{"t":3000,"node":"n2","ev":"op_invoke","op":2,"process":1,"var":"x","f":"write","value":2}
{"t":4000,"node":"n2","ev":"op_complete","op":2,"type":"ok","value":2}
{"t":5000,"node":"n2","ev":"op_invoke","op":3,"process":1,"var":"x","f":"read","value":null}
{"t":6000,"node":"n2","ev":"op_complete","op":3,"type":"ok","value":1}
)";
}  // namespace

TEST_CASE("cli: mabeam lincheck exits 0 on a linearizable history and 1 with the minimal set", "[cli][lincheck]") {
  auto ok = run("lincheck " + kHistories + "jepsen-cas-register.jsonl");
  INFO(ok.out);
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::StartsWith("linearizable: 9 operations (7 ok, 1 fail, 1 info, 0 pending) from 4 processes"));
  CHECK_THAT(ok.out, Catch::Contains("skipped 2 lines of other actors"));
  auto bad = run("lincheck " + kHistories + "stale-read.jsonl");
  INFO(bad.out);
  CHECK(bad.code == 1);
  CHECK_THAT(bad.out, Catch::Contains("these 3 operations cannot be ordered, a minimal set:"));
  CHECK_THAT(bad.out, Catch::Contains("  2        read -> 1  ok       line 5 at 0.000005s  line 6 at 0.000006s"));
  auto kv = run("lincheck --model kv " + kHistories + "kv-one-bad-key.jsonl");
  CHECK(kv.code == 1);
  CHECK_THAT(kv.out, Catch::Contains("keys not linearizable: y\n"));
}

TEST_CASE("cli: mabeam lincheck reads standard input as -", "[cli][lincheck]") {
  auto r = run("lincheck - < " + kHistories + "cas-race.jsonl");
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("cas [1,3]"));
}

TEST_CASE("cli: mabeam lincheck exits 2 on bad input with what was expected and found", "[cli][lincheck]") {
  auto malformed = run("lincheck " + kHistories + "malformed/two-open-ops.jsonl");
  CHECK(malformed.code == 2);
  CHECK_THAT(malformed.out, Catch::Contains("two-open-ops.jsonl: line 2: process 0 invokes write while its read invoked at line 1 is still open"));
  auto missing = run("lincheck /nonexistent/history.jsonl");
  CHECK(missing.code == 2);
  CHECK_THAT(missing.out, Catch::Contains("cannot open /nonexistent/history.jsonl"));
  auto model = run("lincheck --model queue " + kHistories + "stale-read.jsonl");
  CHECK(model.code == 2);
  CHECK_THAT(model.out, Catch::Contains("--model: unknown model \"queue\": expected register, cas-register or kv"));
  auto timeout = run("lincheck --timeout soon " + kHistories + "stale-read.jsonl");
  CHECK(timeout.code == 2);
  CHECK_THAT(timeout.out, Catch::Contains("--timeout:"));
  auto register_cas = run("lincheck --model register " + kHistories + "cas-race.jsonl");
  CHECK(register_cas.code == 2);
  CHECK_THAT(register_cas.out, Catch::Contains("(use --model cas-register)"));
  auto usage = run("lincheck");
  CHECK(usage.code == 2);
}

TEST_CASE("cli: mabeam lincheck exits 3 when the step or time budget runs out", "[cli][lincheck]") {
  const TempFile h("budget.jsonl", hard_history_text(2000));
  auto steps = run("lincheck --steps 10 " + h.path);
  INFO(steps.out);
  CHECK(steps.code == 3);
  CHECK_THAT(steps.out, Catch::StartsWith("undecided: the step budget of 10 steps ran out; 2000 operations"));
  auto time = run("lincheck --timeout 0 " + h.path);
  INFO(time.out);
  CHECK(time.code == 3);
  CHECK_THAT(time.out, Catch::StartsWith("undecided: the time budget of 0 s ran out"));
  auto enough = run("lincheck --timeout 10m " + h.path);
  CHECK(enough.code == 1);
}

TEST_CASE("cli: mabeam trace history writes a trace's operations, and lincheck judges them", "[cli][lincheck]") {
  const TempFile t("trace.jsonl", kTrace);
  auto x = run("trace history " + t.path + " --var x");
  INFO(x.out);
  CHECK(x.code == 0);
  CHECK(x.out ==
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1,\"time\":1000000}\n"
        "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1,\"time\":2000000}\n"
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"value\":2,\"time\":3000000}\n"
        "{\"process\":1,\"type\":\"ok\",\"f\":\"write\",\"value\":2,\"time\":4000000}\n"
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":5000000}\n"
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1,\"time\":6000000}\n");
  auto piped = run("trace history " + t.path + " --var x | " + std::string(MABEAM_BINARY) + " lincheck -");
  CHECK(piped.code == 1);
  CHECK_THAT(piped.out, Catch::Contains("these 3 operations cannot be ordered"));
  auto all = run("trace history " + t.path);
  CHECK(all.code == 0);
  CHECK_THAT(all.out, Catch::Contains("\"key\":\"y\""));
  auto kv = run("trace history " + t.path + " | " + std::string(MABEAM_BINARY) + " lincheck --model kv -");
  CHECK(kv.code == 1);
  CHECK_THAT(kv.out, Catch::Contains("keys not linearizable: x\n"));
  auto none = run("trace history " + t.path + " --var z");
  CHECK(none.code == 0);
  CHECK(none.out == "mabeam trace history: " + t.path + ": no operations on z (no op_invoke events with var z)\n");
}

TEST_CASE("cli: mabeam trace history exits 2 on malformed op events", "[cli][lincheck]") {
  const TempFile t("bad-trace.jsonl", std::string(kTrace) + R"({"t":7000,"node":"n2","ev":"op_complete","op":99,"type":"ok"}
)");
  auto r = run("trace history " + t.path);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains(": line 10: op_complete of op 99, which no op_invoke before it started"));
}

TEST_CASE("cli: lincheck is in the usage and has its own help", "[cli][lincheck]") {
  auto usage = run("--help");
  CHECK_THAT(usage.out, Catch::Contains("lincheck FILE"));
  auto help = run("lincheck --help");
  CHECK(help.code == 0);
  CHECK_THAT(help.out, Catch::Contains("exit codes: 0 linearizable, 1 not linearizable, 2 bad command line"));
}
