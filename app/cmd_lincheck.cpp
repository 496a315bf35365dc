// `mabeam lincheck HISTORY [--model M] [--timeout T] [--steps N]` (DESIGN.md, "Command
// line"): reads a history in Jepsen's conventions (sim/lincheck/history.h), from mabeam's
// `trace history` or any other system, decides whether it is linearizable for the model
// (sim/lincheck/checker.h) and prints the verdict; on a violation, a minimal set of
// operations that cannot be ordered. Exit 0 linearizable, 1 not, 2 bad input, 3 undecided
// within the budget.
#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "app/commands.h"
#include "engine/duration.h"
#include "sim/lincheck/checker.h"
#include "sim/lincheck/history.h"

namespace mabeam::app {
namespace {

constexpr int kExitLinearizable = 0;
constexpr int kExitNotLinearizable = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitUndecided = 3;

const char* kFooter =
    "\n"
    "HISTORY is JSON Lines, one event a line, an invocation and a completion per operation\n"
    "(Jepsen's conventions; docs/lincheck.md):\n"
    "  {\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":3,\"time\":1000}\n"
    "  {\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":3,\"time\":2100}\n"
    "type is invoke, ok, fail (certainly did not happen) or info (unknown: may take effect\n"
    "any time after its invocation, or never); f is read, write or cas [expected, new]; with\n"
    "--model kv each event also has a key, and f may be append, get or put. time (ns) is\n"
    "optional: the order of the lines is the real-time order. Lines of other actors (a string\n"
    "process such as \"nemesis\") and of other types are skipped and counted. A history from a\n"
    "mabeam trace: mabeam trace history TRACE [--var V].\n"
    "\n"
    "models: register (read, write), cas-register (read, write, cas; the default), kv (one\n"
    "cas-register per key, with append; each key checked on its own). An unset register reads\n"
    "null.\n"
    "\n"
    "On a violation it prints a minimal set of operations that cannot be ordered (drop any one\n"
    "and the rest can be, unless a read loses the write it saw), with processes, lines and\n"
    "times.\n"
    "\n"
    "examples:\n"
    "  mabeam lincheck history.jsonl\n"
    "  mabeam trace history run.jsonl --var x | mabeam lincheck -\n"
    "  mabeam lincheck jepsen-history.jsonl --model kv --timeout 5m\n"
    "\n"
    "exit codes: 0 linearizable, 1 not linearizable, 2 bad command line or malformed history,\n"
    "3 undecided within the budget (--timeout, --steps)\n";

// "60s", "500ms", "2m", or a bare number of seconds.
Result<std::chrono::milliseconds> parse_timeout(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string::npos) {
    auto d = parse_duration(text + "s");
    if (!d) return d.status();
    return std::chrono::milliseconds(*d / 1000);
  }
  auto d = parse_duration(text);
  if (!d) return d.status();
  return std::chrono::milliseconds(*d / 1000);
}

}  // namespace

int cmd_lincheck(int argc, char** argv) {
  CLI::App app{"Check a history of operations on registers for linearizability, from mabeam or any other system.",
               "mabeam lincheck"};
  app.footer(kFooter);
  std::string path;
  std::string model_text = "cas-register";
  std::string timeout_text = "60s";
  std::uint64_t steps_max = 0;
  app.add_option("HISTORY", path, "history file (JSON Lines), or - for standard input")->required();
  app.add_option("--model", model_text, "register, cas-register (default) or kv");
  app.add_option("--timeout", timeout_text, "give up (undecided, exit 3) after this long: 60s by default; 500ms, 5m, or seconds");
  app.add_option("--steps", steps_max, "give up (undecided, exit 3) after this many search steps (default: no limit)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitLinearizable : kExitBadInput;
  }
  auto model = lincheck::parse_model(model_text);
  if (!model) {
    std::cerr << "mabeam lincheck: --model: " << model.status().message() << '\n';
    return kExitBadInput;
  }
  auto timeout = parse_timeout(timeout_text);
  if (!timeout) {
    std::cerr << "mabeam lincheck: --timeout: " << timeout.status().message() << '\n';
    return kExitBadInput;
  }
  Result<lincheck::History> history = Status::invalid("unread");
  if (path == "-") {
    history = lincheck::parse_history(std::cin, *model);
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "mabeam lincheck: cannot open " << path << '\n';
      return kExitBadInput;
    }
    history = lincheck::parse_history(in, *model);
  }
  if (!history) {
    std::cerr << "mabeam lincheck: " << path << ": " << history.status().message() << '\n';
    return kExitBadInput;
  }
  lincheck::CheckOptions options;
  options.steps_max = steps_max;
  options.timeout = *timeout;
  const lincheck::CheckReport report = lincheck::check_history(*history, options);
  std::cout << lincheck::format_report(*history, report);
  std::cout.flush();
  switch (report.verdict) {
    case lincheck::Verdict::linearizable: return kExitLinearizable;
    case lincheck::Verdict::not_linearizable: return kExitNotLinearizable;
    case lincheck::Verdict::undecided: return kExitUndecided;
  }
  return kExitUndecided;
}

}  // namespace mabeam::app
