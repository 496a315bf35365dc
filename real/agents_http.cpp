// The agents endpoints of a real node (see agents_http.h).
#include "real/agents_http.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/agents/ids.h"
#include "engine/agents/service.h"
#include "real/http_json.h"

namespace mabeam::real {

namespace {

using nlohmann::json;
using agents::Outcome;

HttpResponse json_response(int status, const json& j) { return HttpResponse{status, "application/json", j.dump() + "\n"}; }
HttpResponse fail(int status, const std::string& error) {
  return json_response(status, {{"outcome", "fail"}, {"error", error}});
}

// What an outcome means over HTTP.
HttpResponse outcome_response(const Outcome& o) {
  json j;
  if (!o.agent.empty()) j["agent"] = o.agent;
  switch (o.kind) {
    case Outcome::Kind::ok:
      j["outcome"] = "ok";
      j["reply"] = json_or_text(o.reply);
      return json_response(200, j);
    case Outcome::Kind::refused: {
      j["outcome"] = "fail";
      j["error"] = o.error;
      const bool gone = o.error.rfind(agents::kNoproc, 0) == 0;
      return json_response(gone ? 404 : 409, j);
    }
    case Outcome::Kind::unknown:
      j["outcome"] = "info";
      j["error"] = o.error;
      return json_response(504, j);
  }
  return json_response(500, j);
}

void spawn(agents::AgentService& svc, const HttpRequest& req, const HttpResponder& reply) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return reply(fail(400, "expected a JSON object {\"type\", \"name\"?, \"state\"?, \"durable\"?, \"node\"?}"));
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "type" && it.key() != "name" && it.key() != "state" && it.key() != "durable" && it.key() != "node")
      return reply(fail(400, "unknown key \"" + it.key() + "\" (expected type, name, state, durable, node)"));
  agents::SpawnSpec spec;
  auto type = body.find("type");
  if (type == body.end() || !type->is_string()) return reply(fail(400, "expected \"type\": an agent type name"));
  spec.type = type->get<std::string>();
  if (!svc.types().find(spec.type)) return reply(fail(400, "unknown agent type \"" + spec.type + "\""));
  if (auto n = body.find("name"); n != body.end()) {
    if (!n->is_string() || !agents::valid_name(n->get<std::string>()))
      return reply(fail(400, "expected \"name\": [A-Za-z_][A-Za-z0-9_-]*, at most 128 bytes"));
    spec.name = n->get<std::string>();
  }
  if (auto st = body.find("state"); st != body.end()) {
    if (!st->is_object()) return reply(fail(400, "expected \"state\": an object (the agent's state)"));
    const std::string text = st->dump();
    spec.state = Bytes(text.begin(), text.end());
    // The type itself says whether it takes this state, before anything is claimed.
    const agents::AgentType* t = svc.types().find(spec.type);
    if (auto ok = t->make()->restore(spec.state, t->version); !ok) return reply(fail(400, ok.message()));
  }
  if (auto d = body.find("durable"); d != body.end()) {
    if (!d->is_boolean()) return reply(fail(400, "expected \"durable\": true or false"));
    spec.durable = d->get<bool>();
  }
  if (auto n = body.find("node"); n != body.end()) {
    if (!n->is_string()) return reply(fail(400, "expected \"node\": a node name"));
    spec.node = n->get<std::string>();
  }
  svc.spawn(std::move(spec), [reply](Result<std::string> r) {
    if (r) return reply(json_response(201, {{"outcome", "ok"}, {"agent", *r}}));
    const Status& s = r.status();
    switch (s.code()) {
      case Status::Code::invalid: return reply(fail(400, s.message()));
      case Status::Code::refused: return reply(fail(409, s.message()));
      case Status::Code::unavailable:
        // A claim without an answer may have been granted (and is released again).
        if (s.message().find("may have been granted") != std::string::npos)
          return reply(json_response(504, {{"outcome", "info"}, {"error", s.message()}}));
        return reply(fail(503, s.message()));
      default: return reply(fail(409, s.message()));
    }
  });
}

void send(agents::AgentService& svc, const std::string& to, const HttpRequest& req, const HttpResponder& reply) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return reply(fail(400, "expected the message as a JSON value"));
  const bool async = query_param(req.target, "async") == "true";
  // One answer per request: the outcome, or (async) the moment it reached the mailbox.
  auto answered = std::make_shared<bool>(false);
  auto once = [reply, answered](HttpResponse r) {
    if (*answered) return;
    *answered = true;
    reply(std::move(r));
  };
  std::function<void()> enqueued;
  if (async) enqueued = [once] { once(json_response(202, {{"outcome", "ok"}, {"enqueued", true}})); };
  // Async: a handled message was enqueued too (its reply can overtake the enqueue's ack).
  svc.call("http", to, agents::Payload::json(body.dump()), 0,
           [once, async](const Outcome& o) {
             if (async && o.kind == Outcome::Kind::ok)
               return once(json_response(202, {{"outcome", "ok"}, {"enqueued", true}, {"agent", o.agent}}));
             once(outcome_response(o));
           },
           std::move(enqueued));
}

}  // namespace

bool is_agents_path(const std::string& path) { return path == "/agents" || path.rfind("/agents/", 0) == 0; }

json agents_status(Node& node) {
  json list = json::array();
  auto* svc = node.find<agents::AgentService>();
  if (!svc) return list;
  for (const auto& a : svc->agents()) {
    json e{{"id", a.id}, {"type", a.type}, {"mailbox", a.mailbox}};
    if (!a.name.empty()) e["name"] = a.name;
    if (a.durable) e["durable"] = true;
    if (a.suspended) e["suspended"] = true;
    if (!a.summary.empty()) e["state"] = json_or_text(a.summary);
    list.push_back(std::move(e));
  }
  return list;
}

void serve_agents(Node& node, const HttpRequest& req, const HttpResponder& reply) {
  auto* svc = node.find<agents::AgentService>();
  if (!svc) return reply(fail(503, "this node runs no agent service"));
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (path == "/agents" || path == "/agents/") {
    if (req.method == "GET") return reply(json_response(200, {{"node", node.name()}, {"agents", agents_status(node)}}));
    if (req.method == "POST") return spawn(*svc, req, reply);
    return reply(fail(405, "use GET /agents (list) or POST /agents (spawn)"));
  }
  std::string rest = path.substr(std::string("/agents/").size());
  const auto slash = rest.find('/');
  const std::string target = rest.substr(0, slash);
  const std::string sub = slash == std::string::npos ? "" : rest.substr(slash);
  if (target.empty() || (!agents::is_agent_id(target) && !agents::valid_name(target)))
    return reply(fail(400, "expected /agents/ID_OR_NAME, found \"" + target + "\""));
  if (sub == "/messages") {
    if (req.method != "POST") return reply(fail(405, "use POST /agents/" + target + "/messages"));
    return send(*svc, target, req, reply);
  }
  if (sub.empty() && req.method == "DELETE") {
    std::string reason = query_param(req.target, "reason");
    if (reason.empty()) reason = agents::kKilled;
    return svc->kill("http", target, reason, [reply](const Outcome& o) {
      if (o.kind == Outcome::Kind::ok) return reply(json_response(200, {{"outcome", "ok"}}));
      return reply(outcome_response(o));
    });
  }
  reply(fail(404, "not found: /agents/" + target + " takes DELETE, /agents/" + target + "/messages takes POST"));
}

}  // namespace mabeam::real
