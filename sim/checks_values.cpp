// The value acknowledged writes imply (see checks_values.h).
#include "sim/checks_values.h"

#include <algorithm>
#include <climits>
#include <set>
#include <tuple>

#include "engine/variables/spec.h"
#include "sim/history.h"

namespace mabeam::sim {

namespace {

using nlohmann::json;

std::string str(const TraceRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it != r.fields.end() && it->is_string() ? it->get<std::string>() : "";
}
std::uint64_t seq_of(const TraceRecord& r) {
  auto it = r.fields.find("seq");
  return it != r.fields.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}
json value_of(const TraceRecord& r) { return r.fields.value("value", json()); }

// How many of `writer`'s writes to `var` the write `w` had seen: its own earlier ones, and
// what its `deps` ([var, node, count] triples) say.
std::uint64_t seen_by(const TraceRecord& w, const std::string& var, const std::string& writer) {
  if (w.node == writer) return seq_of(w) - (seq_of(w) > 0 ? 1 : 0);
  std::uint64_t n = 0;
  for (const auto& d : w.fields.value("deps", json::array()))
    if (d.is_array() && d.size() == 3 && d[0] == var && d[1] == writer && d[2].is_number_unsigned())
      n = std::max(n, d[2].get<std::uint64_t>());
  return n;
}

bool integers(const std::vector<const TraceRecord*>& writes, std::string& why) {
  for (const auto* w : writes)
    if (!value_of(*w).is_number_integer()) {
      why = "the write " + w->node + "#" + std::to_string(seq_of(*w)) + " has a value that is not an integer (" +
            value_of(*w).dump() + ")";
      return false;
    }
  return true;
}

}  // namespace

json canonical_value(json v) {
  if (v.is_array()) {
    std::vector<std::string> texts;
    for (const auto& x : v) texts.push_back(canonical_value(x).dump());
    std::sort(texts.begin(), texts.end());
    json out = json::array();
    for (const auto& t : texts) out.push_back(json::parse(t));
    return out;
  }
  if (v.is_object()) {
    json out = json::object();
    for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = canonical_value(it.value());
    return out;
  }
  return v;
}

ImpliedValue implied_value(const std::string& resolve, const std::vector<const TraceRecord*>& writes) {
  ImpliedValue out;
  const std::string n = std::to_string(writes.size());
  if (writes.empty()) {
    // What a replica that holds no write reads (VarState::value_text of an empty state).
    out.known = !resolve.empty();
    if (resolve == "g_counter" || resolve == "pn_counter") out.value = 0;
    else if (resolve == "or_set") out.value = json::array();
    out.why = out.known ? "no acknowledged write" : "no acknowledged write says how the variable resolves";
    return out;
  }
  if (resolve == "g_counter" || resolve == "pn_counter") {
    if (!integers(writes, out.why)) return out;
    std::int64_t sum = 0;
    for (const auto* w : writes) sum += value_of(*w).get<std::int64_t>();
    out.value = sum;
    out.why = "the sum of " + n + " acknowledged increments";
  } else if (resolve == "max" || resolve == "min") {
    if (!integers(writes, out.why)) return out;
    std::int64_t v = resolve == "max" ? INT64_MIN : INT64_MAX;
    for (const auto* w : writes) {
      const std::int64_t x = value_of(*w).get<std::int64_t>();
      v = resolve == "max" ? std::max(v, x) : std::min(v, x);
    }
    out.value = v;
    out.why = "the " + resolve + " of " + n + " acknowledged writes";
  } else if (resolve == "lww") {
    const TraceRecord* best = nullptr;
    auto key = [](const TraceRecord* w) {
      const json hlc = w->fields.value("hlc", json::array());
      const bool ok = hlc.is_array() && hlc.size() == 2 && hlc[0].is_number_integer() && hlc[1].is_number_integer();
      return std::make_tuple(ok ? hlc[0].get<std::int64_t>() : 0, ok ? hlc[1].get<std::int64_t>() : 0, w->node);
    };
    for (const auto* w : writes)
      if (!best || key(best) < key(w)) best = w;
    out.value = canonical_value(value_of(*best));
    out.why = "the acknowledged write with the greatest timestamp (" + best->node + "#" + std::to_string(seq_of(*best)) +
              " at " + format_time(best->t) + ", of " + n + ")";
  } else if (resolve == "vector_clock") {
    // Maximal: no other write of the set had seen it.
    std::vector<const TraceRecord*> top;
    for (const auto* w : writes) {
      bool dominated = false;
      for (const auto* v : writes)
        if (v != w && seen_by(*v, str(*w, "var"), w->node) >= seq_of(*w)) dominated = true;
      if (!dominated) top.push_back(w);
    }
    std::sort(top.begin(), top.end(), [](const TraceRecord* a, const TraceRecord* b) {
      return std::make_tuple(a->node, seq_of(*a)) < std::make_tuple(b->node, seq_of(*b));
    });
    if (top.size() == 1) {
      out.value = canonical_value(value_of(*top.front()));
    } else {
      json values = json::array();
      for (const auto* w : top) values.push_back(value_of(*w));
      out.value = canonical_value(json{{"siblings", values}});
    }
    std::string dots;
    for (const auto* w : top) dots += (dots.empty() ? "" : ", ") + w->node + "#" + std::to_string(seq_of(*w));
    out.why = "the maximal acknowledged writes (" + dots + " of " + n + ") as siblings";
  } else if (resolve == "or_set") {
    std::set<std::string> removed;
    for (const auto* w : writes)
      if (str(*w, "op") == "remove")
        for (const auto& t : w->fields.value("tags", json::array()))
          if (t.is_string()) removed.insert(t.get<std::string>());
    json elems = json::array();
    std::set<std::string> seen;
    for (const auto* w : writes)
      if (str(*w, "op") == "add" && !removed.count(str(*w, "tag")) && seen.insert(value_of(*w).dump()).second)
        elems.push_back(value_of(*w));
    out.value = canonical_value(elems);
    out.why = "the acknowledged adds not removed (of " + n + " writes)";
  } else if (resolve.empty()) {
    out.why = "the writes do not say how the variable resolves (no `resolve`)";
    return out;
  } else {
    const vars::MergeFn* fn = vars::merge_registry().find(resolve);
    if (!fn) {
      out.why = "the merge function \"" + resolve + "\" is not registered in this build";
      return out;
    }
    std::vector<const TraceRecord*> order(writes);
    std::sort(order.begin(), order.end(), [](const TraceRecord* a, const TraceRecord* b) {
      return std::make_tuple(a->node, seq_of(*a)) < std::make_tuple(b->node, seq_of(*b));
    });
    std::string acc;
    for (const auto* w : order) acc = acc.empty() ? value_of(*w).dump() : (*fn)(acc, value_of(*w).dump());
    json merged = json::parse(acc, nullptr, /*allow_exceptions=*/false);
    if (merged.is_discarded()) {
      out.why = "the merge function \"" + resolve + "\" gave a value that is not JSON (" + acc + ")";
      return out;
    }
    out.value = canonical_value(merged);
    out.why = "the merge \"" + resolve + "\" of " + n + " acknowledged writes";
  }
  out.known = true;
  return out;
}

}  // namespace mabeam::sim
