// Failure-detection benchmark on real processes, for `mabeam bench` (group `detect`).
//
// Each sample starts a fresh cluster of `nodes` real `mabeam node` processes on 127.0.0.1
// (ephemeral ports, SWIM membership; n2.. seeded with n1), waits until every node sees every
// other `active`, lets it settle for two probe intervals, then faults the last node and polls
// the survivors' /status every few milliseconds until every survivor shows it `down`. The
// figure is the time from the signal to that moment, as seen by the benchmark process:
// - kill9: SIGKILL (the process dies; its connections close, but membership decides);
// - sigstop: SIGSTOP (hung: sockets open, nothing answered), the case Erlang's net_ticktime
//   covers: Erlang finds a hung node after about 1.24 x net_ticktime, 75 s by default.
// Timer profiles: `fast` is {"probe_interval":"100ms","probe_timeout":"50ms"}; `default` is
// SWIM's defaults (probe_interval 1s, probe_timeout 500ms, suspicion 4 x max(1, log10(n+1))
// probe intervals, shrinking from 6x that as other members confirm), and so takes seconds
// per sample. Figures: real_detect_<fault>_<profile>_median_ms and _max_ms over `repeats`.
//
// Every process is killed and reaped, and every wait is bounded, also on errors.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace mabeam::real {

struct DetectBenchOptions {
  std::string binary;  // the mabeam executable
  int nodes = 3;
  int repeats = 5;
  bool fast_timers = true;
  bool default_timers = false;
};

// Appends (name, value) pairs; names end with their unit (_ms). On an error (a cluster that
// does not form, a node never seen down) returns it; the figures measured so far are kept.
Status run_detect_benchmarks(std::vector<std::pair<std::string, double>>& out, const DetectBenchOptions& options);

}  // namespace mabeam::real
