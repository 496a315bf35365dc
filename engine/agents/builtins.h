// The built-in agent types (DESIGN.md, "Agents"), for scenarios, demos and tests. Every one
// reads JSON messages (type "json", version 1) and keeps its state as a JSON text
// (version 1); a message it does not understand is answered {"error": "..."}.
//
// - counter: state {"count": N} (default 0). {"inc": N} adds the integer N and replies the
//   new count; "get" replies the count.
// - kv: state {"data": {K: V, ...}}. {"put": [K, V]} stores V under the string K (replies
//   null); {"get": K} replies V, or null when K is unset; "keys" replies the sorted keys.
// - echo: replies with the message it got.
// - pinger: state {"peer": ID_OR_NAME, "every": "1s"}; every `every` it sends its peer a
//   request {"ping": N} (timing out after `every`) and counts the answers: state also holds
//   "sent", "pongs" and "failures". It answers a {"ping": N} with {"pong": N}. With
//   "monitor": true it monitors its peer from its start (its one `down` signal counted in
//   "downs", the reason kept in "last_down"); with "link": true it
//   is linked to its peer, so it ends when the peer does (it does not trap exits).
// - supervisor: state {"children": [SPEC, ...], "intensity": 3, "period": "5s"}. A SPEC is
//   {"type": T, "name": NAME, "state": {...}, "node": NODE or [NODE, ...], "durable": bool,
//   "restart": "permanent" | "transient" | "temporary"}. It traps exits and spawns each
//   child linked to it; when one ends it restarts it (one-for-one: only that child), unless
//   its restart says not to (temporary never; transient only after an abnormal end). More
//   than `intensity` restarts within `period` and it gives up, as OTP's supervisor does: it
//   ends with reason shutdown, which ends its linked children. A child that cannot be
//   started (its node is down, its name still held) is tried again on the next node of its
//   list after a back-off (200 ms doubling up to 5 s); such attempts are not restarts.
#pragma once
#include "engine/agents/types.h"

namespace mabeam::agents {

void add_builtin_types(TypeRegistry& registry);

}  // namespace mabeam::agents
