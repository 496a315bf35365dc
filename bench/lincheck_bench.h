// Benchmarks of the linearizability checker (run by `mabeam bench`, group `lincheck`):
// operations checked per second on generated histories (sim/lincheck/generate.h) of 1,000
// and 10,000 operations from 10 concurrent clients, linearizable and not (one stale read
// halfway), a kv history over many keys, and the time to shrink a violation to its minimal
// set.
#pragma once
#include <vector>

#include "bench/sim_bench.h"

namespace mabeam::bench {

// False when a figure could not be measured (a verdict other than the one built in).
bool bench_lincheck(std::vector<Figure>& out);

}  // namespace mabeam::bench
