// Running the `mabeam` executable from a test as a user would: the command line after
// "mabeam" (a shell command line: it may redirect), stdout and stderr together (unless
// `with_stderr` is false), and the exit code.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

namespace mabeam::test {

struct CliRun {
  int code;
  std::string out;
};

inline CliRun run_cli(const std::string& args, bool with_stderr = true) {
  const std::string cmd = std::string(MABEAM_BINARY) + " " + args + (with_stderr ? " 2>&1" : "");
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace mabeam::test
