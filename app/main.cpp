// Entry point of the `mabeam` command line: dispatches to one subcommand (commands.h).
#include <cstdio>
#include <cstring>
#include <string>

#include "app/commands.h"
#include "engine/version.h"

namespace {
const char* kUsage =
    "mabeam: a multi-agent cluster runtime with a deterministic simulator\n"
    "\n"
    "usage: mabeam <command> [options]   (mabeam <command> --help for its options)\n"
    "\n"
    "commands:\n"
    "  sim FILE        run one scenario and print a report (exit 0 ok, 1 a check failed, 2 bad input)\n"
    "  check PATH...   run scenario files or folders, one line each\n"
    "  sweep FILE      run a scenario over many seeds (--swarm: each with its own drawn faults),\n"
    "                  print failing seeds and how to replay them; --merge joins shard results\n"
    "  shrink FILE     shrink a failing scenario to a smaller one that fails the same check\n"
    "  trace           summarize a trace, convert it (Perfetto JSON, Graphviz DOT, a history), merge traces\n"
    "  lincheck FILE   check a history (mabeam's or any system's) for linearizability\n"
    "  bench           run the benchmark suite\n"
    "  node            run one real node\n"
    "  portmap         run the port mapper (name -> address registry, like Erlang's EPMD)\n"
    "\n"
    "  --version       the version, and the trace, scenario and wire format versions it speaks\n";

void print_version() {
  std::printf("mabeam %s\ntrace format %d\nscenario format %d\nwire protocol %u\n", MABEAM_VERSION,
              mabeam::kTraceFormatVersion, mabeam::kScenarioFormatVersion, unsigned{mabeam::kWireProtocolVersion});
}
}

int main(int argc, char** argv) {
  using namespace mabeam::app;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd == "--version" || cmd == "version") {
    print_version();
    return 0;
  }
  struct Entry {
    const char* name;
    int (*fn)(int, char**);
  };
  static const Entry entries[] = {{"sim", cmd_sim},         {"check", cmd_check},       {"sweep", cmd_sweep},
                                  {"shrink", cmd_shrink},   {"trace", cmd_trace},       {"lincheck", cmd_lincheck},
                                  {"bench", cmd_bench},     {"node", cmd_node},         {"portmap", cmd_portmap}};
  for (const auto& e : entries) {
    if (cmd == e.name) {
      std::string prog = std::string("mabeam ") + e.name;
      argv[1] = prog.data();
      return e.fn(argc - 1, argv + 1);
    }
  }
  std::fprintf(stderr, "mabeam: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
