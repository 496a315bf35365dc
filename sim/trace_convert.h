// Turning a parsed trace (trace_reader.h) into something a person reads or a tool opens:
// `mabeam trace summary|perfetto|dot` (DESIGN.md, "Command line"). Each form is a pure
// function of the trace and writes the same bytes for the same trace (ordered maps only).
//
// - summary: a text report: header, time covered, event counts by kind, per-node message
//   counts with drop reasons, a timeline of faults, membership, mode and leader changes.
// - perfetto: Chrome/Perfetto JSON trace-event format ({"traceEvents":[...]}, ts in µs):
//   one process for the world, one thread per node; faults and state changes as instant
//   events, matched msg_send/msg_recv pairs as async slices from send to receive joined by
//   a flow arrow, metric events as counters. Opens in ui.perfetto.dev and chrome://tracing.
// - dot: a Graphviz digraph of the topology: a node per cluster member coloured by its final
//   state, a directed edge a -> b labelled with the messages a sent to b (and how many were
//   dropped), partition groups still in effect at the end as clusters and one-way cuts as
//   dashed red edges.
//
// The field names each form reads are described in docs/trace-format.md. Kinds a form does
// not know are counted (summary) or shown as plain instant events (perfetto), never refused.
#pragma once
#include <iosfwd>
#include <string>

namespace mabeam::sim {

struct Trace;

void write_summary(const Trace& trace, std::ostream& out);
void write_perfetto(const Trace& trace, std::ostream& out);
void write_dot(const Trace& trace, std::ostream& out);

// The same, into a string.
std::string trace_summary(const Trace& trace);
std::string trace_perfetto(const Trace& trace);
std::string trace_dot(const Trace& trace);

// "12.803s": an instant or duration in µs as seconds with millisecond precision
// (truncated, so an event never appears later than it happened). Negative values get a '-'.
std::string format_seconds(long long t_us);

}  // namespace mabeam::sim
