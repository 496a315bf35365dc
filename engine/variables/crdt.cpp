// The merge of each resolution strategy (see crdt.h).
#include "engine/variables/crdt.h"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace mabeam::vars {

const char* to_string(Consistency c) {
  switch (c) {
    case Consistency::eventual: return "eventual";
    case Consistency::causal: return "causal";
    case Consistency::session: return "session";
    case Consistency::strong: return "strong";
  }
  return "?";
}

const char* to_string(Resolve r) {
  switch (r) {
    case Resolve::lww: return "lww";
    case Resolve::vector_clock: return "vector_clock";
    case Resolve::g_counter: return "g_counter";
    case Resolve::pn_counter: return "pn_counter";
    case Resolve::or_set: return "or_set";
    case Resolve::max: return "max";
    case Resolve::min: return "min";
    case Resolve::custom: return "custom";
  }
  return "?";
}

MergeRegistry& merge_registry() {
  static MergeRegistry registry = [] {
    MergeRegistry r;
    r.add("longest", [](const std::string& a, const std::string& b) {
      if (a.size() != b.size()) return a.size() > b.size() ? a : b;
      return std::max(a, b);
    });
    return r;
  }();
  return registry;
}

bool covers(const VersionVector& a, const VersionVector& b) {
  for (const auto& [k, n] : b) {
    auto it = a.find(k);
    if (n > 0 && (it == a.end() || it->second < n)) return false;
  }
  return true;
}

void merge_into(VersionVector& into, const VersionVector& other) {
  for (const auto& [k, n] : other) {
    auto& mine = into[k];
    mine = std::max(mine, n);
  }
}

std::string dot_text(const std::string& node, std::uint64_t seq) { return node + "#" + std::to_string(seq); }

std::optional<Dot> parse_dot(const std::string& text) {
  const auto hash = text.rfind('#');
  if (hash == std::string::npos || hash == 0) return std::nullopt;
  const std::string digits = text.substr(hash + 1);
  std::uint64_t seq = 0;
  const char* end = digits.data() + digits.size();
  auto [p, ec] = std::from_chars(digits.data(), end, seq);
  if (digits.empty() || ec != std::errc() || p != end || seq == 0) return std::nullopt;
  return Dot{text.substr(0, hash), seq};
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty()) return std::nullopt;
  return v;
}

namespace {
bool saw_sibling(const VersionVector& vv, const Sibling& s) {
  auto it = vv.find(s.node);
  return it != vv.end() && it->second >= s.seq;
}

void merge_max(std::map<std::string, std::int64_t>& into, const std::map<std::string, std::int64_t>& other) {
  for (const auto& [k, n] : other) {
    auto [it, fresh] = into.emplace(k, n);
    if (!fresh) it->second = std::max(it->second, n);
  }
}

std::int64_t sum(const std::map<std::string, std::int64_t>& m) {
  std::int64_t s = 0;
  for (const auto& [k, n] : m) s += n;
  return s;
}

bool in_context(const VersionVector& vv, const std::set<Dot>& cloud, const Dot& d) {
  auto it = vv.find(d.node);
  return (it != vv.end() && it->second >= d.seq) || cloud.count(d) > 0;
}

bool holds(const std::map<std::string, std::set<Dot>>& elements, const std::string& e, const Dot& d) {
  auto it = elements.find(e);
  return it != elements.end() && it->second.count(d) > 0;
}

// Moves cloud dots that extend the version vector into it and drops those it covers, so
// equal contexts have equal representations.
void compact(VersionVector& vv, std::set<Dot>& cloud) {
  for (auto it = cloud.begin(); it != cloud.end();) {  // sorted by (node, seq): a run extends in order
    auto v = vv.find(it->node);
    const std::uint64_t n = v == vv.end() ? 0 : v->second;
    if (it->seq == n + 1) vv[it->node] = it->seq;
    it = it->seq <= n + 1 ? cloud.erase(it) : std::next(it);
  }
}

std::string array_text(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]";
}
}  // namespace

void VarState::merge(const VarState& o) {
  switch (resolve) {
    case Resolve::lww:
      if (o.lww_ts && (!lww_ts || *lww_ts < *o.lww_ts)) {
        lww_ts = o.lww_ts;
        value = o.value;
      }
      break;
    case Resolve::vector_clock: {
      // A sibling survives unless the other side has seen its dot and no longer holds it.
      std::set<Sibling> out;
      for (const auto& s : siblings)
        if (o.siblings.count(s) || !saw_sibling(o.seen, s)) out.insert(s);
      for (const auto& s : o.siblings)
        if (siblings.count(s) || !saw_sibling(seen, s)) out.insert(s);
      siblings = std::move(out);
      merge_into(seen, o.seen);
      break;
    }
    case Resolve::g_counter:
    case Resolve::pn_counter:
      merge_max(plus, o.plus);
      merge_max(minus, o.minus);
      break;
    case Resolve::or_set:
      merge_or_set(o);
      break;
    case Resolve::max:
      if (o.extreme && (!extreme || *o.extreme > *extreme)) extreme = o.extreme;
      break;
    case Resolve::min:
      if (o.extreme && (!extreme || *o.extreme < *extreme)) extreme = o.extreme;
      break;
    case Resolve::custom:
      if (value.empty()) value = o.value;
      else if (!o.value.empty() && merge_fn) value = (*merge_fn)(value, o.value);
      break;
  }
}

void VarState::merge_or_set(const VarState& o) {
  // Ours: drop the dots the other side has seen but no longer holds. Only a dot in our own
  // context can be ours, so a delta of fresh writes needs no scan.
  bool scan = !o.seen.empty();
  for (const auto& d : o.cloud) scan = scan || has_seen(d);
  if (scan) {
    for (auto e = elements.begin(); e != elements.end();) {
      for (auto d = e->second.begin(); d != e->second.end();)
        d = in_context(o.seen, o.cloud, *d) && !holds(o.elements, e->first, *d) ? e->second.erase(d) : std::next(d);
      e = e->second.empty() ? elements.erase(e) : std::next(e);
    }
  }
  // Theirs: add the dots we have not seen (a dot we have seen is held here already, or was
  // removed here).
  for (const auto& [element, dots] : o.elements)
    for (const auto& d : dots)
      if (!has_seen(d)) elements[element].insert(d);
  merge_into(seen, o.seen);
  cloud.insert(o.cloud.begin(), o.cloud.end());
  compact(seen, cloud);
}

bool VarState::has_seen(const Dot& d) const { return in_context(seen, cloud, d); }

std::string VarState::value_text() const {
  switch (resolve) {
    case Resolve::lww:
    case Resolve::custom:
      return value.empty() ? "null" : value;
    case Resolve::vector_clock: {
      if (siblings.empty()) return "null";
      if (siblings.size() == 1) return siblings.begin()->value;
      std::vector<std::string> values;
      for (const auto& s : siblings) values.push_back(s.value);
      return "{\"siblings\":" + array_text(std::move(values)) + "}";
    }
    case Resolve::g_counter:
    case Resolve::pn_counter:
      return std::to_string(sum(plus) - sum(minus));
    case Resolve::or_set: {
      std::vector<std::string> live;
      for (const auto& [element, dots] : elements) live.push_back(element);
      return array_text(std::move(live));
    }
    case Resolve::max:
    case Resolve::min:
      return extreme ? std::to_string(*extreme) : "null";
  }
  return "null";
}

std::vector<std::string> VarState::tags_of(const std::string& element) const {
  std::vector<std::string> out;
  auto it = elements.find(element);
  if (it != elements.end())
    for (const auto& d : it->second) out.push_back(dot_text(d.node, d.seq));
  return out;
}

bool VarState::operator==(const VarState& o) const {
  return resolve == o.resolve && lww_ts == o.lww_ts && value == o.value && siblings == o.siblings && seen == o.seen &&
         plus == o.plus && minus == o.minus && elements == o.elements && cloud == o.cloud && extreme == o.extreme;
}

}  // namespace mabeam::vars
