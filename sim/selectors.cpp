// Resolving fault selectors when their event fires (see selectors.h).
#include "sim/selectors.h"

#include <algorithm>

namespace mabeam::sim {

using Verb = ScenarioEvent::Verb;

Selectors::Selectors(World& world, std::uint64_t seed) : world_(world), rng_(Rng::derived(seed, "selectors")) {}

void Selectors::trace_select(const ScenarioEvent& e, const std::string& selector, const std::string& node,
                             const std::vector<std::vector<std::string>>* groups) {
  TraceEvent t("select");
  t.with("do", to_string(e.verb)).with("selector", selector);
  if (!e.as.empty()) t.with("as", e.as);
  if (groups) {
    std::string text = "[";
    for (std::size_t g = 0; g < groups->size(); ++g) text += (g ? "," : "") + json_string_array((*groups)[g]);
    t.with("groups", RawJson{text + "]"});
  }
  world_.emit_about(groups ? "*" : node, t);
}

bool Selectors::skip(const ScenarioEvent& e, const std::string& reason) {
  world_.emit_global(TraceEvent("fault_ignored").with("fault", to_string(e.verb)).with("selector", e.selector).with("reason", reason));
  return false;
}

bool Selectors::resolve(const ScenarioEvent& e, std::string& node, std::vector<std::vector<std::string>>& groups) {
  node = e.node;
  groups = e.groups;
  if (e.selector.empty()) {
    if (!e.chosen.empty()) trace_select(e, e.chosen, e.node, e.chosen == "halves" ? &e.groups : nullptr);
    if (!e.as.empty()) bound_[e.as] = e.node;
    return true;
  }
  const auto& names = world_.names();
  if (e.selector == "halves") {
    // A random minority of floor((n-1)/2) nodes (partial Fisher-Yates), listed in node order.
    std::vector<std::uint32_t> order(names.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    const std::size_t k = (names.size() - 1) / 2;
    for (std::size_t i = 0; i < k; ++i) std::swap(order[i], order[i + rng_.below(order.size() - i)]);
    std::vector<bool> minority(names.size(), false);
    for (std::size_t i = 0; i < k; ++i) minority[order[i]] = true;
    groups.assign(2, {});
    SelectorChoice c{e.index, e.selector, "", {}};
    for (std::uint32_t i = 0; i < names.size(); ++i) {
      groups[minority[i] ? 0 : 1].push_back(names[i]);
      if (minority[i]) c.minority.push_back(names[i]);
    }
    choices_.push_back(std::move(c));
    trace_select(e, e.selector, "", &groups);
    return true;
  }
  if (e.selector == "leader") {
    const int l = world_.leader();
    if (l < 0) return skip(e, "no node that is up claims to lead");
    node = names[static_cast<std::size_t>(l)];
  } else if (e.selector == "random") {
    std::vector<std::uint32_t> running;
    for (std::uint32_t i = 0; i < names.size(); ++i)
      if (world_.node(i).up() && !world_.node(i).paused()) running.push_back(i);
    if (running.empty()) return skip(e, "no running, unpaused node to choose");
    node = names[running[rng_.below(running.size())]];
  } else {  // "$X": the loader checked that an earlier event binds X
    auto it = bound_.find(e.selector.substr(1));
    if (it == bound_.end()) return skip(e, e.selector + " is not bound: the event that names it chose no node");
    node = it->second;
  }
  if (e.isolate) {
    groups.assign(2, {});
    groups[0].push_back(node);
    for (const auto& n : names)
      if (n != node) groups[1].push_back(n);
  }
  if (!e.as.empty()) bound_[e.as] = node;
  choices_.push_back(SelectorChoice{e.index, e.selector, node, {}});
  trace_select(e, e.selector, node, nullptr);
  return true;
}

nlohmann::ordered_json resolve_document(nlohmann::ordered_json doc, const std::vector<SelectorChoice>& choices) {
  for (const auto& c : choices) {
    nlohmann::ordered_json& e = doc.at("events").at(c.index);
    if (c.selector == "halves") {
      e["groups"] = nlohmann::ordered_json::array({c.minority});
    } else if (e.contains("isolate")) {
      e["isolate"] = c.node;
    } else {
      e["node"] = c.node;
    }
    e["chosen"] = c.selector;
  }
  return doc;
}

}  // namespace mabeam::sim
