// The subcommands of the `mabeam` command line (DESIGN.md, "Command line"). Each takes the
// arguments after its name (argv[0] is "mabeam <name>") and returns the process exit code.
#pragma once

namespace mabeam::app {

int cmd_sim(int argc, char** argv);
int cmd_check(int argc, char** argv);
int cmd_sweep(int argc, char** argv);
int cmd_shrink(int argc, char** argv);
int cmd_trace(int argc, char** argv);
int cmd_lincheck(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_node(int argc, char** argv);
int cmd_portmap(int argc, char** argv);

}  // namespace mabeam::app
