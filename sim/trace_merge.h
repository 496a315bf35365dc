// Merging the traces of several real nodes into one (`mabeam trace merge`), so that
// `mabeam trace` and the viewer show the whole cluster. Each real node writes its own trace,
// with times counted from its own start; its header carries `start_unix_us`, the wall clock
// (microseconds since the Unix epoch) at its t = 0. The merge shifts every node's times onto
// the earliest start and interleaves the records in time order (ties: input order, then line
// order), under one header listing every node. Across machines the result is as good as the
// hosts' clock synchronisation (NTP: typically a millisecond or better).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"
#include "sim/trace_reader.h"

namespace mabeam::sim {

// `inputs` are (name for messages, parsed trace) pairs. Errors (invalid): fewer than two
// inputs, a trace that is not from a real node, or one without `start_unix_us`. The text
// returned is a complete trace (header and records, one per line).
Result<std::string> merge_traces(const std::vector<std::pair<std::string, Trace>>& inputs);

}  // namespace mabeam::sim
