// Benchmarks of the real backend on loopback, for `mabeam bench` (group `real`):
// - real_oneway_64b_msgs_per_s: 64-byte one-way messages (encoded once, copied per send)
//   between two in-process real nodes (two io_context threads, real TCP, handshake done),
//   decoded and dispatched to a handler at the receiver, counted there;
// - real_rtt_median_us / real_rtt_p99_us: request/reply round trips, one in flight;
// - raw_tcp_64b_frames_per_s: the loopback ceiling with the same framing and batching but no
//   node, codec or dispatch (plain Asio sockets).
// Every wait is bounded: nodes that do not connect, a round trip that never comes back, a
// socket that cannot be opened leave their figure out and make the group report false.
#pragma once
#include <vector>

#include "bench/sim_bench.h"

namespace mabeam::bench {

struct RealBenchOptions {
  double seconds_per_figure = 1.0;
};

// False when a figure could not be measured (the reason goes to stderr); the figures
// measured are kept.
bool bench_real(std::vector<Figure>& out, const RealBenchOptions& options = {});

}  // namespace mabeam::bench
