// The `consensus` group of `mabeam bench`: strong-variable writes and reads on three real
// `mabeam node` processes beside a three-member etcd 3.4 cluster, in the same run, on
// 127.0.0.1, both with their data on disk (fsynced). One load generator in this process
// drives both over HTTP/1.1 keep-alive connections, client k on node k mod 3: mabeam's
// `PUT /variables/x` (a 256-byte string value) and linearizable `GET /variables/x`, etcd's
// JSON gateway `POST /v3/kv/put` and `POST /v3/kv/range` (linearizable by default). Every
// client has one request open at a time; a request that is not answered 200 counts as an
// error, not a write.
//
// Figures (each the median over `repeats` runs of `seconds_per_figure`), for S in mabeam,
// etcd and C in `clients`: consensus_S_writes_cC_per_s, consensus_S_write_p50_cC_us,
// consensus_S_write_p99_cC_us; at one client consensus_S_read_p50_us and _p99_us;
// consensus_S_errors (requests of all runs not answered 200); the ratios
// consensus_write_ratio_cC (mabeam's writes per second over etcd's) and
// consensus_read_p50_ratio (etcd's read median over mabeam's: above 1, mabeam is faster).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace mabeam::real {

struct ConsensusBenchOptions {
  std::string binary;                  // the mabeam executable
  std::string etcd = "/usr/bin/etcd";  // Debian's etcd-server
  double seconds_per_figure = 2.0;
  int repeats = 3;
  // Concurrent clients (256 is 86 connections a node; a mabeam node's HTTP server takes 512,
  // kConnectionsMax in http_server.cpp).
  std::vector<int> clients = {1, 16, 64, 256};
  std::size_t value_bytes = 256;
};

// Appends (name, value) pairs; names end with their unit. Error: a cluster that could not be
// started (the etcd binary missing, no leader within 20 s), naming what failed; figures
// measured before the failure are kept.
Status run_consensus_benchmarks(std::vector<std::pair<std::string, double>>& out, const ConsensusBenchOptions& options);

}  // namespace mabeam::real
