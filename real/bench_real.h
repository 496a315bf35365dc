// Benchmarks of the real backend on loopback, for `mabeam bench`:
// - real_oneway_64b_msgs_per_s: 64-byte one-way messages (encoded once, copied per send)
//   between two in-process real nodes (two io_context threads, real TCP, handshake done),
//   decoded and dispatched to a handler at the receiver, counted there;
// - real_rtt_median_us / real_rtt_p99_us: request/reply round trips, one in flight;
// - raw_tcp_64b_frames_per_s: the loopback ceiling with the same framing and batching but no
//   node, codec or dispatch (plain Asio sockets).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace mabeam::real {

struct RealBenchOptions {
  double seconds_per_figure = 1.0;
};

// Appends (name, value) pairs; names end with their unit.
void run_real_benchmarks(std::vector<std::pair<std::string, double>>& out, const RealBenchOptions& options = {});

}  // namespace mabeam::real
