// The checks of the agent service (DESIGN.md, "Checks"): agent_unique, agent_reachable and
// agent_state. Like the other checks they read only the trace (docs/trace-format.md,
// "Agents"): agent_spawn and agent_stop give each instance's life (a node's crash or
// departure ends its instances), agent_deliver each message an instance handled (with the
// counter's count after it), agent_send each message sent (`msg` = sender#number) and
// agent_outcome what its sender was told.
//
// - agent_unique: an instance dispatches from its spawn to its last delivery. No two
//   instances of one agent id on different nodes, and no two agents holding one name, have
//   overlapping dispatch intervals.
// - agent_reachable (within): every message sent to a live agent (an id, or a name held by a
//   running instance, at the send) whose sender outlives the deadline is delivered, or its
//   sender gets an outcome refused or unknown within `within`. And: no message is delivered
//   twice, none told `ok` is undelivered, none told `refused` was delivered, and the
//   messages of one sender to one agent are delivered in the order they were sent.
// - agent_state (agent): for each instance of the named counter, its count after the run
//   lies between its initial count plus the increments its senders were told were handled
//   (ok) and that plus the increments whose outcome was unknown; a refused increment was
//   never applied.
// Each fails, saying so, when the trace gives it nothing to judge.
#pragma once
#include "sim/checks.h"
#include "sim/history.h"

namespace mabeam::sim {

CheckResult check_agent_unique(const Check& c, const Trace& trace, const History& h);
CheckResult check_agent_reachable(const Check& c, const Trace& trace, const History& h);
CheckResult check_agent_state(const Check& c, const Trace& trace, const History& h);

}  // namespace mabeam::sim
