// The agents endpoints of a real node (`--http`, DESIGN.md "Real node endpoints"), over the
// node's AgentService (engine/agents/service.h); every one needs the API token.
//
//   GET    /agents                     this node's agents: id, name, type, durable,
//                                      suspended, mailbox, state (the type's summary)
//   POST   /agents                     spawn: {"type", "name"?, "state"?, "durable"?, "node"?}
//                                      -> 201 {"outcome":"ok","agent":ID}
//   POST   /agents/ID_OR_NAME/messages body = the message (JSON) -> 200 {"outcome":"ok",
//                                      "agent", "reply"} once handled; with ?async=true 202
//                                      once in the agent's mailbox
//   DELETE /agents/ID_OR_NAME          an exit it cannot trap (reason killed, or ?reason=R)
//
// Outcomes as /variables': `ok`; `fail` when it certainly did not happen (404 no such agent,
// 409 a taken name naming its holder, a full mailbox or a message the agent does not read,
// 400 a bad type, state or body, 503 the registry unreachable before anything was granted);
// `info` (504) when it may have happened (a timeout, a lost node).
#pragma once
#include <nlohmann/json_fwd.hpp>

#include "engine/node.h"
#include "real/http_server.h"

namespace mabeam::real {

// True if `path` (without the query) is /agents or under it.
bool is_agents_path(const std::string& path);

// Serves one request under /agents on the node's thread; replies now or when the agent
// service has the outcome.
void serve_agents(Node& node, const HttpRequest& request, const HttpResponder& reply);

// The `agents` field of /status: this node's agents as GET /agents lists them.
nlohmann::json agents_status(Node& node);

}  // namespace mabeam::real
