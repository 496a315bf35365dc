// The checks of a scenario's `expect` list (DESIGN.md, "Checks"). Each reads the run's
// history (its trace) and returns ok with a one-line detail that, on failure, says who,
// when and what. Checks read only the trace, so they judge simulated and real runs alike,
// and tests can feed them hand-written histories.
#pragma once
#include <string>
#include <vector>

#include "sim/scenario.h"
#include "sim/trace_reader.h"

namespace mabeam::sim {

struct CheckResult {
  std::string check;  // the check's name and arguments, e.g. "detected_down n4 within 3s"
  bool ok = false;
  std::string detail;
};

// Evaluates every check over a trace whose run ended at `end_time`.
std::vector<CheckResult> evaluate_checks(const std::vector<Check>& checks, const Trace& trace, TimeUs end_time);

// The label of a check with its arguments, as shown in reports.
std::string check_label(const Check& c);

}  // namespace mabeam::sim
