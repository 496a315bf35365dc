// The failover figures of `mabeam bench --only consensus`: the time from `kill -9` of the
// leader of three voters on 127.0.0.1 to the next acknowledged write, for mabeam's strong
// variables and for etcd 3.4 in the same run, with default timers and with tuned ones
// (heartbeat 10 ms, election timeout 100 ms on both).
//
// How one failover is timed: the cluster is up with a leader every member knows and writes
// acknowledged through each follower; the leader's process gets SIGKILL at t0; from then on
// kFailoverClients client threads per surviving member write in a loop, each request
// abandoned after kFailoverRequestMs (a request forwarded to the dead leader is not answered
// before the member's own timeout); the figure is the time from t0 to the first 200 answer
// to a request sent after t0. The killed member is restarted on its data directory and the
// cluster settles before the next round. Its resolution is about kFailoverRequestMs divided
// by the client threads per member.
//
// Figures for S in mabeam, etcd and T in default, tuned: consensus_S_failover_T_ms (median
// over `repeats` rounds) and consensus_S_failover_T_max_ms.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"
#include "real/bench_consensus.h"

namespace mabeam::real {

// Appends (name, value) pairs; names end with their unit. Error: a cluster that could not be
// started or never settled, or a failover with no acknowledged write within 10 s.
Status run_failover_benchmarks(std::vector<std::pair<std::string, double>>& out, const ConsensusBenchOptions& options);

}  // namespace mabeam::real
