// The `linearizable` scenario check (DESIGN.md, "Checks"): the operations on one strong
// variable, read from the trace's op_invoke/op_complete events (trace_history.h), must form
// a linearizable history of a cas-register (checker.h). It fails with the minimal set of
// operations that cannot be ordered, when the variable got no operation ("nothing to
// judge"), when its op events are malformed, and when the search cannot decide within its
// step budget: the verdict depends on steps only, never on wall time, so a run and its
// replay agree.
#pragma once
#include <cstdint>
#include <string>

#include "sim/checks.h"
#include "sim/trace_reader.h"

namespace mabeam::sim {

struct LinearizableOptions {
  // Search steps for the whole check, shrinking included. Generated 10,000-operation
  // histories take 10^4 to 10^6 steps with 10 clients and about 2 x 10^7 with 50 and a
  // violation (docs/lincheck.md, "Measured"), a few seconds at most: this leaves room for
  // histories bigger or more tangled than a scenario makes, and bounds the check's time.
  std::uint64_t steps_max = 100'000'000;
  std::size_t cache_bytes_max = std::size_t{1} << 30;  // memory of one search's cache
};

CheckResult check_linearizable(const Trace& trace, const std::string& var, const LinearizableOptions& options = {});

}  // namespace mabeam::sim
