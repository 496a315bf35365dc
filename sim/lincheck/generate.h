// Random histories for tests and benchmarks of the checker. generate_history() builds a
// linearizable history by construction: each client (one process at a time) runs operations
// back to back, each with a linearization point drawn inside its [invocation, completion]
// interval; replaying the operations in the order of those points on a register gives every
// read its value and every cas its outcome. make_stale_read() then breaks one read so that
// no order can explain it. Randomness comes from the seeded Rng (engine/rng.h): a seed gives
// the same history everywhere.
#pragma once
#include <cstddef>
#include <cstdint>

#include "sim/lincheck/history.h"

namespace mabeam::lincheck {

struct GenerateOptions {
  std::uint64_t seed = 1;
  std::size_t ops = 1000;
  std::size_t clients = 10;       // concurrent processes
  std::size_t keys = 1;           // more than 1: a kv history over keys "k0", "k1", ...
  std::size_t value_domain = 0;   // 0: every write and cas writes a fresh value; else values 0..n-1
  double info_probability = 0.0;  // an operation's outcome is lost (info); its client goes on as a new process
  double write_share = 0.3, cas_share = 0.2;  // the rest are reads
  std::int64_t latency_ns_max = 2'000'000;    // invocation to linearization point, and point to completion
  std::int64_t think_ns_max = 200'000;        // a client's pause between operations
};

History generate_history(const GenerateOptions& options);

// Makes the first suitable ok read at or after fraction `at` of the history return the value
// of a write that another write (completed before the read was invoked) overwrote, after it
// completed itself: a stale read. The history must have unique values (value_domain 0).
// Returns the index of the changed operation, or -1 when no read qualifies.
std::ptrdiff_t make_stale_read(History& h, double at = 0.5);

// Makes the first ok read at or after fraction `at` return a value nothing writes (-1), for
// histories with few values, where a stale read cannot be made certain. The search still
// has to try every order of what comes before it.
std::ptrdiff_t make_unwritten_read(History& h, double at = 0.5);

}  // namespace mabeam::lincheck
