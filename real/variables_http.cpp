// The variables endpoints of a real node (see variables_http.h).
#include "real/variables_http.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/consensus/strong.h"
#include "engine/quorum_view.h"
#include "engine/variables/variables.h"
#include "real/consensus_http.h"
#include "real/http_json.h"

namespace mabeam::real {

namespace {

using nlohmann::json;

HttpResponse text(int status, const std::string& body) { return HttpResponse{status, "text/plain; charset=utf-8", body + "\n"}; }
HttpResponse json_response(int status, const json& j) { return HttpResponse{status, "application/json", j.dump() + "\n"}; }

bool readonly(Node& node) {
  const auto* guard = node.find<QuorumView>();
  return guard && guard->readonly();
}

}  // namespace

bool is_variables_path(const std::string& path) { return path == "/variables" || path.rfind("/variables/", 0) == 0; }

json variables_status(Node& node, const std::vector<vars::VariableSpec>& specs) {
  json out = json::object();
  auto* service = node.find<vars::VariablesService>();
  auto* strong = node.find<raft::StrongVariables>();
  for (const auto& spec : specs) {
    if (spec.consistency == vars::Consistency::strong) {
      if (strong) out[spec.name] = json_or_text(strong->value_of(spec.name));
    } else if (service) {
      out[spec.name] = json_or_text(service->value_of(spec.name));
    }
  }
  return out;
}

void serve_variables(Node& node, const std::vector<vars::VariableSpec>& specs, const HttpRequest& request,
                     const HttpResponder& reply) {
  {
    const std::string path = request.target.substr(0, request.target.find('?'));
    const std::string name = path.rfind("/variables/", 0) == 0 ? path.substr(11) : "";
    for (const auto& spec : specs)
      if (spec.name == name && spec.consistency == vars::Consistency::strong) return serve_strong_variable(node, name, request, reply);
  }
  auto* service = node.find<vars::VariablesService>();
  if (!service) return reply(text(503, "this node declares no variables (see \"variables\" in its config file)"));
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/variables" || path == "/variables/") {
    if (request.method != "GET") return reply(text(405, "use GET /variables, or PUT/POST /variables/NAME"));
    json list = json::array();
    const json values = variables_status(node, specs);
    for (const auto& spec : specs) {
      if (spec.consistency == vars::Consistency::strong) {
        list.push_back({{"name", spec.name}, {"consistency", "strong"}, {"value", values.value(spec.name, json())}});
        continue;
      }
      list.push_back({{"name", spec.name},
                      {"consistency", vars::to_string(spec.consistency)},
                      {"resolve", vars::to_string(spec.resolve)},
                      {"value", json_or_text(service->value_of(spec.name))},
                      {"replicas", service->replicas_of(spec.name)}});
    }
    return reply(json_response(200, {{"variables", list}, {"stale", readonly(node)}}));
  }
  const std::string name = path.substr(std::string("/variables/").size());
  const bool known = std::any_of(specs.begin(), specs.end(), [&](const vars::VariableSpec& s) { return s.name == name; });
  if (!known) return reply(text(404, "unknown variable \"" + name + "\""));

  if (request.method != "GET" && request.method != "PUT" && request.method != "POST")
    return reply(text(405, "method not allowed: /variables/" + name + " takes GET, PUT or POST"));
  vars::ClientOp op;
  op.var = name;
  if (request.method == "GET") {
    op.op = "read";
  } else {
    op.op = request.method == "POST" ? query_param(request.target, "op") : "";
    if (request.method == "POST" && op.op.empty())
      return reply(text(400, "POST /variables/" + name + " needs ?op=set|incr|add|remove (PUT makes the default write)"));
    if (op.op == "read") return reply(text(400, "op=read: use GET /variables/" + name));
    const bool no_body = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
    if (no_body && op.op != "incr")
      return reply(text(400, "a write needs a JSON value as its body, e.g. 42 or \"text\""));
    if (!no_body) {
      json v = json::parse(request.body, nullptr, false);
      if (v.is_discarded()) return reply(text(400, "the body is not a JSON value: " + request.body.substr(0, 200)));
      op.value = v.dump();  // one line, canonical
    }
  }
  const bool read = op.op == "read";
  const bool stale = readonly(node);
  service->submit(std::move(op), {}, [reply, name, read, stale](const vars::OpOutcome& out) {
    // DESIGN.md's `outcome`: a refusal by the partition guard (no majority) is a `fail`
    // before anything happened, 503; other refusals are 409.
    if (!out.ok) {
      const int status = out.error.rfind("read-only:", 0) == 0 ? 503 : 409;
      return reply(json_response(status, {{"var", name}, {"ok", false}, {"outcome", "fail"}, {"error", out.error}}));
    }
    json body{{"var", name}, {"ok", true}, {"outcome", "ok"}, {"value", json_or_text(out.value)}};
    if (read) body["stale"] = stale;
    reply(json_response(200, body));
  });
}

}  // namespace mabeam::real
