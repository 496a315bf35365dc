// A generator of large synthetic traces for load-time tests: `nodes` nodes exchanging
// probes and gossip, membership changes, variable writes, a partition, a heal, a crash and a
// restart, `events` lines in all (plus the header). Deterministic for a given seed.
#pragma once
#include <QString>
#include <cstdint>

namespace mabeam::viz::test {

// Writes the trace to `path`; returns false if the file cannot be written.
bool write_synthetic_trace(const QString& path, int nodes, int events, std::uint64_t seed = 1);

}  // namespace mabeam::viz::test
