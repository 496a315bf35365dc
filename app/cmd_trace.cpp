// `mabeam trace summary|perfetto|dot TRACE [-o OUT]` (DESIGN.md, "Command line"): reads a
// trace with the strict reader (sim/trace_reader.h) and writes one of the conversions of
// sim/trace_convert.h. `mabeam trace merge TRACE... [-o OUT]` puts the traces of several real
// nodes on one clock in one trace (sim/trace_merge.h). `mabeam trace history TRACE [--var V]`
// writes the client operations on strong variables as a history for `mabeam lincheck`
// (sim/lincheck/trace_history.h). Exit 0 on success; 2 on a bad command line, a missing or
// malformed trace, or an output file that cannot be written.
#include <CLI/CLI.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>

#include "app/commands.h"
#include "sim/lincheck/history.h"
#include "sim/lincheck/trace_history.h"
#include "sim/trace_convert.h"
#include "sim/trace_merge.h"
#include "sim/trace_reader.h"

namespace mabeam::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 2;

const char* kFooter =
    "\n"
    "forms:\n"
    "  summary   a text report: header, time covered, event counts by kind, messages\n"
    "            sent/received/dropped per node with drop reasons, and timelines of faults,\n"
    "            membership changes, mode changes and leader changes\n"
    "  perfetto  Chrome/Perfetto trace-event JSON: one track per node, faults and state\n"
    "            changes as instant events, messages as slices from send to receive with\n"
    "            flow arrows, metrics as counters; open it at https://ui.perfetto.dev\n"
    "  dot       a Graphviz digraph: nodes coloured by final state, a -> b edges labelled\n"
    "            with messages sent (and dropped), partitions in effect at the end as\n"
    "            clusters; render with `dot -Tsvg OUT.dot -o OUT.svg`\n"
    "  merge     the traces of several real nodes (one file each) as one trace, on one clock\n"
    "            (each real trace's header has the wall clock at its start); for the viewer\n"
    "  history   the operations on strong variables (op_invoke/op_complete events) as a\n"
    "            history in Jepsen's conventions, JSON Lines in real-time order, for\n"
    "            `mabeam lincheck` (docs/lincheck.md); --var V: that variable's, for the\n"
    "            cas-register model; without: every strong variable as a key of one kv history\n"
    "\n"
    "TRACE is a trace file in the mabeam JSON Lines format (docs/trace-format.md), or - for\n"
    "standard input. The output goes to standard output unless -o is given.\n"
    "\n"
    "examples:\n"
    "  mabeam trace summary run.jsonl\n"
    "  mabeam trace perfetto run.jsonl -o run.perfetto.json\n"
    "  mabeam trace dot run.jsonl | dot -Tpng -o topology.png\n"
    "  mabeam trace merge n1.jsonl n2.jsonl n3.jsonl -o cluster.jsonl && mabeam-viz cluster.jsonl\n"
    "  mabeam trace history run.jsonl --var x | mabeam lincheck -\n"
    "  mabeam trace history run.jsonl -o ops.jsonl && mabeam lincheck ops.jsonl --model kv\n"
    "\n"
    "exit codes: 0 done, 2 bad command line, unreadable or malformed trace, unwritable output\n";

}  // namespace

int cmd_trace(int argc, char** argv) {
  CLI::App app{"Summarize a mabeam trace, convert it to Perfetto JSON, Graphviz DOT or a history, or merge real nodes' traces.",
               "mabeam trace"};
  app.footer(kFooter);
  app.require_subcommand(1, 1);

  std::string trace_path;
  std::string out_path;
  struct Form {
    const char* name;
    const char* help;
    void (*write)(const sim::Trace&, std::ostream&);
  };
  const Form forms[] = {
      {"summary", "print a text report of the trace", sim::write_summary},
      {"perfetto", "convert to Chrome/Perfetto trace-event JSON (open at ui.perfetto.dev)", sim::write_perfetto},
      {"dot", "convert to a Graphviz DOT topology (dot -Tsvg)", sim::write_dot},
  };
  for (const auto& f : forms) {
    CLI::App* sub = app.add_subcommand(f.name, f.help);
    sub->add_option("TRACE", trace_path, "trace file (JSON Lines), or - for standard input")->required();
    sub->add_option("-o,--output", out_path, "write here instead of standard output");
  }
  std::vector<std::string> merge_paths;
  CLI::App* merge = app.add_subcommand("merge", "merge the traces of several real nodes into one, on one clock");
  merge->add_option("TRACE", merge_paths, "trace files of real nodes (at least two)")->required();
  merge->add_option("-o,--output", out_path, "write here instead of standard output");
  std::string var;
  CLI::App* history_cmd = app.add_subcommand("history", "write the operations on strong variables as a history for mabeam lincheck");
  history_cmd->add_option("TRACE", trace_path, "trace file (JSON Lines), or - for standard input")->required();
  history_cmd->add_option("--var", var, "only this variable (a cas-register history); default: every one, as kv keys");
  history_cmd->add_option("-o,--output", out_path, "write here instead of standard output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, or the error with a hint
    return code == 0 ? kExitOk : kExitBadInput;
  }

  auto read = [](const std::string& path) -> Result<sim::Trace> {
    Result<sim::Trace> trace = path == "-" ? sim::parse_trace(std::cin) : sim::read_trace_file(path);
    if (!trace) {
      const Status& s = trace.status();
      // Open failures already name the file; the reader's "line N: ..." errors do not.
      const bool names_file = s.code() == Status::Code::not_found || s.code() == Status::Code::io_error;
      std::cerr << "mabeam trace: " << (names_file ? "" : path + ": ") << s.message() << '\n';
    }
    return trace;
  };

  // Writes to -o's file, or to standard output; the merge path and the conversions share it.
  auto emit = [&out_path](const std::function<void(std::ostream&)>& write) {
    if (out_path.empty()) {
      write(std::cout);
      std::cout.flush();
      if (!std::cout) {
        std::cerr << "mabeam trace: cannot write to standard output\n";
        return kExitBadInput;
      }
      return kExitOk;
    }
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    if (!out) {
      std::cerr << "mabeam trace: cannot open " << out_path << " for writing\n";
      return kExitBadInput;
    }
    write(out);
    out.close();
    if (!out) {
      std::cerr << "mabeam trace: cannot write " << out_path << '\n';
      return kExitBadInput;
    }
    return kExitOk;
  };

  if (app.got_subcommand("merge")) {
    std::vector<std::pair<std::string, sim::Trace>> inputs;
    for (const auto& path : merge_paths) {
      auto trace = read(path);
      if (!trace) return kExitBadInput;
      inputs.emplace_back(path, std::move(*trace));
    }
    auto merged = sim::merge_traces(inputs);
    if (!merged) {
      std::cerr << "mabeam trace merge: " << merged.status().message() << '\n';
      return kExitBadInput;
    }
    return emit([&](std::ostream& out) { out << *merged; });
  }

  if (app.got_subcommand("history")) {
    auto trace = read(trace_path);
    if (!trace) return kExitBadInput;
    auto ops = lincheck::history_from_trace(*trace, var);
    if (!ops) {
      std::cerr << "mabeam trace history: " << trace_path << ": " << ops.status().message() << '\n';
      return kExitBadInput;
    }
    if (ops->ops.empty()) {
      std::cerr << "mabeam trace history: " << trace_path << ": no operations"
                << (var.empty() ? std::string(" on strong variables") : " on " + var)
                << " (no op_invoke events" << (var.empty() ? std::string() : " with var " + var) << ")\n";
    }
    return emit([&](std::ostream& out) { lincheck::write_history(*ops, out); });
  }

  const Form* form = nullptr;
  for (const auto& f : forms) {
    if (app.got_subcommand(f.name)) form = &f;
  }
  if (form == nullptr) return kExitBadInput;  // require_subcommand makes this unreachable

  Result<sim::Trace> trace = read(trace_path);
  if (!trace) return kExitBadInput;
  return emit([&](std::ostream& out) { form->write(*trace, out); });
}

}  // namespace mabeam::app
