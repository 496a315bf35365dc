// Loading agent verbs, message workloads and agent references (see scenario_agents.h).
#include "sim/scenario_agents.h"

#include <algorithm>
#include <cmath>

#include "engine/agents/ids.h"
#include "engine/agents/json.h"
#include "engine/agents/types.h"
#include "sim/scenario_read.h"

namespace mabeam::sim::load {

using nlohmann::json;
using Verb = ScenarioEvent::Verb;

const std::vector<std::string> kSpawnKeys = {"at",     "do",      "type",     "node",     "name",          "state",
                                             "durable", "demand", "requires", "affinity", "anti_affinity"};
const std::vector<std::string> kSendKeys = {"at", "do", "to", "msg", "from"};
const std::vector<std::string> kKillKeys = {"at", "do", "agent", "reason", "from"};

namespace {

std::string read_agent_name(const json& j, const std::string& p) {
  if (!j.is_string() || !agents::valid_name(j.get<std::string>()))
    expected(p, "an agent name ([A-Za-z_][A-Za-z0-9_-]*, at most 128 bytes)", j);
  return j.get<std::string>();
}

std::vector<std::string> read_name_list(const json& j, const std::string& p) {
  if (!j.is_array()) expected(p, "an array of agent names", j);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(read_agent_name(j[i], child(p, i)));
  return out;
}

// A message or a state as compact JSON text, also readable by the agents' own parser.
std::string json_text(const json& j, const std::string& p) {
  const std::string text = j.dump();
  if (!agents::Json::parse(text)) expected(p, "a JSON value", j);
  return text;
}

// The first line of what a built-in type says about a state it cannot take.
void check_state(const std::string& type, const std::string& text, const std::string& p, const json& found) {
  const agents::AgentType* t = agents::builtin_types()->find(type);
  auto agent = t->make();
  if (auto st = agent->restore(Bytes(text.begin(), text.end()), t->version); !st)
    expected(p, "a state a " + type + " agent takes (" + st.message() + ")", found);
}

void add_name(Scenario& s, const std::string& name, const std::string& type, const std::string& p) {
  auto [it, fresh] = s.agent_names.emplace(name, type);
  if (!fresh && it->second != type)
    fail(p, "expected the same type as the other spawns of " + quote(name) + " (" + it->second + "), found " + quote(type));
}

}  // namespace

void read_spawn(const json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref, Scenario& s) {
  const auto types = agents::builtin_types()->names();
  const std::string tp = child(p, "type");
  const json& type = require(e, p, "type", "an agent type (" + join(types) + ")");
  if (!type.is_string() || !agents::builtin_types()->find(type.get<std::string>())) expected(tp, one_of(types), type);
  ev.agent_type = type.get<std::string>();
  const std::string np = child(p, "node");
  const json& node = require(e, p, "node", "a node name or \"best\"");
  if (node.is_string() && node.get<std::string>() == "best")
    refuse(np, "\"best\" needs the placement service, which is not built yet (name a node)");
  ev.node = node_ref(node, np);
  if (const json* n = optional(e, "name")) ev.agent = read_agent_name(*n, child(p, "name"));
  if (const json* st = optional(e, "state")) {
    const std::string sp = child(p, "state");
    if (!st->is_object()) expected(sp, "an object (the agent's state)", *st);
    ev.state = json_text(*st, sp);
    check_state(ev.agent_type, ev.state, sp, *st);
  }
  if (const json* d = optional(e, "durable")) ev.durable = read_bool(*d, child(p, "durable"));
  if (const json* d = optional(e, "demand")) {
    const std::string dp = child(p, "demand");
    require_object(*d, dp, "an object of resource name to amount, like {\"cpu\": 1}");
    for (auto it = d->begin(); it != d->end(); ++it)
      ev.placement.demand[it.key()] =
          read_number(it.value(), child(dp, it.key()), 0.0, HUGE_VAL, "a number greater than or equal to 0");
  }
  if (const json* r = optional(e, "requires")) {
    const std::string rp = child(p, "requires");
    if (!r->is_array()) expected(rp, "an array of capability names", *r);
    for (std::size_t i = 0; i < r->size(); ++i) ev.placement.requires_caps.push_back(read_string((*r)[i], child(rp, i)));
  }
  if (const json* a = optional(e, "affinity")) ev.placement.affinity = read_name_list(*a, child(p, "affinity"));
  if (const json* a = optional(e, "anti_affinity"))
    ev.placement.anti_affinity = read_name_list(*a, child(p, "anti_affinity"));
  if (!ev.agent.empty()) add_name(s, ev.agent, ev.agent_type, child(p, "type"));
  // A supervisor's children are agents of the scenario too.
  if (ev.agent_type == "supervisor" && !ev.state.empty()) {
    const json st = json::parse(ev.state);
    if (auto cs = st.find("children"); cs != st.end())
      for (std::size_t i = 0; i < cs->size(); ++i) {
        const json& c = (*cs)[i];
        if (c.contains("name")) add_name(s, c["name"].get<std::string>(), c["type"].get<std::string>(),
                                         child(child(child(child(p, "state"), "children"), i), "type"));
        if (c.contains("type") && !agents::builtin_types()->find(c["type"].get<std::string>()))
          expected(child(child(child(child(p, "state"), "children"), i), "type"), one_of(types), c["type"]);
        if (c.contains("node")) {
          const json& n = c["node"];
          const std::string cp = child(child(child(child(p, "state"), "children"), i), "node");
          if (n.is_string()) node_ref(n, cp);
          else
            for (std::size_t k = 0; k < n.size(); ++k) node_ref(n[k], child(cp, k));
        }
      }
  }
}

void read_send(const json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref) {
  ev.target = read_agent_name(require(e, p, "to", "an agent name"), child(p, "to"));
  ev.msg = json_text(require(e, p, "msg", "the message, a JSON value"), child(p, "msg"));
  if (const json* f = optional(e, "from")) ev.node = node_ref(*f, child(p, "from"));
}

void read_kill(const json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref) {
  ev.agent = read_agent_name(require(e, p, "agent", "an agent name"), child(p, "agent"));
  ev.reason = agents::kKilled;
  if (const json* r = optional(e, "reason")) {
    ev.reason = read_string(*r, child(p, "reason"));
    if (ev.reason.empty() || ev.reason.size() > 64 || ev.reason.find('\n') != std::string::npos)
      expected(child(p, "reason"), "a reason of 1 to 64 characters on one line", *r);
  }
  if (const json* f = optional(e, "from")) ev.node = node_ref(*f, child(p, "from"));
}

void read_messages_workload(const json& w, const std::string& p, WorkloadSpec& spec) {
  const std::string tp = child(p, "to");
  const json& to = require(w, p, "to", "a non-empty array of agent names, or \"all\" with a type");
  if (to.is_string() && to.get<std::string>() == "all") {
    const auto types = agents::builtin_types()->names();
    const json& type = require(w, p, "type", "the type of the agents \"all\" sends to (" + join(types) + ")");
    if (!type.is_string() || !agents::builtin_types()->find(type.get<std::string>()))
      expected(child(p, "type"), one_of(types), type);
    spec.to_type = type.get<std::string>();
  } else if (to.is_array() && !to.empty()) {
    spec.to = read_name_list(to, tp);
    if (optional(w, "type")) fail(child(p, "type"), "expected \"type\" only with \"to\": \"all\"");
  } else {
    expected(tp, "a non-empty array of agent names, or \"all\" with a type", to);
  }
  spec.msg = json_text(require(w, p, "msg", "the message, a JSON value"), child(p, "msg"));
}

bool host_selector(const std::string& selector, std::string& name) {
  if (selector.rfind("host:", 0) != 0) return false;
  name = selector.substr(5);
  return true;
}

void check_agent_refs(const Scenario& s) {
  std::vector<std::string> names;
  for (const auto& [n, t] : s.agent_names) names.push_back(n);
  const std::string known = names.empty() ? "no agent is named by a spawn" : "spawned: " + join(names);
  auto ref = [&](const std::string& name, const std::string& p) {
    if (!s.agent_names.count(name))
      fail(p, "expected an agent a spawn names (" + known + "), found " + quote(name));
  };
  for (const auto& e : s.events) {
    const std::string p = child("/events", e.index);
    if (e.verb == Verb::send) ref(e.target, child(p, "to"));
    if (e.verb == Verb::kill_agent) ref(e.agent, child(p, "agent"));
    std::string host;
    if (host_selector(e.selector, host)) ref(host, child(p, e.isolate ? "isolate" : "node"));
    if (host_selector(e.chosen, host)) ref(host, child(p, "chosen"));
  }
  for (std::size_t i = 0; i < s.workload.size(); ++i) {
    const WorkloadSpec& w = s.workload[i];
    if (w.kind != WorkloadSpec::Kind::messages) continue;
    const std::string p = child("/workload", i);
    for (std::size_t k = 0; k < w.to.size(); ++k) ref(w.to[k], child(child(p, "to"), k));
    if (!w.to_type.empty() && std::none_of(s.agent_names.begin(), s.agent_names.end(),
                                           [&](const auto& n) { return n.second == w.to_type; }))
      fail(child(p, "type"), "expected the type of a named agent the scenario spawns, found " + quote(w.to_type));
  }
  for (std::size_t i = 0; i < s.expect.size(); ++i) {
    const Check& c = s.expect[i];
    if (c.check != "agent_state") continue;
    const std::string p = child(child("/expect", i), "agent");
    ref(c.agent, p);
    if (s.agent_names.at(c.agent) != "counter")
      fail(p, "expected a counter agent (agent_state judges counters), found " + quote(c.agent) + " of type " +
                  s.agent_names.at(c.agent));
  }
}

}  // namespace mabeam::sim::load
