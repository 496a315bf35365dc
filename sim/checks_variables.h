// The checks of the variables service and the partition guard (DESIGN.md, "Checks"):
// readonly_minority, variables_converged, causal_order, session_guarantees. Like the other
// checks they read only the trace: the nodes' mode events, the clients' var_write/var_read
// outcomes and the replicas' var_apply events. Dispatched from evaluate_checks (checks.cpp).
#pragma once
#include "sim/checks.h"
#include "sim/history.h"

namespace mabeam::sim {

CheckResult check_readonly_minority(const Check& c, const Trace& trace, const History& h);
CheckResult check_variables_converged(const Check& c, const Trace& trace, const History& h);
CheckResult check_causal_order(const Check& c, const Trace& trace, const History& h);
CheckResult check_session_guarantees(const Check& c, const Trace& trace, const History& h);

}  // namespace mabeam::sim
