// The client operations of a mabeam trace as a history (history.h): every `op_invoke`
// (`op` id, `process`, `var`, `f`, `value`) and `op_complete` (`op`, `type` ok|fail|info,
// `value`) event, in the trace's order (time order, `t`; a merged real trace likewise), with
// `time` = `t` in ns. Used by `mabeam trace history` and the `linearizable` check.
//
// With a variable name the history is that variable's, for the cas-register model; with ""
// it holds every variable that has operations, each a `key` of one kv history. The pairing
// rules of HistoryBuilder apply; an op event that breaks them or lacks a field is an error
// naming the trace line.
#pragma once
#include <string>

#include "engine/status.h"
#include "sim/lincheck/history.h"
#include "sim/trace_reader.h"

namespace mabeam::lincheck {

Result<History> history_from_trace(const sim::Trace& trace, const std::string& var);

}  // namespace mabeam::lincheck
