// Failure detection on real node processes, for `mabeam bench` (group `detect`).
//
// Each sample starts a fresh cluster of real `mabeam node` processes (this executable) on
// 127.0.0.1 with ephemeral ports and SWIM membership with its default timers (the nodes'
// config file has no membership block), n2.. seeded with n1 and --cluster-size set, waits
// until every node sees every other `active`, lets it settle (3 s: every connection older
// than the transport's reconnect_max, as in a cluster that has been running), then faults
// the last node:
// - kill9: SIGKILL. The process dies on a live host: its connections close and a reconnect
//   is refused. The figure is the time from the signal until every other node's /status
//   says `down`. Then the node is started again on the same port with its data dir, and the
//   rejoin figure is the time from that start until every other node shows it `active`
//   with its new (higher) incarnation.
// - sigstop: SIGSTOP. The process hangs with its sockets open (the kernel still accepts
//   connections for it); the time until every other node says `down`.
// Each other node's /status is polled from its own thread every `poll_step` (5 ms). On a
// loaded machine the polling itself lags (threads and nine node processes share the cores),
// so each figure also has a `_traced` twin that does not depend on it: the time until the
// last other node's own trace has the mark (its `member` line; the trace header's
// start_unix_us puts it on the wall clock, which the benchmark shares on one host).
// Figures, for each cluster size N, over `repeats` fresh clusters:
// real_detect_kill9_N_nodes[_traced]_{median,max}_ms,
// real_detect_sigstop_N_nodes[_traced]_{median,max}_ms,
// real_rejoin_after_kill9_N_nodes[_traced]_{median,max}_ms.
//
// Every wait is bounded (forming, each detection, each rejoin) and every process is killed
// and reaped, also on errors; a figure set with a sample that could not be measured is left
// out, and the reason reported.
#pragma once
#include <string>
#include <vector>

#include "bench/sim_bench.h"
#include "real/cluster_launcher.h"

namespace mabeam::bench {

struct DetectBenchOptions {
  std::string binary;                 // the mabeam executable
  std::vector<int> cluster_sizes{3, 9};
  int repeats = 5;                    // fresh clusters per figure
  std::string config_json = "{}";     // the nodes' config file: SWIM with its default timers
  real::Millis poll_step{5};
  real::Millis form_timeout{30000};   // until every node sees every other active
  // After forming, before the fault: longer than the transport's reconnect_max (2 s), since
  // a connection that lived less than that is re-dialed after a 25-75 ms backoff instead of
  // at once (so a node killed within 2 s of connecting is seen down some 50 ms later).
  real::Millis settle{3000};
  real::Millis detect_timeout{15000};  // until every other node says down
  real::Millis rejoin_timeout{15000};  // until every other node says active again
  bool progress = true;               // one line per sample on stderr
};

// Appends the figures. False when a figure could not be measured (the reason goes to
// stderr); the figures measured are kept.
bool bench_detect(std::vector<Figure>& out, const DetectBenchOptions& options);

}  // namespace mabeam::bench
