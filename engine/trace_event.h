// One trace event as a service emits it: a kind ("member", "mode", ...) and ordered fields.
// The host adds the time and the node name, then writes it in the trace format of DESIGN.md
// (one JSON object per line). Field order is the order of emission, so traces are stable.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mabeam {

// A JSON text that is written as-is (an array of groups, an object): the emitter owns its
// validity. Used for the few structured fields; scalars use the other alternatives.
struct RawJson {
  std::string text;
};

using FieldValue = std::variant<std::int64_t, double, bool, std::string, RawJson>;

struct TraceEvent {
  std::string ev;
  std::vector<std::pair<std::string, FieldValue>> fields;

  explicit TraceEvent(std::string kind) : ev(std::move(kind)) {}
  // Out of line (trace_event.cpp): GCC 12 reports a false -Wmaybe-uninitialized inside
  // std::variant when these are inlined into a caller that builds a field in place.
  TraceEvent& with(std::string key, std::int64_t v);
  TraceEvent& with(std::string key, int v);
  TraceEvent& with(std::string key, std::uint64_t v);
  TraceEvent& with(std::string key, double v);
  TraceEvent& with(std::string key, bool v);
  TraceEvent& with(std::string key, std::string v);
  TraceEvent& with(std::string key, const char* v);
  TraceEvent& with(std::string key, RawJson v);
};

// Appends `s` to `out` as a JSON string literal (quotes and escapes included).
void append_json_string(std::string& out, const std::string& s);
// A JSON array of strings, e.g. ["n1","n2"], for a RawJson field.
std::string json_string_array(const std::vector<std::string>& items);
// Appends one event as a JSON Lines record: {"t":..,"node":"..","ev":"..",fields...}\n
void append_trace_line(std::string& out, std::int64_t t, const std::string& node, const TraceEvent& e);

}  // namespace mabeam
