// The consensus benchmark's own paths (real/bench_consensus.h): without etcd it says where it
// looked, and keeps the figures it measured on the mabeam nodes before that.
#include <catch2/catch.hpp>
#include <map>

#include "real/bench_consensus.h"

TEST_CASE("bench consensus: a missing etcd is an error naming the path, and mabeam's figures are kept", "[real]") {
  mabeam::real::ConsensusBenchOptions o;
  o.binary = MABEAM_BINARY;
  o.etcd = "/nonexistent/etcd";
  o.seconds_per_figure = 0.2;
  o.repeats = 1;
  o.clients = {2};
  std::vector<std::pair<std::string, double>> out;
  const auto s = mabeam::real::run_consensus_benchmarks(out, o);
  REQUIRE_FALSE(s);
  CHECK(s.message() == "etcd: expected an executable at /nonexistent/etcd (apt-get install etcd-server), found none");
  std::map<std::string, double> f(out.begin(), out.end());
  CHECK(f.count("consensus_mabeam_writes_c2_per_s") == 1);
  CHECK(f["consensus_mabeam_writes_c2_per_s"] > 0);  // writes were acknowledged
  CHECK(f["consensus_mabeam_read_p50_us"] > 0);
  CHECK(f["consensus_mabeam_errors"] == 0);
  CHECK(f.count("consensus_etcd_writes_c2_per_s") == 0);
  CHECK(f.count("consensus_write_ratio_c2") == 0);
}
