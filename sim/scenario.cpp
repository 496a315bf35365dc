// The strict scenario loader (see scenario.h, DESIGN.md "Scenario format").
//
// Loading runs in two steps. First the text is parsed as JSON; a syntax error is reported
// with the line and column computed from the parser's byte position, and a key that appears
// twice in one object is an error too (the JSON library would keep the last one silently).
// Then a Loader walks the document top-down. Every object is checked for unknown keys
// before its values are read, every value is checked for its type and range, and every
// node name is checked against the scenario's nodes. The first problem found stops the
// load: its message starts with the JSON pointer of the offending value, says what was
// expected and shows what was found.
//
// Verbs and checks whose services are not built yet (migration, consensus, ...) are refused
// with a message naming the missing service, never ignored. Fault selectors, cut layers and
// the swarm block are read by scenario_swarm.cpp; agent verbs, message workloads and agent
// references by scenario_agents.cpp; the reading helpers are scenario_read.h. Variable declarations and the
// service's tuning are read by the variables service's own parser (engine/variables/setup.h). scenarios/schema.json
// describes the same format; tests/scenario_schema_check.py keeps the two in agreement.
#include "sim/scenario.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>

#include "engine/duration.h"
#include "sim/scenario_agents.h"
#include "sim/scenario_read.h"
#include "sim/scenario_swarm.h"

namespace mabeam::sim {

namespace {

using nlohmann::json;
using namespace load;

constexpr std::size_t kNodesMax = 10000;
constexpr std::size_t kNodeNameBytesMax = 64;
constexpr std::size_t kScenarioBytesMax = 16 * 1024 * 1024;

bool valid_node_name(const std::string& name) {
  if (name.empty() || name.size() > kNodeNameBytesMax) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

// Verbs and checks that parse but need a service that is not built yet.
const char* unbuilt_verb_service(const std::string& verb) {
  if (verb == "migrate" || verb == "rebalance") return "migration";
  return nullptr;
}

const char* unbuilt_check_service(const std::string& check) {
  (void)check;  // every check DESIGN.md names is built
  return nullptr;
}

using Verb = ScenarioEvent::Verb;

struct VerbSpec {
  Verb verb;
  std::vector<std::string> keys;  // every key an event of this verb may have
};

const std::vector<std::pair<std::string, VerbSpec>>& verb_specs() {
  static const std::vector<std::pair<std::string, VerbSpec>> specs = {
      {"crash", {Verb::crash, {"at", "do", "node", "disk", "as", "chosen"}}},
      {"restart", {Verb::restart, {"at", "do", "node", "as", "chosen"}}},
      {"pause", {Verb::pause, {"at", "do", "node", "for", "as", "chosen"}}},
      {"partition", {Verb::partition, {"at", "do", "groups", "isolate", "layer", "as", "chosen"}}},
      {"partition_oneway", {Verb::partition_oneway, {"at", "do", "from", "to", "layer"}}},
      {"heal", {Verb::heal, {"at", "do", "layer"}}},
      {"link", {Verb::link, {"at", "do", "from", "to", "latency", "loss", "duplicate", "reorder", "both"}}},
      {"clock_skew", {Verb::clock_skew, {"at", "do", "node", "offset", "drift", "as", "chosen"}}},
      {"disk_fault", {Verb::disk_fault, {"at", "do", "node", "for", "as", "chosen"}}},
      {"join", {Verb::join, {"at", "do", "node", "as", "chosen"}}},
      {"leave", {Verb::leave, {"at", "do", "node", "as", "chosen"}}},
      {"write", {Verb::write, {"at", "do", "node", "var", "value", "op", "session"}}},
      {"read", {Verb::read, {"at", "do", "node", "var", "session"}}},
      {"cas", {Verb::cas, {"at", "do", "node", "var", "expected", "value"}}},
      {"add_voter", {Verb::add_voter, {"at", "do", "node"}}},
      {"remove_voter", {Verb::remove_voter, {"at", "do", "node"}}},
      {"transfer_leader", {Verb::transfer_leader, {"at", "do", "node"}}},
      {"spawn", {Verb::spawn, load::kSpawnKeys}},
      {"send", {Verb::send, load::kSendKeys}},
      {"kill_agent", {Verb::kill_agent, load::kKillKeys}},
  };
  return specs;
}

const std::vector<std::string> kCheckNames = {"detected_down",       "no_false_down",       "members_converged",
                                              "readonly_minority",   "variables_converged", "causal_order",
                                              "session_guarantees",  "single_leader_per_term", "linearizable",
                                              "no_lost_writes",
                                              "agent_unique",        "agent_reachable",     "agent_state"};

constexpr std::size_t kWorkloadsMax = 1000;
constexpr double kWorkloadRateMax = 10000.0;

// Walks a parsed document into a Scenario, top-down, failing at the first problem.
class Loader {
 public:
  explicit Loader(Scenario& out) : s_(out) {}

  void load(const json& root) {
    require_object(root, "", "a scenario object");
    check_keys(root, "", {"$schema", "name", "description", "seed", "duration", "nodes", "network", "disk", "config", "trace",
                          "variables", "workload", "events", "expect", "swarm"});
    if (const json* j = optional(root, "$schema")) read_string(*j, "/$schema");
    s_.name = read_string(require(root, "", "name", "a string"), "/name");
    if (s_.name.empty()) expected("/name", "a non-empty string", root["name"]);
    if (const json* j = optional(root, "description")) s_.description = read_string(*j, "/description");
    if (const json* j = optional(root, "seed"))
      s_.seed = read_integer(*j, "/seed", 0, UINT64_MAX, "a non-negative integer");
    s_.duration = read_positive_duration(require(root, "", "duration", "a duration like \"40s\""), "/duration");
    load_nodes(require(root, "", "nodes", "a node count or a list of nodes"));
    if (const json* j = optional(root, "network")) load_network(*j);
    if (const json* j = optional(root, "disk")) {
      require_object(*j, "/disk");
      check_keys(*j, "/disk", {"sync_latency"});
      if (const json* v = optional(*j, "sync_latency")) s_.disk_sync_latency = load_latency(*v, "/disk/sync_latency");
    }
    for (const auto& n : s_.nodes) s_.setup.peers.push_back(n.name);
    const json* config = optional(root, "config");
    if (auto st = parse_node_config(config ? *config : json(), "/config", s_.setup); !st) throw LoadError{st};
    if (const json* j = optional(root, "trace")) {
      require_object(*j, "/trace");
      check_keys(*j, "/trace", {"messages"});
      if (const json* m = optional(*j, "messages")) s_.trace_messages = read_bool(*m, "/trace/messages");
    }
    if (auto st = vars::parse_variables_config(root, "", s_.variables); !st) throw LoadError{st};
    for (const auto& n : s_.nodes) s_.variables.cluster.push_back(n.name);
    s_.variables.guard_config = s_.setup.variables.guard_config;  // config.partition_guard, config.max_drift
    for (const auto& v : s_.variables.variables)
      if (v.consistency == vars::Consistency::strong) s_.setup.consensus.strong_vars.push_back(v.name);
    for (std::size_t i = 0; i < s_.setup.consensus.config.voters.size(); ++i)
      node_ref(json(s_.setup.consensus.config.voters[i]), "/config/consensus/voters/" + std::to_string(i));
    if (const json* j = optional(root, "workload")) load_workload(*j);
    if (const json* j = optional(root, "events")) load_events(*j);
    if (const json* j = optional(root, "expect")) load_expect(*j);
    check_agent_refs(s_);
    if (optional(root, "swarm")) load_swarm(root, s_);
    check_drift_within_leases(root);
  }

  // Leases (the partition guard's quorum lease) assume clock drift within config.max_drift:
  // a scenario that drifts a clock further while one is on would break them by design.
  void check_drift_within_leases(const json& root) {
    const bool guard = std::any_of(s_.variables.variables.begin(), s_.variables.variables.end(),
                                   [](const vars::VariableSpec& v) { return v.consistency != vars::Consistency::strong; }) ||
                       std::any_of(s_.expect.begin(), s_.expect.end(), [](const Check& c) { return c.check == "readonly_minority"; });
    if (!guard) return;
    const json* events = optional(root, "events");
    if (!events || !events->is_array()) return;
    for (std::size_t i = 0; i < events->size(); ++i) {
      const json& e = (*events)[i];
      const json* drift = e.is_object() && e.value("do", "") == "clock_skew" ? optional(e, "drift") : nullptr;
      if (!drift || !drift->is_number() || std::abs(drift->get<double>()) <= s_.setup.max_drift) continue;
      char what[160];
      std::snprintf(what, sizeof what, "a drift within config.max_drift (%g), which the partition guard's quorum lease assumes",
                    s_.setup.max_drift);
      expected(child(child("/events", i), "drift"), std::string(what) + " (raise config.max_drift, or drift less)", *drift);
    }
  }

 private:
  const vars::VariableSpec* find_var(const std::string& name) const {
    for (const auto& v : s_.variables.variables)
      if (v.name == name) return &v;
    return nullptr;
  }

  std::string var_ref(const json& j, const std::string& pointer) {
    std::vector<std::string> declared;
    for (const auto& v : s_.variables.variables) declared.push_back(v.name);
    const std::string what = declared.empty() ? "a variable declared in /variables (none is declared)"
                                              : "a variable declared in /variables (" + join(declared) + ")";
    if (!j.is_string() || !find_var(j.get<std::string>())) expected(pointer, what, j);
    return j.get<std::string>();
  }

  std::string read_session(const json& j, const std::string& pointer) {
    if (!j.is_string() || j.get<std::string>().empty() || j.get<std::string>().size() > kNodeNameBytesMax)
      expected(pointer, "a session name of 1 to 64 characters", j);
    return j.get<std::string>();
  }

  void load_workload(const json& j) {
    const std::string p = "/workload";
    if (!j.is_array() || j.size() > kWorkloadsMax) expected(p, "an array of at most 1000 workload entries", j);
    for (std::size_t i = 0; i < j.size(); ++i) {
      const std::string ip = child(p, i);
      const json& w = j[i];
      require_object(w, ip, "a workload object like {\"kind\": \"writes\", \"var\": \"x\", \"rate\": 10}");
      WorkloadSpec spec;
      const std::string kp = child(ip, "kind");
      const json& kind = require(w, ip, "kind", "writes, reads, mixed or messages");
      const std::string k = kind.is_string() ? kind.get<std::string>() : "";
      if (k == "writes") spec.kind = WorkloadSpec::Kind::writes;
      else if (k == "reads") spec.kind = WorkloadSpec::Kind::reads;
      else if (k == "mixed") spec.kind = WorkloadSpec::Kind::mixed;
      else if (k == "messages") spec.kind = WorkloadSpec::Kind::messages;
      else expected(kp, "one of writes, reads, mixed, messages", kind);
      if (spec.kind == WorkloadSpec::Kind::messages) {
        check_keys(w, ip, {"kind", "to", "type", "msg", "rate", "nodes", "start", "stop"}, "for \"messages\"");
        read_messages_workload(w, ip, spec);
      } else {
        check_keys(w, ip, {"kind", "var", "rate", "nodes", "start", "stop", "session"});
        spec.var = var_ref(require(w, ip, "var", "a declared variable"), child(ip, "var"));
      }
      spec.rate = read_number(require(w, ip, "rate", "operations per second per node"), child(ip, "rate"), 0.0,
                              kWorkloadRateMax, "operations per second per node, above 0 and at most 10000");
      if (spec.rate <= 0) expected(child(ip, "rate"), "operations per second per node, above 0 and at most 10000", w["rate"]);
      if (const json* n = optional(w, "nodes")) {
        const std::string np = child(ip, "nodes");
        if (n->is_string() && n->get<std::string>() == "all") {
        } else if (n->is_array() && !n->empty()) {
          for (std::size_t k2 = 0; k2 < n->size(); ++k2) {
            std::string name = node_ref((*n)[k2], child(np, k2));
            if (std::find(spec.nodes.begin(), spec.nodes.end(), name) != spec.nodes.end())
              expected(child(np, k2), "a node not listed before in this array", (*n)[k2]);
            spec.nodes.push_back(std::move(name));
          }
        } else {
          expected(np, "\"all\" or a non-empty array of node names", *n);
        }
      }
      spec.stop = s_.duration;
      if (const json* v = optional(w, "start")) spec.start = read_time(*v, child(ip, "start"));
      if (const json* v = optional(w, "stop")) spec.stop = read_time(*v, child(ip, "stop"));
      if (spec.stop <= spec.start)
        expected(child(ip, "stop"), "a time after start (" + format_duration(spec.start) + ")", w.value("stop", json()));
      if (const json* v = optional(w, "session")) spec.session = read_session(*v, child(ip, "session"));
      s_.workload.push_back(std::move(spec));
    }
  }

  // A write's value: a JSON number, string or boolean, kept as its JSON text.
  void load_write(const json& e, const std::string& p, ScenarioEvent& ev) {
    ev.var = var_ref(require(e, p, "var", "a declared variable"), child(p, "var"));
    const vars::VariableSpec& spec = *find_var(ev.var);
    using vars::Resolve;
    const bool counter = spec.resolve == Resolve::g_counter || spec.resolve == Resolve::pn_counter;
    const bool integers = counter || spec.resolve == Resolve::max || spec.resolve == Resolve::min;
    std::vector<std::string> ops = counter ? std::vector<std::string>{"incr", "add"}
                                   : spec.resolve == Resolve::or_set ? std::vector<std::string>{"add", "remove"}
                                                                     : std::vector<std::string>{"set"};
    if (const json* o = optional(e, "op")) {
      const std::string op = o->is_string() ? o->get<std::string>() : "";
      if (std::find(ops.begin(), ops.end(), op) == ops.end())
        expected(child(p, "op"), one_of(ops) + " (for a " + vars::to_string(spec.resolve) + " variable)", *o);
      ev.op = op == "add" && counter ? "incr" : op;
    }
    const json* v = optional(e, "value");
    if (v) {
      const std::string vp = child(p, "value");
      if (integers && !v->is_number_integer()) expected(vp, "an integer", *v);
      if (!v->is_number() && !v->is_string() && !v->is_boolean()) expected(vp, "a number, a string or a boolean", *v);
      if (spec.resolve == Resolve::g_counter && v->is_number_integer() && v->get<std::int64_t>() < 0)
        expected(vp, "an increment of 0 or more (a g_counter only grows)", *v);
      ev.value = v->dump();
    } else if (!counter) {
      fail(child(p, "value"), "required key is missing (expected the value to write)");
    }
  }

  void add_node(NodeSpec spec, const std::string& pointer) {
    if (!names_.insert(spec.name).second) expected(pointer, "a name not used by another node", json(spec.name));
    s_.nodes.push_back(std::move(spec));
  }

  std::string read_node_name(const json& j, const std::string& pointer) {
    if (!j.is_string() || !valid_node_name(j.get<std::string>()))
      expected(pointer, "a node name of 1 to 64 letters, digits, '_', '.' or '-'", j);
    const std::string name = j.get<std::string>();
    for (const char* reserved : {"leader", "random", "best", "all", "halves"})
      if (name == reserved) expected(pointer, "a node name that is not a selector (leader, random, best, all, halves)", j);
    return name;
  }

  void load_nodes(const json& j) {
    const std::string p = "/nodes";
    const std::string what = "a node count from 1 to 10000 or a non-empty list of nodes";
    if (j.is_number()) {
      const std::uint64_t count = read_integer(j, p, 1, kNodesMax, what);
      for (std::uint64_t i = 1; i <= count; ++i) add_node(NodeSpec{"n" + std::to_string(i), {}, {}, 0}, p);
    } else if (j.is_array() && !j.empty() && j.size() <= kNodesMax) {
      for (std::size_t i = 0; i < j.size(); ++i) {
        const std::string ip = child(p, i);
        if (j[i].is_object()) add_node(load_node_object(j[i], ip), child(ip, "name"));
        else if (j[i].is_string()) add_node(NodeSpec{read_node_name(j[i], ip), {}, {}, 0}, ip);
        else expected(ip, "a node name or a node object", j[i]);
      }
    } else {
      expected(p, what, j);
    }
    // Shown in "unknown node" messages: "n1..n5" when the nodes are the generated ones.
    bool generated = true;
    for (std::size_t i = 0; i < s_.nodes.size(); ++i)
      generated = generated && s_.nodes[i].name == "n" + std::to_string(i + 1);
    if (generated && s_.nodes.size() > 1) {
      names_shown_ = "n1..n" + std::to_string(s_.nodes.size());
    } else {
      constexpr std::size_t kShownMax = 8;
      std::vector<std::string> shown;
      for (std::size_t i = 0; i < s_.nodes.size() && i < kShownMax; ++i) shown.push_back(s_.nodes[i].name);
      names_shown_ = join(shown);
      if (s_.nodes.size() > kShownMax) names_shown_ += ", ... (" + std::to_string(s_.nodes.size()) + " nodes)";
    }
  }

  NodeSpec load_node_object(const json& j, const std::string& p) {
    check_keys(j, p, {"name", "capabilities", "resources", "start"});
    NodeSpec spec;
    spec.name = read_node_name(require(j, p, "name", "a node name"), child(p, "name"));
    if (const json* caps = optional(j, "capabilities")) {
      const std::string cp = child(p, "capabilities");
      if (!caps->is_array()) expected(cp, "an array of strings", *caps);
      for (std::size_t i = 0; i < caps->size(); ++i) spec.capabilities.push_back(read_string((*caps)[i], child(cp, i)));
    }
    if (const json* res = optional(j, "resources")) {
      const std::string rp = child(p, "resources");
      require_object(*res, rp, "an object of resource name to amount");
      for (auto it = res->begin(); it != res->end(); ++it)
        spec.resources[it.key()] =
            read_number(it.value(), child(rp, it.key()), 0.0, HUGE_VAL, "a number greater than or equal to 0");
    }
    if (const json* start = optional(j, "start")) {
      spec.start = read_time(*start, child(p, "start"));
      explicit_start_.insert(spec.name);
    }
    return spec;
  }

  // An instant of the run: a duration from its start, at most the run's duration.
  TimeUs read_time(const json& j, const std::string& pointer) {
    const DurationUs t = read_duration(j, pointer);
    if (t > s_.duration)
      expected(pointer, "a time within the scenario's duration (0.." + format_duration(s_.duration) + ")", j);
    return t;
  }

  std::string node_ref(const json& j, const std::string& pointer) {
    if (!j.is_string() || names_.count(j.get<std::string>()) == 0)
      expected(pointer, "one of the scenario's nodes (" + names_shown_ + ")", j);
    return j.get<std::string>();
  }

  Latency load_latency(const json& j, const std::string& p) {
    require_object(j, p, "a latency object like {\"dist\": \"fixed\", \"value\": \"2ms\"}");
    const json& dist_j = require(j, p, "dist", "fixed, uniform, normal, exponential or pareto");
    const std::string dp = child(p, "dist");
    if (!dist_j.is_string()) expected(dp, "one of fixed, uniform, normal, exponential, pareto", dist_j);
    const std::string dist = dist_j.get<std::string>();
    Latency l;
    auto keys = [&](std::vector<std::string> own) {
      own.insert(own.begin(), "dist");
      check_keys(j, p, own, "for a \"" + dist + "\" latency");
    };
    auto field = [&](const char* key) -> const json& {
      return require(j, p, key, std::string("a duration (a \"") + dist + "\" latency needs it)");
    };
    if (dist == "fixed") {
      keys({"value"});
      l.dist = Latency::Dist::fixed;
      l.value = read_duration(field("value"), child(p, "value"));
    } else if (dist == "uniform") {
      keys({"min", "max"});
      l.dist = Latency::Dist::uniform;
      l.min = read_duration(field("min"), child(p, "min"));
      l.max = read_duration(field("max"), child(p, "max"));
      if (l.max < l.min)
        expected(child(p, "max"), "at least min (" + format_duration(l.min) + ")", j["max"]);
    } else if (dist == "normal") {
      keys({"mean", "stddev"});
      l.dist = Latency::Dist::normal;
      l.mean = read_duration(field("mean"), child(p, "mean"));
      l.stddev = read_duration(field("stddev"), child(p, "stddev"));
    } else if (dist == "exponential") {
      keys({"mean"});
      l.dist = Latency::Dist::exponential;
      l.mean = read_duration(field("mean"), child(p, "mean"));
    } else if (dist == "pareto") {
      keys({"scale", "shape"});
      l.dist = Latency::Dist::pareto;
      l.scale = read_duration(field("scale"), child(p, "scale"));
      const json& shape = require(j, p, "shape", "a number greater than 0");
      l.shape = read_number(shape, child(p, "shape"), 0.0, HUGE_VAL, "a number greater than 0");
      if (l.shape <= 0) expected(child(p, "shape"), "a number greater than 0", shape);
    } else {
      expected(dp, "one of fixed, uniform, normal, exponential, pareto", dist_j);
    }
    return l;
  }

  void load_network(const json& j) {
    const std::string p = "/network";
    require_object(j, p);
    check_keys(j, p, {"latency", "loss", "duplicate", "reorder", "links"});
    if (const json* v = optional(j, "latency")) s_.network.latency = load_latency(*v, child(p, "latency"));
    if (const json* v = optional(j, "loss")) s_.network.loss = read_probability(*v, child(p, "loss"));
    if (const json* v = optional(j, "duplicate")) s_.network.duplicate = read_probability(*v, child(p, "duplicate"));
    if (const json* v = optional(j, "reorder")) s_.network.reorder = read_probability(*v, child(p, "reorder"));
    const json* links = optional(j, "links");
    if (!links) return;
    const std::string lp = child(p, "links");
    if (!links->is_array()) expected(lp, "an array of link objects", *links);
    for (std::size_t i = 0; i < links->size(); ++i) {
      const json& l = (*links)[i];
      const std::string ip = child(lp, i);
      require_object(l, ip, "a link object like {\"from\": \"n1\", \"to\": \"n2\", \"loss\": 0.1}");
      check_keys(l, ip, {"from", "to", "latency", "loss", "duplicate", "reorder"});
      LinkOverride o;
      o.from = node_ref(require(l, ip, "from", "a node name"), child(ip, "from"));
      o.to = node_ref(require(l, ip, "to", "a node name"), child(ip, "to"));
      if (const json* v = optional(l, "latency")) o.latency = load_latency(*v, child(ip, "latency"));
      if (const json* v = optional(l, "loss")) o.loss = read_probability(*v, child(ip, "loss"));
      if (const json* v = optional(l, "duplicate")) o.duplicate = read_probability(*v, child(ip, "duplicate"));
      if (const json* v = optional(l, "reorder")) o.reorder = read_probability(*v, child(ip, "reorder"));
      s_.links.push_back(std::move(o));
    }
  }

  void load_events(const json& j) {
    if (!j.is_array()) expected("/events", "an array of events", j);
    for (std::size_t i = 0; i < j.size(); ++i) {
      s_.events.push_back(load_event(j[i], child("/events", i)));
      s_.events.back().index = i;
    }
    std::stable_sort(s_.events.begin(), s_.events.end(),
                     [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at < b.at; });
    check_selector_bindings(s_);
    // A node with no `start` whose first lifecycle event is a `join` starts at that join.
    for (auto& n : s_.nodes) {
      if (explicit_start_.count(n.name)) continue;
      for (const auto& e : s_.events) {
        const bool lifecycle = e.verb == Verb::join || e.verb == Verb::leave || e.verb == Verb::crash ||
                               e.verb == Verb::restart || e.verb == Verb::pause;
        // A target a selector chose (`chosen`) was running or stopped when it fired; it
        // says nothing about how the node starts.
        if (!lifecycle || e.node != n.name || !e.chosen.empty()) continue;
        n.starts_by_join = e.verb == Verb::join;
        break;
      }
    }
  }
  std::set<std::string> explicit_start_;

  // A node list for partition_oneway: one name or a non-empty array of distinct names.
  std::vector<std::string> load_node_set(const json& j, const std::string& p) {
    if (j.is_string()) return {node_ref(j, p)};
    if (!j.is_array() || j.empty()) expected(p, "a node name or a non-empty array of node names", j);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
      std::string name = node_ref(j[i], child(p, i));
      if (std::find(out.begin(), out.end(), name) != out.end())
        expected(child(p, i), "a node not listed before in this array", j[i]);
      out.push_back(std::move(name));
    }
    return out;
  }

  void load_partition(const json& e, const std::string& p, ScenarioEvent& ev) {
    const std::string gp = child(p, "groups");
    const json& groups = require(e, p, "groups", "an array of groups, each an array of node names");
    if (!groups.is_array() || groups.empty())
      expected(gp, "a non-empty array of groups, each an array of node names", groups);
    std::map<std::string, std::string> seen_at;  // node name -> pointer where it was listed
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::string ggp = child(gp, g);
      if (!groups[g].is_array() || groups[g].empty()) expected(ggp, "a non-empty array of node names", groups[g]);
      std::vector<std::string> group;
      for (std::size_t k = 0; k < groups[g].size(); ++k) {
        const std::string np = child(ggp, k);
        std::string name = node_ref(groups[g][k], np);
        if (auto it = seen_at.find(name); it != seen_at.end())
          fail(np, "expected groups that do not overlap, found " + quote(name) + " also at " + it->second);
        seen_at.emplace(name, np);
        group.push_back(std::move(name));
      }
      ev.groups.push_back(std::move(group));
    }
    std::vector<std::string> rest;
    for (const auto& n : s_.nodes)
      if (seen_at.count(n.name) == 0) rest.push_back(n.name);
    if (!rest.empty()) ev.groups.push_back(std::move(rest));
    if (ev.groups.size() < 2)
      fail(gp, "expected at least 2 groups (nodes left out of every group form one more), found a single group "
               "holding every node");
  }

  void load_link(const json& e, const std::string& p, ScenarioEvent& ev) {
    ev.from = {node_ref(require(e, p, "from", "a node name"), child(p, "from"))};
    ev.to = {node_ref(require(e, p, "to", "a node name"), child(p, "to"))};
    if (const json* v = optional(e, "latency")) ev.latency = load_latency(*v, child(p, "latency"));
    if (const json* v = optional(e, "loss")) ev.loss = read_probability(*v, child(p, "loss"));
    if (const json* v = optional(e, "duplicate")) ev.duplicate = read_probability(*v, child(p, "duplicate"));
    if (const json* v = optional(e, "reorder")) ev.reorder = read_probability(*v, child(p, "reorder"));
    if (const json* v = optional(e, "both")) ev.both_ways = read_bool(*v, child(p, "both"));
    if (!ev.latency && !ev.loss && !ev.duplicate && !ev.reorder)
      fail(p, "expected at least one of latency, loss, duplicate, reorder to change, found none");
  }

  ScenarioEvent load_event(const json& e, const std::string& p) {
    require_object(e, p, "an event object like {\"at\": \"10s\", \"do\": \"crash\", \"node\": \"n1\"}");
    const std::string vp = child(p, "do");
    const json& verb_j = require(e, p, "do", "a verb such as \"crash\"");
    std::vector<std::string> built;
    for (const auto& [name, spec] : verb_specs()) built.push_back(name);
    if (!verb_j.is_string()) expected(vp, one_of(built), verb_j);
    const std::string verb = verb_j.get<std::string>();
    if (const char* service = unbuilt_verb_service(verb))
      refuse(vp, quote(verb) + " needs the " + service + " service, which is not built yet");
    auto spec = std::find_if(verb_specs().begin(), verb_specs().end(), [&](const auto& s) { return s.first == verb; });
    if (spec == verb_specs().end()) expected(vp, one_of(built), verb_j);

    check_keys(e, p, spec->second.keys, "for " + quote(verb));
    ScenarioEvent ev;
    ev.verb = spec->second.verb;
    ev.at = read_time(require(e, p, "at", "a time like \"10s\""), child(p, "at"));
    auto node = [&] { return node_ref(require(e, p, "node", "a node name"), child(p, "node")); };
    const NodeRef ref = [this](const json& j, const std::string& ptr) { return node_ref(j, ptr); };
    switch (ev.verb) {
      case Verb::crash:
        read_fault_target(e, p, ev, ref);
        if (const json* d = optional(e, "disk")) {
          const std::string mode = d->is_string() ? d->get<std::string>() : "";
          if (mode == "random") ev.disk = CrashDisk::random;
          else if (mode == "lose_unsynced") ev.disk = CrashDisk::lose_unsynced;
          else if (mode == "keep_unsynced") ev.disk = CrashDisk::keep_unsynced;
          else expected(child(p, "disk"), "one of random, lose_unsynced, keep_unsynced", *d);
        }
        break;
      case Verb::restart:
      case Verb::join:
      case Verb::leave:
        read_fault_target(e, p, ev, ref);
        break;
      case Verb::pause:
      case Verb::disk_fault:
        read_fault_target(e, p, ev, ref);
        ev.duration = read_positive_duration(require(e, p, "for", "a duration like \"2s\""), child(p, "for"));
        break;
      case Verb::partition:
        read_partition_target(e, p, ev, ref, s_.nodes, [&] { load_partition(e, p, ev); });
        read_layer(e, p, ev);
        break;
      case Verb::partition_oneway: {
        ev.from = load_node_set(require(e, p, "from", "a node name or an array of them"), child(p, "from"));
        const std::string tp = child(p, "to");
        const json& to = require(e, p, "to", "a node name or an array of them");
        ev.to = load_node_set(to, tp);
        for (std::size_t i = 0; i < ev.to.size(); ++i)
          if (std::find(ev.from.begin(), ev.from.end(), ev.to[i]) != ev.from.end())
            fail(to.is_array() ? child(tp, i) : tp, "expected a node not in \"from\", found " + quote(ev.to[i]));
        read_layer(e, p, ev);
        break;
      }
      case Verb::heal:
        read_layer(e, p, ev);
        break;
      case Verb::write:
        ev.node = node();
        load_write(e, p, ev);
        if (const json* v = optional(e, "session")) ev.session = read_session(*v, child(p, "session"));
        break;
      case Verb::cas: {
        ev.node = node();
        ev.var = var_ref(require(e, p, "var", "a declared variable"), child(p, "var"));
        if (find_var(ev.var)->consistency != vars::Consistency::strong)
          expected(child(p, "var"), "a strong variable (cas is linearizable: consistency \"strong\")", e["var"]);
        const json& ex = require(e, p, "expected", "the expected value (null: unset)");
        if (!ex.is_null() && !ex.is_number() && !ex.is_string() && !ex.is_boolean())
          expected(child(p, "expected"), "a number, a string, a boolean or null", ex);
        const json& nv = require(e, p, "value", "the new value");
        if (!nv.is_number() && !nv.is_string() && !nv.is_boolean()) expected(child(p, "value"), "a number, a string or a boolean", nv);
        ev.expected = ex.dump();
        ev.value = nv.dump();
        break;
      }
      case Verb::add_voter:
      case Verb::remove_voter:
      case Verb::transfer_leader:
        if (!s_.setup.consensus.wanted())
          fail(vp, "expected a consensus group to administer (a strong variable or config.consensus), found none");
        ev.node = node();
        break;
      case Verb::read:
        ev.node = node();
        ev.var = var_ref(require(e, p, "var", "a declared variable"), child(p, "var"));
        ev.op = "read";
        if (const json* v = optional(e, "session")) ev.session = read_session(*v, child(p, "session"));
        break;
      case Verb::link:
        load_link(e, p, ev);
        break;
      case Verb::spawn:
        read_spawn(e, p, ev, ref, s_);
        break;
      case Verb::send:
        ev.node = s_.nodes.front().name;  // the first node's client, unless `from` says
        read_send(e, p, ev, ref);
        break;
      case Verb::kill_agent:
        ev.node = s_.nodes.front().name;
        read_kill(e, p, ev, ref);
        break;
      case Verb::clock_skew: {
        read_fault_target(e, p, ev, ref);
        const json* offset = optional(e, "offset");
        const json* drift = optional(e, "drift");
        if (!offset && !drift) fail(p, "expected at least one of offset, drift, found neither");
        if (offset) ev.offset = read_signed_duration(*offset, child(p, "offset"));
        if (drift) ev.drift = read_number(*drift, child(p, "drift"), -0.5, 0.5, "a number from -0.5 to 0.5");
        // Lease reads assume every clock drifts less than max_drift (DESIGN.md, "Leases").
        const auto& cc = s_.setup.consensus.config;
        if (drift && s_.setup.consensus.wanted() && cc.read == raft::ReadMode::lease && std::fabs(ev.drift) > cc.max_drift)
          refuse(child(p, "drift"), "a drift of " + drift->dump() + " exceeds config.max_drift (" + json(cc.max_drift).dump() +
                                        "), which lease reads (config.consensus.read: \"lease\") rely on");
        break;
      }
    }
    return ev;
  }

  void load_expect(const json& j) {
    if (!j.is_array()) expected("/expect", "an array of checks", j);
    for (std::size_t i = 0; i < j.size(); ++i) {
      const std::string p = child("/expect", i);
      const json& c = j[i];
      require_object(c, p, "a check object like {\"check\": \"no_false_down\"}");
      const std::string cp = child(p, "check");
      const json& name_j = require(c, p, "check", "a check name such as \"no_false_down\"");
      if (!name_j.is_string()) expected(cp, one_of(kCheckNames), name_j);
      Check check;
      check.check = name_j.get<std::string>();
      if (const char* service = unbuilt_check_service(check.check))
        refuse(cp, quote(check.check) + " needs the " + service + " service, which is not built yet");
      const std::string context = "for " + quote(check.check);
      if (check.check == "detected_down") {
        check_keys(c, p, {"check", "node", "within"}, context);
        check.node = node_ref(require(c, p, "node", "a node name"), child(p, "node"));
        check.within = read_positive_duration(require(c, p, "within", "a duration like \"3s\""), child(p, "within"));
      } else if (check.check == "no_false_down") {
        check_keys(c, p, {"check", "grace"}, context);
        if (const json* g = optional(c, "grace")) check.grace = read_duration(*g, child(p, "grace"));
        check.probe_timeout = s_.setup.detector == Detector::swim ? s_.setup.membership.probe_timeout
                                                                  : s_.setup.heartbeat.down_after;
      } else if (check.check == "members_converged" || check.check == "variables_converged") {
        check_keys(c, p, {"check", "by"}, context);
        check.by = read_time(require(c, p, "by", "a time like \"25s\""), child(p, "by"));
        if (check.check == "variables_converged" && s_.variables.variables.empty())
          fail(cp, "expected variables to judge, found no /variables declared");
      } else if (check.check == "readonly_minority") {
        check_keys(c, p, {"check", "within"}, context);
        // By default, the bound the guard promises: its quorum lease.
        check.within = vars::guard_defaults(s_.setup.variables.guard_config, s_.nodes.size()).quorum_lease;
        if (const json* w = optional(c, "within")) check.within = read_positive_duration(*w, child(p, "within"));
      } else if (check.check == "single_leader_per_term") {
        check_keys(c, p, {"check"}, context);
        if (!s_.setup.consensus.wanted())
          fail(cp, "expected a consensus group to judge (a strong variable or config.consensus), found none");
      } else if (check.check == "linearizable") {
        check_keys(c, p, {"check", "var"}, context);
        const std::string vp = child(p, "var");
        check.var = var_ref(require(c, p, "var", "a strong variable declared in /variables"), vp);
        if (find_var(check.var)->consistency != vars::Consistency::strong)
          expected(vp, "a strong variable (only consistency \"strong\" promises linearizability)", c["var"]);
      } else if (check.check == "no_lost_writes") {
        check_keys(c, p, {"check"}, context);
        if (s_.setup.consensus.strong_vars.empty()) fail(cp, "expected strong variables to judge, found none declared");
      } else if (check.check == "agent_unique") {
        check_keys(c, p, {"check"}, context);
      } else if (check.check == "agent_reachable") {
        check_keys(c, p, {"check", "within"}, context);
        check.within = read_positive_duration(require(c, p, "within", "a duration like \"10s\""), child(p, "within"));
      } else if (check.check == "agent_state") {
        check_keys(c, p, {"check", "agent"}, context);
        const json& a = require(c, p, "agent", "the name of a counter agent");
        if (!a.is_string()) expected(child(p, "agent"), "the name of a counter agent", a);
        check.agent = a.get<std::string>();
      } else if (check.check == "causal_order" || check.check == "session_guarantees") {
        check_keys(c, p, {"check"}, context);
        if (s_.variables.variables.empty()) fail(cp, "expected variables to judge, found no /variables declared");
      } else {
        expected(cp, one_of(kCheckNames), name_j);
      }
      s_.expect.push_back(std::move(check));
    }
  }

  Scenario& s_;
  std::set<std::string> names_;
  std::string names_shown_;
};

// Line and column (1-based, columns in bytes) of the character at 1-based `byte`, the
// position nlohmann's parse_error reports.
std::string line_column(const std::string& text, std::size_t byte) {
  const std::size_t pos = std::min(byte == 0 ? 0 : byte - 1, text.size());
  std::size_t line = 1, line_start = 0;
  for (std::size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(pos - line_start + 1);
}

// The library's message without its "[json.exception...] parse error at line 1, column 2: " prefix.
std::string library_detail(const std::string& what) {
  std::size_t start = what.find("] ");
  start = start == std::string::npos ? 0 : start + 2;
  if (const std::size_t column = what.find("column ", start); column != std::string::npos) {
    if (const std::size_t colon = what.find(": ", column); colon != std::string::npos) start = colon + 2;
  } else if (what.compare(start, 12, "parse error:") == 0) {
    start += 13;
  }
  return what.substr(std::min(start, what.size()));
}

// Records the first key that appears twice in one object, with its pointer; the parse
// goes on (nlohmann keeps the last value) and the caller reports it.
class DuplicateKeyFinder {
 public:
  bool operator()(int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        enter_element();
        frames_.push_back(Frame{event == json::parse_event_t::array_start, 0, {}, {}});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case json::parse_event_t::key:
        if (!frames_.empty() && parsed.is_string()) {
          Frame& top = frames_.back();
          top.key = parsed.get<std::string>();
          if (!top.keys.insert(top.key).second && duplicate_.empty()) duplicate_ = pointer();
        }
        break;
      case json::parse_event_t::value:
        enter_element();
        break;
    }
    return true;
  }
  const std::string& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool array;
    std::size_t next_index;
    std::string key;
    std::set<std::string> keys;
  };
  void enter_element() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().next_index;
  }
  std::string pointer() const {
    std::string p;
    for (const Frame& f : frames_) p = f.array ? child(p, f.next_index - 1) : child(p, f.key);
    return p;
  }
  std::vector<Frame> frames_;
  std::string duplicate_;
};

}  // namespace

Result<Scenario> parse_scenario(const std::string& text, const std::string& source) {
  const std::string prefix = source.empty() ? "" : source + ": ";
  json root;
  DuplicateKeyFinder duplicates;
  try {
    // The callback is copied into the parser; a reference wrapper keeps the one we read.
    root = json::parse(text, json::parser_callback_t(std::ref(duplicates)));
  } catch (const json::parse_error& e) {
    return Status::invalid(prefix + line_column(text, e.byte) + ": invalid JSON: " + library_detail(e.what()));
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    return Status::invalid(prefix + "invalid JSON: " + library_detail(e.what()));
  }
  if (!duplicates.duplicate().empty())
    return Status::invalid(prefix + duplicates.duplicate() + ": duplicate key (each key may appear once per object)");

  Scenario scenario;
  try {
    Loader(scenario).load(root);
  } catch (const LoadError& e) {
    return Status(e.status.code() == Status::Code::refused ? Status::refused(prefix + e.status.message())
                                                           : Status::invalid(prefix + e.status.message()));
  }
  scenario.source = source;
  return scenario;
}

Result<Scenario> load_scenario_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    const int err = errno;
    const std::string msg = "cannot read " + path + ": " + std::strerror(err);
    return err == ENOENT ? Status::not_found(msg) : Status::io_error(msg);
  }
  std::string text;
  char buffer[65536];
  bool too_large = false;
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, f);
    text.append(buffer, n);
    if (text.size() > kScenarioBytesMax) {
      too_large = true;
      break;
    }
    if (n < sizeof buffer) break;
  }
  const int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) return Status::io_error("cannot read " + path + ": " + std::strerror(err));
  if (too_large) return Status::invalid("cannot read " + path + ": larger than the 16 MiB a scenario may have");
  return parse_scenario(text, path);
}

const char* to_string(ScenarioEvent::Verb v) {
  switch (v) {
    case Verb::crash: return "crash";
    case Verb::cas: return "cas";
    case Verb::add_voter: return "add_voter";
    case Verb::remove_voter: return "remove_voter";
    case Verb::transfer_leader: return "transfer_leader";
    case Verb::restart: return "restart";
    case Verb::pause: return "pause";
    case Verb::partition: return "partition";
    case Verb::partition_oneway: return "partition_oneway";
    case Verb::heal: return "heal";
    case Verb::link: return "link";
    case Verb::clock_skew: return "clock_skew";
    case Verb::disk_fault: return "disk_fault";
    case Verb::join: return "join";
    case Verb::leave: return "leave";
    case Verb::write: return "write";
    case Verb::read: return "read";
    case Verb::spawn: return "spawn";
    case Verb::send: return "send";
    case Verb::kill_agent: return "kill_agent";
  }
  return "unknown";
}

bool Scenario::uses_agents() const {
  if (!agent_names.empty()) return true;
  for (const auto& e : events)
    if (e.verb == Verb::spawn || e.verb == Verb::send || e.verb == Verb::kill_agent) return true;
  for (const auto& w : workload)
    if (w.kind == WorkloadSpec::Kind::messages) return true;
  for (const auto& c : expect)
    if (c.check.rfind("agent_", 0) == 0) return true;
  return setup.agents.enabled;
}

}  // namespace mabeam::sim
