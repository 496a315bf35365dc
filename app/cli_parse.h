// Parsing a subcommand's command line with CLI11 the same way everywhere: --help prints and
// exits 0, a bad option prints CLI11's message and exits 2 (bad input).
#pragma once
#include <CLI/CLI.hpp>

namespace mabeam::app {

// Returns -1 to go on, or the exit code to return.
inline int parse_cli(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return -1;
}

}  // namespace mabeam::app
