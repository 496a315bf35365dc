// The consensus endpoints of a real node (`--http`), and the strong variables' side of
// /variables (DESIGN.md, "Real node endpoints"):
//
//   GET  /variables/NAME[?stale=true]   a strong variable: a linearizable read (ReadIndex or
//                                       lease, at the leader); ?stale=true reads this node's
//                                       own applied state
//   PUT  /variables/NAME                body = a JSON value: write it
//   POST /variables/NAME?op=cas         body = {"expected": V|null, "new": V}
//   GET  /consensus                     role, term, leader, voters, learners, commit, applied
//   POST /consensus/voters              {"add": NAME} or {"remove": NAME} (at the leader)
//   POST /consensus/transfer            {"to": NAME} (at the leader)
//
// Every answer to a strong operation carries `outcome`: ok (200), fail (409: a cas whose
// expected value did not match; 503: refused before anything was proposed, no leader within
// op_timeout, with why) or info (504: forwarded or proposed, outcome unknown). An
// administration call at a node that is not the leader answers 503 naming the leader.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "engine/node.h"
#include "real/http_server.h"

namespace mabeam::real {

bool is_consensus_path(const std::string& path);
void serve_consensus(Node& node, const HttpRequest& request, const HttpResponder& reply);

// Serves GET/PUT/POST on one strong variable.
void serve_strong_variable(Node& node, const std::string& name, const HttpRequest& request, const HttpResponder& reply);

// /status fields: leader, term, role (nothing without the consensus service).
void add_consensus_status(Node& node, nlohmann::json& status);

}  // namespace mabeam::real
