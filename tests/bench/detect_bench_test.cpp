// The failure-detection benchmark (bench/detect_bench.h) reports a figure it could not
// measure as not measured, never as a number: a node that cannot start, and a fault that
// is never seen within the bound. Real `mabeam node` processes on 127.0.0.1, ephemeral ports.
#include <catch2/catch.hpp>

#include "bench/detect_bench.h"

using namespace mabeam;
using bench::DetectBenchOptions;
using real::Millis;

TEST_CASE("detect bench: a node that cannot start leaves the figures out and reports false", "[bench][real]") {
  DetectBenchOptions o;
  o.binary = "/nonexistent/mabeam";
  o.cluster_sizes = {3};
  o.repeats = 1;
  o.progress = false;
  std::vector<bench::Figure> out;
  CHECK_FALSE(bench::bench_detect(out, o));
  CHECK(out.empty());
}

TEST_CASE("detect bench: a hang not seen down within the bound is not measured, while kill -9 and the rejoin are", "[bench][real]") {
  DetectBenchOptions o;
  o.binary = MABEAM_BINARY;
  o.cluster_sizes = {2};
  o.repeats = 1;
  o.progress = false;
  o.settle = Millis(2500);
  // A suspicion that lasts far longer than the bound: SIGSTOP cannot be seen down in time,
  // while kill -9 (refused reconnects, no suspicion) still is.
  o.config_json = R"({"config":{"membership":{"probe_interval":"1s","probe_timeout":"500ms","suspicion_mult":30}}})";
  o.detect_timeout = Millis(2000);
  std::vector<bench::Figure> out;
  CHECK_FALSE(bench::bench_detect(out, o));
  std::vector<std::string> names;
  for (const auto& f : out) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"real_detect_kill9_2_nodes_median_ms", "real_detect_kill9_2_nodes_max_ms",
                                          "real_detect_kill9_2_nodes_traced_median_ms", "real_detect_kill9_2_nodes_traced_max_ms",
                                          "real_rejoin_after_kill9_2_nodes_median_ms", "real_rejoin_after_kill9_2_nodes_max_ms",
                                          "real_rejoin_after_kill9_2_nodes_traced_median_ms",
                                          "real_rejoin_after_kill9_2_nodes_traced_max_ms"});
  for (const auto& f : out) {
    INFO(f.name);
    CHECK(f.value > 0);
  }
}
