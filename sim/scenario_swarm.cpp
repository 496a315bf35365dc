// Loading fault selectors, cut layers and the swarm block (see scenario_swarm.h).
#include "sim/scenario_swarm.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "engine/duration.h"
#include "sim/scenario_read.h"

namespace mabeam::sim::load {

using nlohmann::json;
using Verb = ScenarioEvent::Verb;

const char* const kTargetKeys[2] = {"as", "chosen"};

namespace {

constexpr std::size_t kBindingBytesMax = 64;
constexpr std::uint64_t kSwarmFaultsMax = 100;  // of one kind per seed

bool valid_binding(const std::string& name) {
  if (name.empty() || name.size() > kBindingBytesMax) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_selector_text(const std::string& s) {
  return s == "leader" || s == "random" || (!s.empty() && s[0] == '$') || s.rfind("host:", 0) == 0;
}

// Checks a node selector's form; `stopped_target`: the verb targets a node that is not
// running (restart, join), which "leader" and "random" never choose.
void check_node_selector(const std::string& text, const std::string& pointer, bool stopped_target, const json& found) {
  if (text.rfind("host:", 0) == 0) {
    // The node hosting agent NAME when the event fires (NAME is checked against the
    // scenario's agents once the whole document is read).
    const std::string name = text.substr(5);
    const bool ok = !name.empty() && name.size() <= 128 &&
                    (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                    });
    if (!ok) expected(pointer, "\"host:\" and an agent name ([A-Za-z_][A-Za-z0-9_-]*)", found);
    if (stopped_target)
      expected(pointer, "a node name or \"$X\" (this verb targets a node that is not running, which a host never is)", found);
    return;
  }
  if (text[0] == '$') {
    if (!valid_binding(text.substr(1)))
      expected(pointer, "\"$\" and a name of 1 to 64 letters, digits, '_' or '-' bound by an earlier \"as\"", found);
    return;
  }
  if (stopped_target)
    expected(pointer, "a node name or \"$X\" (this verb targets a node that is not running, which \"leader\" and "
                      "\"random\" never choose)",
             found);
}

void read_as(const json& e, const std::string& p, ScenarioEvent& ev) {
  const json* as = optional(e, "as");
  if (!as) return;
  const std::string ap = child(p, "as");
  if (!as->is_string() || !valid_binding(as->get<std::string>()))
    expected(ap, "a name of 1 to 64 letters, digits, '_' or '-' for the chosen node", *as);
  ev.as = as->get<std::string>();
}

// `chosen` records the selector that picked an explicit target; `allowed` says which.
void read_chosen(const json& e, const std::string& p, ScenarioEvent& ev, bool groups) {
  const json* chosen = optional(e, "chosen");
  if (!chosen) return;
  const std::string cp = child(p, "chosen");
  if (!ev.selector.empty())
    fail(cp, "expected \"chosen\" only with an explicit target (it records the selector that picked it), found it "
             "with the selector " + quote(ev.selector));
  const std::string what = groups ? "\"halves\" (the selector that chose these groups)"
                                  : "the selector that chose this node: \"leader\", \"random\", \"$X\" or \"host:NAME\"";
  if (!chosen->is_string()) expected(cp, what, *chosen);
  const std::string text = chosen->get<std::string>();
  if (groups) {
    if (text != "halves") expected(cp, what, *chosen);
  } else {
    if (!is_selector_text(text)) expected(cp, what, *chosen);
    check_node_selector(text, cp, false, *chosen);
  }
  ev.chosen = text;
}

}  // namespace

void read_fault_target(const json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref) {
  const std::string np = child(p, "node");
  const json& n = require(e, p, "node", "a node name or a selector (\"leader\", \"random\", \"$X\")");
  if (n.is_string() && is_selector_text(n.get<std::string>())) {
    check_node_selector(n.get<std::string>(), np, ev.verb == Verb::restart || ev.verb == Verb::join, n);
    ev.selector = n.get<std::string>();
  } else {
    ev.node = node_ref(n, np);
  }
  read_as(e, p, ev);
  read_chosen(e, p, ev, false);
}

void read_partition_target(const json& e, const std::string& p, ScenarioEvent& ev, const NodeRef& node_ref,
                           const std::vector<NodeSpec>& nodes, const std::function<void()>& load_groups) {
  const json* isolate = optional(e, "isolate");
  const json* groups = optional(e, "groups");
  if (isolate && groups) fail(p, "expected either groups or isolate, found both");
  if (isolate) {
    const std::string ip = child(p, "isolate");
    ev.isolate = true;
    if (nodes.size() < 2) expected(ip, "a scenario of at least 2 nodes to isolate one", *isolate);
    if (isolate->is_string() && is_selector_text(isolate->get<std::string>())) {
      check_node_selector(isolate->get<std::string>(), ip, false, *isolate);
      ev.selector = isolate->get<std::string>();
    } else {
      ev.node = node_ref(*isolate, ip);
      std::vector<std::string> rest;
      for (const auto& n : nodes)
        if (n.name != ev.node) rest.push_back(n.name);
      ev.groups = {{ev.node}, rest};
    }
    read_as(e, p, ev);
    read_chosen(e, p, ev, false);
    return;
  }
  if (groups && groups->is_string()) {
    const std::string gp = child(p, "groups");
    if (groups->get<std::string>() != "halves")
      expected(gp, "an array of groups, each an array of node names, or \"halves\"", *groups);
    if (nodes.size() < 3) expected(gp, "a scenario of at least 3 nodes to split in halves", *groups);
    ev.selector = "halves";
    if (optional(e, "as")) fail(child(p, "as"), "expected \"as\" only with a single chosen node, found it with \"halves\"");
    return;
  }
  if (!groups) fail(child(p, "groups"), "required key is missing (expected an array of groups, each an array of node "
                                        "names, \"halves\", or an \"isolate\" key instead)");
  load_groups();
  if (optional(e, "as")) fail(child(p, "as"), "expected \"as\" only with \"isolate\", found it with explicit groups");
  read_chosen(e, p, ev, true);
}

void read_layer(const json& e, const std::string& p, ScenarioEvent& ev) {
  const json* layer = optional(e, "layer");
  if (!layer) return;
  if (!layer->is_string() || !valid_binding(layer->get<std::string>()))
    expected(child(p, "layer"), "a cut layer name of 1 to 64 letters, digits, '_' or '-'", *layer);
  ev.layer = layer->get<std::string>();
}

void check_selector_bindings(const Scenario& s) {
  std::set<std::string> bound;
  for (const auto& ev : s.events) {
    const std::string p = child("/events", ev.index);
    if (!ev.selector.empty() && ev.selector[0] == '$' && bound.count(ev.selector.substr(1)) == 0) {
      std::vector<std::string> names(bound.begin(), bound.end());
      fail(child(p, ev.isolate ? "isolate" : "node"),
           "expected a name bound by \"as\" in an event that fires earlier (" +
               (names.empty() ? std::string("none is bound before") : join(names)) + "), found " + quote(ev.selector));
    }
    if (!ev.as.empty() && !bound.insert(ev.as).second)
      fail(child(p, "as"), "expected a name no earlier event binds, found " + quote(ev.as) + " bound before");
  }
}

namespace {

const char* const kKindNames[SwarmSpec::kinds] = {"crash", "pause", "partition", "partition_oneway",
                                                  "link", "clock_skew", "disk_fault"};

// A [min, max] pair of durations, both greater than zero.
SwarmSpec::Range read_duration_range(const json& j, const std::string& p, bool positive) {
  const std::string what = "a pair of durations [min, max] like [\"100ms\", \"5s\"]";
  if (!j.is_array() || j.size() != 2) expected(p, what, j);
  SwarmSpec::Range r;
  r.min = positive ? read_positive_duration(j[0], child(p, 0)) : read_duration(j[0], child(p, 0));
  r.max = read_duration(j[1], child(p, 1));
  if (r.max < r.min) expected(child(p, 1), "at least min (" + format_duration(r.min) + ")", j[1]);
  return r;
}

void load_ranges(const json& j, const std::string& p, SwarmSpec& w, double max_drift) {
  require_object(j, p, "an object of fault parameter ranges");
  std::vector<std::string> keys(std::begin(kKindNames), std::end(kKindNames));
  keys.insert(keys.end(), {"link_loss", "link_latency", "clock_offset", "clock_drift"});
  check_keys(j, p, keys);
  const DurationUs window = w.window_end - w.window_start;
  for (int k = 0; k < SwarmSpec::kinds; ++k) {
    const json* r = optional(j, kKindNames[k]);
    if (!r) continue;
    const std::string rp = child(p, kKindNames[k]);
    w.lasts[k] = read_duration_range(*r, rp, true);
    if (w.lasts[k].min > window)
      expected(child(rp, 0), "a duration that fits in the window (" + format_duration(window) + ")", (*r)[0]);
  }
  if (const json* r = optional(j, "link_loss")) {
    const std::string rp = child(p, "link_loss");
    if (!r->is_array() || r->size() != 2) expected(rp, "a pair of probabilities [min, max] like [0, 0.3]", *r);
    w.link_loss_min = read_probability((*r)[0], child(rp, 0));
    w.link_loss_max = read_probability((*r)[1], child(rp, 1));
    if (w.link_loss_max < w.link_loss_min) expected(child(rp, 1), "at least min", (*r)[1]);
  }
  if (const json* r = optional(j, "link_latency")) w.link_latency = read_duration_range(*r, child(p, "link_latency"), false);
  if (const json* r = optional(j, "clock_offset")) w.clock_offset_max = read_duration(*r, child(p, "clock_offset"));
  if (const json* r = optional(j, "clock_drift")) {
    char what[96];
    std::snprintf(what, sizeof what, "a drift from 0 to config.max_drift (%g)", max_drift);
    w.clock_drift_max = read_number(*r, child(p, "clock_drift"), 0.0, max_drift, what);
  }
}

}  // namespace

void load_swarm(const json& root, Scenario& s) {
  const std::string p = "/swarm";
  const json& j = root["swarm"];
  require_object(j, p, "a swarm object like {\"window\": [\"5s\", \"25s\"], \"max_down\": 1, \"faults\": {\"crash\": 2}}");
  check_keys(j, p, {"window", "max_down", "faults", "ranges"});
  SwarmSpec w;
  const double max_drift = s.setup.max_drift;
  w.clock_drift_max = max_drift / 2;

  const std::string wp = child(p, "window");
  const json& window = require(j, p, "window", "a pair of times [start, end] like [\"5s\", \"25s\"]");
  if (!window.is_array() || window.size() != 2) expected(wp, "a pair of times [start, end] like [\"5s\", \"25s\"]", window);
  for (int i = 0; i < 2; ++i) {
    const DurationUs t = read_duration(window[i], child(wp, i));
    if (t > s.duration)
      expected(child(wp, i), "a time within the scenario's duration (0.." + format_duration(s.duration) + ")", window[i]);
    (i == 0 ? w.window_start : w.window_end) = t;
  }
  if (w.window_end <= w.window_start)
    expected(child(wp, 1), "a time after the window's start (" + format_duration(w.window_start) + ")", window[1]);

  const std::string mp = child(p, "max_down");
  w.max_down = static_cast<std::uint32_t>(read_integer(require(j, p, "max_down", "a node count"), mp, 0, s.nodes.size(),
                                                       "a node count from 0 to " + std::to_string(s.nodes.size())));

  const std::string fp = child(p, "faults");
  const json& faults = require(j, p, "faults", "an object of fault kind -> the most a seed may draw");
  require_object(faults, fp, "an object of fault kind -> the most a seed may draw, like {\"crash\": 2}");
  check_keys(faults, fp, std::vector<std::string>(std::begin(kKindNames), std::end(kKindNames)));
  for (int k = 0; k < SwarmSpec::kinds; ++k)
    if (const json* v = optional(faults, kKindNames[k]))
      w.faults[k] = static_cast<std::uint32_t>(
          read_integer(*v, child(fp, kKindNames[k]), 0, kSwarmFaultsMax, "a count from 0 to 100"));
  const bool takes_nodes_down = w.faults[SwarmSpec::crash] || w.faults[SwarmSpec::pause] ||
                                w.faults[SwarmSpec::partition] || w.faults[SwarmSpec::partition_oneway];
  if (takes_nodes_down && w.max_down == 0)
    expected(mp, "at least 1 when faults include crash, pause, partition or partition_oneway (each takes a node down)",
             j["max_down"]);
  for (int k : {SwarmSpec::partition, SwarmSpec::partition_oneway, SwarmSpec::link})
    if (w.faults[k] && s.nodes.size() < 2)
      expected(child(fp, kKindNames[k]), "0 in a scenario of one node (it needs two nodes to cut)", faults[kKindNames[k]]);

  if (const json* r = optional(j, "ranges")) load_ranges(*r, child(p, "ranges"), w, max_drift);

  // Liveness is judged after the drawn faults are over: every check with `by` (members_converged,
  // variables_converged, ...) must name a time after the window.
  if (const json* expect = optional(root, "expect"); expect && expect->is_array())
    for (std::size_t i = 0; i < expect->size(); ++i) {
      const json& c = (*expect)[i];
      const json* by = c.is_object() ? optional(c, "by") : nullptr;
      if (!by) continue;
      const std::string bp = child(child("/expect", i), "by");
      if (read_duration(*by, bp) <= w.window_end)
        expected(bp, "a time after the swarm window's end (" + format_duration(w.window_end) +
                         "): liveness is judged once the drawn faults are over",
                 *by);
    }
  s.swarm = w;
}

}  // namespace mabeam::sim::load

namespace mabeam::sim {

const char* to_string(SwarmSpec::Kind k) { return k < SwarmSpec::kinds ? load::kKindNames[k] : "unknown"; }

}  // namespace mabeam::sim
