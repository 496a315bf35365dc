// Benchmarks of the agent service on real nodes, for `mabeam bench --only agents`, side by
// side with Erlang/OTP measured the same way (when `erl`/`escript` is on the PATH):
// - agents_local_64b_msgs_per_s: one agent sends 64-byte messages to another on the same
//   node (credit-based: the receiver grants 256 more per 256 received, 1024 in flight);
// - agents_remote_64b_msgs_per_s: the same between two in-process real nodes over TCP;
// - agents_spawn_per_s: unnamed agents spawned by a client on one node;
// - agents_remote_rtt_us: request/reply round trip between agents on two nodes, one in flight.
// erlang_* figures: the same four with Erlang processes (send, spawn, gen_server-style call
// via a receive loop) on one node and on two distributed nodes started with -sname.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace mabeam::real {

// Appends (name, value) pairs; names end with their unit. false when a figure could not be
// measured (e.g. Erlang is not installed: its figures are left out and the reason printed).
bool run_agent_benchmarks(std::vector<std::pair<std::string, double>>& out, std::string& why_not);

}  // namespace mabeam::real
