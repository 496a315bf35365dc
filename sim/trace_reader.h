// Reading a trace file (DESIGN.md, "Trace format"): the header line and one record per
// event. Used by the checks (which read a run's history from its trace), by `mabeam trace`
// and by tests that feed hand-written histories. A malformed line is an error naming its
// line number and the problem; records of unknown kinds are kept (readers ignore them).
#pragma once
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/status.h"
#include "engine/time.h"

namespace mabeam::sim {

struct TraceHeader {
  std::string source;  // "sim" or "real"
  std::uint64_t seed = 0;
  std::string scenario;
  std::vector<std::string> nodes;
  // Real traces: the wall clock (microseconds since the Unix epoch) at t = 0, so the traces
  // of several nodes can be merged onto one time base (trace_merge.h).
  std::optional<std::int64_t> start_unix_us;
};

struct TraceRecord {
  TimeUs t = 0;
  std::string node;
  std::string ev;
  nlohmann::json fields;  // the whole object, t/node/ev included
};

struct Trace {
  TraceHeader header;
  std::vector<TraceRecord> records;  // in file order (time order)
};

// Errors: "line N: <problem>" for bad JSON, a missing or mistyped t/node/ev, a header that
// is not a mabeam version 1 trace, or time going backwards.
Result<Trace> parse_trace(std::istream& in);
Result<Trace> parse_trace_text(const std::string& text);
Result<Trace> read_trace_file(const std::string& path);

}  // namespace mabeam::sim
