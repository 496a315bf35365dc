// The consensus endpoints and strong variables over HTTP (see consensus_http.h).
#include "real/consensus_http.h"

#include <nlohmann/json.hpp>

#include "engine/consensus/service.h"
#include "engine/consensus/strong.h"
#include "real/http_json.h"

namespace mabeam::real {

namespace {
using nlohmann::json;

HttpResponse text(int status, const std::string& body) { return HttpResponse{status, "text/plain; charset=utf-8", body + "\n"}; }
HttpResponse json_response(int status, const json& j) { return HttpResponse{status, "application/json", j.dump() + "\n"}; }

bool has_query(const std::string& target, const std::string& pair) {
  const auto q = target.find('?');
  if (q == std::string::npos) return false;
  const std::string query = "&" + target.substr(q + 1) + "&";
  return query.find("&" + pair + "&") != std::string::npos;
}

json names(const std::set<std::string>& s) { return json(std::vector<std::string>(s.begin(), s.end())); }
}  // namespace

bool is_consensus_path(const std::string& path) { return path == "/consensus" || path.rfind("/consensus/", 0) == 0; }

void add_consensus_status(Node& node, json& status) {
  auto* c = node.find<raft::ConsensusService>();
  if (!c) return;
  status["leader"] = c->leader();
  status["term"] = c->term();
  status["role"] = c->running() ? raft::to_string(c->role()) : "refused";
}

void serve_consensus(Node& node, const HttpRequest& req, const HttpResponder& reply) {
  auto* c = node.find<raft::ConsensusService>();
  if (!c) return reply(text(503, "this node runs no consensus group (declare a strong variable or config.consensus)"));
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (path == "/consensus") {
    if (req.method != "GET") return reply(text(405, "use GET /consensus"));
    json j{{"node", node.name()}, {"running", c->running()}, {"applied", c->applied()}};
    if (!c->running()) {
      j["refused"] = c->refused_reason();
      return reply(json_response(200, j));
    }
    const auto& core = c->core();
    j["role"] = raft::to_string(core.role());
    j["term"] = core.term();
    j["leader"] = core.leader();
    j["commit"] = core.commit();
    j["last_index"] = core.last_index();
    j["snapshot_index"] = core.snapshot().index;
    j["voters"] = names(core.membership().voters);
    j["learners"] = names(core.membership().learners);
    return reply(json_response(200, j));
  }
  if (req.method != "POST") return reply(text(405, "use POST " + path));
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return reply(text(400, "expected a JSON object body, e.g. {\"add\": \"n4\"}"));
  auto name_of = [&](const char* key) -> std::string {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto answer = [&](const Status& s) {
    if (s) return reply(json_response(200, {{"ok", true}}));
    const int code = s.code() == Status::Code::unavailable ? 503 : 409;
    reply(json_response(code, {{"ok", false}, {"error", s.message()}, {"leader", c->leader()}}));
  };
  if (path == "/consensus/voters") {
    const std::string add = name_of("add"), remove = name_of("remove");
    if (add.empty() == remove.empty()) return reply(text(400, "expected {\"add\": NAME} or {\"remove\": NAME}"));
    return answer(add.empty() ? c->change_membership(raft::Raft::Change::remove, remove)
                              : c->change_membership(raft::Raft::Change::add_voter, add));
  }
  if (path == "/consensus/transfer") {
    const std::string to = name_of("to");
    if (to.empty()) return reply(text(400, "expected {\"to\": NAME}"));
    return answer(c->transfer_leader(to));
  }
  reply(text(404, "not found: try GET /consensus, POST /consensus/voters or POST /consensus/transfer"));
}

void serve_strong_variable(Node& node, const std::string& name, const HttpRequest& req, const HttpResponder& reply) {
  auto* strong = node.find<raft::StrongVariables>();
  if (!strong) return reply(text(503, "strong variables need the consensus service, which this node does not run"));
  raft::StrongClientOp op;
  op.var = name;
  op.process = strong->fresh_process();
  if (req.method == "GET") {
    if (has_query(req.target, "stale=true"))
      return reply(json_response(200, {{"var", name}, {"ok", true}, {"outcome", "ok"}, {"value", json_or_text(strong->value_of(name))}, {"stale", true}}));
    op.kind = raft::StrongKind::read;
  } else if (req.method == "PUT") {
    json v = json::parse(req.body, nullptr, false);
    if (v.is_discarded() || v.is_null()) return reply(text(400, "a write needs a JSON value as its body, e.g. 42 or \"text\""));
    op.kind = raft::StrongKind::write;
    op.value = v.dump();
  } else if (req.method == "POST") {
    if (!has_query(req.target, "op=cas")) return reply(text(400, "POST /variables/" + name + " on a strong variable takes ?op=cas"));
    json v = json::parse(req.body, nullptr, false);
    if (!v.is_object() || !v.contains("expected") || !v.contains("new") || v["new"].is_null())
      return reply(text(400, "op=cas needs a body {\"expected\": VALUE or null, \"new\": VALUE}"));
    op.kind = raft::StrongKind::cas;
    op.expected = v["expected"].dump();
    op.value = v["new"].dump();
  } else {
    return reply(text(405, "use GET, PUT or POST ?op=cas"));
  }
  strong->submit(std::move(op), [reply, name](const raft::StrongResult& r) {
    json body{{"var", name}, {"ok", r.type == "ok"}, {"outcome", r.type}};
    if (r.type == "ok") body["value"] = json_or_text(r.value);
    if (!r.error.empty()) body["error"] = r.error;
    int status = 200;
    if (r.type == "info") status = 504;
    if (r.type == "fail") status = r.error.rfind("cas:", 0) == 0 ? 409 : 503;
    if (r.type == "fail" && status == 409) body["value"] = json_or_text(r.value);
    reply(json_response(status, body));
  });
}

}  // namespace mabeam::real
