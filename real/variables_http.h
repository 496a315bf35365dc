// The variables endpoints of a real node (`--http`): clients read and write the node's
// distributed variables over HTTP, and /status lists them.
//
//   GET  /variables            every declared variable: name, consistency, resolve, value,
//                              replicas (as this node computes them)
//   GET  /variables/NAME       {"var","value","ok":true,"stale":bool}; stale = this node is
//                              read-only (no majority), so the value may be behind
//   PUT  /variables/NAME       body = a JSON value: the variable's default write
//                              (set; incr for counters; add for an or_set)
//   POST /variables/NAME?op=OP body = a JSON value (optional for incr): set, incr, add, remove
//
// A write answers 200 with {"var","value","ok":true} once the local replica applied it (and
// it is durable, with --data-dir), 409 when the variables service refuses it (read-only
// minority, wrong op for the variable, not an integer, ...) with the reason, 404 for an
// unknown variable, 400 for a body that is not JSON, 503 when the node declares no variables.
#pragma once
#include <nlohmann/json_fwd.hpp>

#include <vector>

#include "engine/node.h"
#include "engine/variables/spec.h"
#include "real/http_server.h"

namespace mabeam::real {

// True if `path` (without the query) is under /variables.
bool is_variables_path(const std::string& path);

// Serves one request under /variables on the node's thread; replies now or once the write
// is applied.
// `specs` are the node's declared variables (its configuration).
void serve_variables(Node& node, const std::vector<vars::VariableSpec>& specs, const HttpRequest& request,
                     const HttpResponder& reply);

// The `variables` field of /status: an object name -> current value (JSON); empty without
// variables.
nlohmann::json variables_status(Node& node, const std::vector<vars::VariableSpec>& specs);

}  // namespace mabeam::real
