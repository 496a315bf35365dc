// The checks of the consensus service (DESIGN.md, "Checks"): single_leader_per_term and
// no_lost_writes. Like the other checks they read only the trace: `leader` events (a node
// became leader of `term`), the clients' op_invoke/op_complete, the replicas' op_apply and
// strong_state events, and the leaders' raft_config (the voters). Dispatched from
// evaluate_checks (checks.cpp).
#pragma once
#include "sim/checks.h"
#include "sim/history.h"

namespace mabeam::sim {

CheckResult check_single_leader_per_term(const Check& c, const Trace& trace);
CheckResult check_no_lost_writes(const Check& c, const Trace& trace, const History& h);

}  // namespace mabeam::sim
