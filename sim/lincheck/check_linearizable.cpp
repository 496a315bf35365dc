// The `linearizable` check (check_linearizable.h).
#include "sim/lincheck/check_linearizable.h"

#include "sim/lincheck/checker.h"
#include "sim/lincheck/trace_history.h"

namespace mabeam::sim {

CheckResult check_linearizable(const Trace& trace, const std::string& var, const LinearizableOptions& options) {
  CheckResult r{"linearizable " + var, false, ""};
  if (var.empty()) {
    r.detail = "no variable named (the check needs \"var\")";
    return r;
  }
  auto h = lincheck::history_from_trace(trace, var);
  if (!h) {
    r.detail = "the trace's operations on " + var + " are malformed: " + h.status().message();
    return r;
  }
  if (h->ops.empty()) {
    r.detail = "nothing to judge: " + var + " got no operation (no op_invoke with var " + var + ")";
    return r;
  }
  lincheck::CheckOptions o;
  o.steps_max = options.steps_max;
  o.cache_bytes_max = options.cache_bytes_max;
  const lincheck::CheckReport report = lincheck::check_history(*h, o);
  const lincheck::HistoryStats s = lincheck::history_stats(*h);
  const std::string what = std::to_string(h->ops.size()) + " operations on " + var + " (" + std::to_string(s.ok) + " ok, " +
                           std::to_string(s.fail) + " fail, " + std::to_string(s.info) + " info, " +
                           std::to_string(s.pending) + " pending) from " + std::to_string(s.processes) + " processes";
  switch (report.verdict) {
    case lincheck::Verdict::linearizable:
      r.ok = true;
      r.detail = what + " are linearizable (" + std::to_string(report.steps) + " search steps)";
      break;
    case lincheck::Verdict::not_linearizable: {
      lincheck::Violation named = *report.violation;
      named.key = var;  // "N operations on x cannot be ordered: ..."
      r.detail = "not linearizable: " + lincheck::format_violation_line(*h, named);
      break;
    }
    case lincheck::Verdict::undecided:
      r.detail = "undecided: " + report.undecided_reason + " deciding " + what;
      break;
  }
  return r;
}

}  // namespace mabeam::sim
