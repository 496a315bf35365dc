// Drawing a seed's swarm faults (see swarm.h).
//
// The draw keeps a static picture of the run (Occupancy): for each node the spans in which
// it is stopped or paused, the cuts with their spans, and the faults whose target a
// selector chooses (counted, not placed). It is built from the scripted events first, and
// every drawn fault is added to it once placed, so later draws see the earlier ones.
#include "sim/swarm.h"

#include <algorithm>
#include <map>

#include "engine/duration.h"
#include "engine/rng.h"

namespace mabeam::sim {

namespace {

using json = nlohmann::ordered_json;
using Verb = ScenarioEvent::Verb;
using Kind = SwarmSpec::Kind;

constexpr int kPlacementAttempts = 32;  // tries per fault before it is dropped

struct Span {
  TimeUs a = 0, b = 0;  // [a, b)
  // Meets the closed interval [x, y]: also a span that starts right where it ends.
  bool meets(TimeUs x, TimeUs y) const { return a <= y && x < b; }
  bool covers(TimeUs t) const { return a <= t && t < b; }
};

class Occupancy {
 public:
  explicit Occupancy(std::size_t n) : n_(n), off_(n) {}

  struct Cut {
    Span span;
    std::vector<int> group_of;   // a symmetric cut: each node's group
    std::vector<bool> side;      // a one-way cut: the nodes it puts out of the group
  };

  void add_off(std::size_t node, Span s) {
    off_[node].push_back(s);
    mark(s.a);
  }
  void pop_off(std::size_t node) { off_[node].pop_back(); }
  void add_cut(Cut c) {
    mark(c.span.a);
    cuts_.push_back(std::move(c));
  }
  void pop_cut() { cuts_.pop_back(); }
  void add_anonymous(Span s, std::uint32_t count) {
    anonymous_.push_back({s, count});
    mark(s.a);
  }
  // Running and unpaused throughout [a, b], and not stopped or paused right at either end
  // (a fault that ends at an instant and one that starts there could fire in either order).
  bool free(std::size_t node, Span s) const {
    for (const auto& o : off_[node])
      if (o.a <= s.b && s.a <= o.b) return false;
    return true;
  }

  // The node (re)starts at an instant of [a, b]: a disk fault then would fail its boot.
  bool starts_within(std::size_t node, Span s) const {
    for (const auto& o : off_[node])
      if (o.b >= s.a && o.b <= s.b) return true;
    return false;
  }

  std::uint32_t down_at(TimeUs t) const {
    std::vector<bool> live(n_, true);
    for (std::size_t i = 0; i < n_; ++i)
      for (const auto& o : off_[i])
        if (o.covers(t)) live[i] = false;
    std::map<std::vector<int>, std::uint32_t> groups;  // key: the node's group in each active symmetric cut
    std::vector<std::vector<int>> key(n_);
    for (const auto& c : cuts_) {
      if (!c.span.covers(t)) continue;
      for (std::size_t i = 0; i < n_; ++i) {
        if (!c.side.empty() && c.side[i]) live[i] = false;
        if (!c.group_of.empty()) key[i].push_back(c.group_of[i]);
      }
    }
    std::uint32_t largest = 0;
    for (std::size_t i = 0; i < n_; ++i)
      if (live[i]) largest = std::max(largest, ++groups[key[i]]);
    std::uint32_t down = static_cast<std::uint32_t>(n_) - largest;
    for (const auto& [s, count] : anonymous_)
      if (s.covers(t)) down += count;
    return std::min<std::uint32_t>(down, static_cast<std::uint32_t>(n_));
  }

  // The most nodes down at any instant of [a, b).
  std::uint32_t max_down(Span s) const {
    std::uint32_t most = down_at(s.a);
    for (auto it = std::upper_bound(marks_.begin(), marks_.end(), s.a); it != marks_.end() && *it < s.b; ++it)
      most = std::max(most, down_at(*it));
    return most;
  }

 private:
  void mark(TimeUs t) { marks_.insert(std::lower_bound(marks_.begin(), marks_.end(), t), t); }

  std::size_t n_;
  std::vector<std::vector<Span>> off_;  // per node: stopped (never started, crashed, left) or paused
  std::vector<Cut> cuts_;
  std::vector<std::pair<Span, std::uint32_t>> anonymous_;  // faults of selector-chosen targets
  std::vector<TimeUs> marks_;  // every instant at which something starts, sorted
};

// The scripted faults as an Occupancy, plus what the draw must leave alone.
struct Picture {
  Occupancy occupancy;
  std::vector<std::vector<Span>> disk_busy, clock_busy;  // per node
  std::vector<std::vector<TimeUs>> clock_events;         // per node: scripted clock_skew instants
  std::map<std::pair<std::size_t, std::size_t>, std::vector<Span>> link_busy;  // directed link -> spans
  explicit Picture(std::size_t n) : occupancy(n), disk_busy(n), clock_busy(n), clock_events(n) {}
};

std::vector<int> group_of(const Scenario& s, const std::vector<std::vector<std::string>>& groups) {
  std::vector<int> out(s.nodes.size(), static_cast<int>(groups.size()));
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const auto& name : groups[g])
      for (std::size_t i = 0; i < s.nodes.size(); ++i)
        if (s.nodes[i].name == name) out[i] = static_cast<int>(g);
  return out;
}

std::size_t index_of(const Scenario& s, const std::string& name) {
  for (std::size_t i = 0; i < s.nodes.size(); ++i)
    if (s.nodes[i].name == name) return i;
  return 0;  // the loader checked every name
}

Picture picture_of(const Scenario& s) {
  const std::size_t n = s.nodes.size();
  Picture pic(n);
  Occupancy& occ = pic.occupancy;
  const TimeUs end = s.duration + 1;
  std::vector<TimeUs> stopped_since(n, -1);
  for (std::size_t i = 0; i < n; ++i)
    if (s.nodes[i].starts_by_join || s.nodes[i].start > 0) stopped_since[i] = 0;
  // Selector-chosen stops, by the `as` name a later "$X" restart ends; -1 when unnamed.
  std::map<std::string, TimeUs> anonymous_since;
  std::map<std::string, std::size_t> bound_node;  // `as` names bound to an explicit node
  struct OpenCut {
    std::string layer;
    bool symmetric;
    Occupancy::Cut cut;
    std::uint32_t anonymous = 0;  // a selector-chosen cut: how many nodes it takes
  };
  std::vector<OpenCut> open;
  auto close_cuts = [&](const std::string& layer, bool symmetric_only, TimeUs t) {
    for (auto it = open.begin(); it != open.end();) {
      if (it->layer != layer || (symmetric_only && !it->symmetric)) {
        ++it;
        continue;
      }
      if (it->anonymous) occ.add_anonymous({it->cut.span.a, t}, it->anonymous);
      else occ.add_cut({{it->cut.span.a, t}, it->cut.group_of, it->cut.side});
      it = open.erase(it);
    }
  };
  for (const auto& e : s.events) {
    const bool named = e.selector.empty();
    const std::size_t i = named && !e.node.empty() ? index_of(s, e.node) : 0;
    switch (e.verb) {
      case Verb::crash:
      case Verb::leave:
        if (named && stopped_since[i] < 0) stopped_since[i] = e.at;
        if (named && !e.as.empty()) bound_node[e.as] = i;
        if (!named) anonymous_since[e.as.empty() ? "#" + std::to_string(e.index) : e.as] = e.at;
        break;
      case Verb::restart:
      case Verb::join: {
        std::size_t target = i;
        bool known = named;
        if (!named) {  // "$X"
          const std::string x = e.selector.substr(1);
          if (auto a = anonymous_since.find(x); a != anonymous_since.end()) {
            occ.add_anonymous({a->second, e.at}, 1);
            anonymous_since.erase(a);
          } else if (auto b = bound_node.find(x); b != bound_node.end()) {
            target = b->second;
            known = true;
          }
        }
        if (known && stopped_since[target] >= 0) {
          occ.add_off(target, {stopped_since[target], e.at});
          stopped_since[target] = -1;
        }
        break;
      }
      case Verb::pause:
        if (named) occ.add_off(i, {e.at, e.at + e.duration});
        else occ.add_anonymous({e.at, e.at + e.duration}, 1);
        break;
      case Verb::disk_fault:
        if (named) pic.disk_busy[i].push_back({e.at, e.at + e.duration + 1});
        break;
      case Verb::clock_skew:
        if (named) pic.clock_events[i].push_back(e.at);
        break;
      case Verb::partition: {
        close_cuts(e.layer, true, e.at);
        OpenCut c{e.layer, true, {{e.at, 0}, {}, {}}, 0};
        if (e.selector == "halves") c.anonymous = static_cast<std::uint32_t>((n - 1) / 2);
        else if (!named) c.anonymous = 1;
        else c.cut.group_of = group_of(s, e.groups);
        open.push_back(std::move(c));
        break;
      }
      case Verb::partition_oneway: {
        std::vector<bool> side(n, false);
        for (const auto& name : e.from.size() <= e.to.size() ? e.from : e.to) side[index_of(s, name)] = true;
        open.push_back(OpenCut{e.layer, false, {{e.at, 0}, {}, side}, 0});
        break;
      }
      case Verb::heal:
        close_cuts(e.layer, false, e.at);
        break;
      case Verb::link:
        for (const auto& f : e.from)
          for (const auto& t : e.to) {
            const std::size_t a = index_of(s, f), b = index_of(s, t);
            pic.link_busy[{a, b}].push_back({e.at, e.at + 1});
            if (e.both_ways) pic.link_busy[{b, a}].push_back({e.at, e.at + 1});
          }
        break;
      case Verb::write:
      case Verb::cas:
      case Verb::add_voter:
      case Verb::remove_voter:
      case Verb::transfer_leader:
      case Verb::read:
      case Verb::spawn:
      case Verb::send:
      case Verb::kill_agent:
        break;
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    if (stopped_since[i] >= 0) occ.add_off(i, {stopped_since[i], end});
  for (const auto& [name, since] : anonymous_since) occ.add_anonymous({since, end}, 1);
  for (const auto& layer : std::vector<OpenCut>(open)) close_cuts(layer.layer, false, end);
  return pic;
}

bool overlaps(const std::vector<Span>& spans, Span s) {
  for (const auto& o : spans)
    if (o.meets(s.a, s.b)) return true;
  return false;
}

// A time in [lo, hi], on a whole millisecond when one lies in range.
TimeUs draw_time(Rng& rng, TimeUs lo, TimeUs hi) {
  const TimeUs t = rng.between(lo, hi);
  const TimeUs rounded = t - t % 1000;
  return rounded >= lo ? rounded : t;
}

std::string signed_duration(DurationUs d) { return d < 0 ? "-" + format_duration(-d) : format_duration(d); }

json latency_json(const Latency& l) {
  switch (l.dist) {
    case Latency::Dist::fixed: return {{"dist", "fixed"}, {"value", format_duration(l.value)}};
    case Latency::Dist::uniform: return {{"dist", "uniform"}, {"min", format_duration(l.min)}, {"max", format_duration(l.max)}};
    case Latency::Dist::normal:
      return {{"dist", "normal"}, {"mean", format_duration(l.mean)}, {"stddev", format_duration(l.stddev)}};
    case Latency::Dist::exponential: return {{"dist", "exponential"}, {"mean", format_duration(l.mean)}};
    case Latency::Dist::pareto: return {{"dist", "pareto"}, {"scale", format_duration(l.scale)}, {"shape", l.shape}};
  }
  return {};
}

// The parameters of the directed link from -> to at instant t, as the scenario sets them.
LinkParams link_at(const Scenario& s, const std::string& from, const std::string& to, TimeUs t) {
  LinkParams p = s.network;
  auto apply = [&p](const std::optional<Latency>& l, std::optional<double> loss) {
    if (l) p.latency = *l;
    if (loss) p.loss = *loss;
  };
  for (const auto& o : s.links)
    if (o.from == from && o.to == to) apply(o.latency, o.loss);
  for (const auto& e : s.events) {
    if (e.verb != Verb::link || e.at >= t) continue;
    const bool forward = !e.from.empty() && e.from[0] == from && e.to[0] == to;
    const bool backward = e.both_ways && !e.from.empty() && e.from[0] == to && e.to[0] == from;
    if (forward || backward) apply(e.latency, e.loss);
  }
  return p;
}

class Drawer {
 public:
  Drawer(const Scenario& s, std::uint64_t seed) : s_(s), w_(*s.swarm), rng_(Rng::derived(seed, "swarm")), pic_(picture_of(s)) {}

  SwarmDraw draw() {
    SwarmDraw out;
    std::vector<Kind> order;
    for (int k = 0; k < SwarmSpec::kinds; ++k) {
      if (w_.faults[k] == 0 || !rng_.chance(0.5)) continue;
      out.wanted[k] = static_cast<std::uint32_t>(rng_.between(1, w_.faults[k]));
      for (std::uint32_t c = 0; c < out.wanted[k]; ++c) order.push_back(static_cast<Kind>(k));
    }
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng_.below(i)]);
    for (Kind k : order) {
      for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
        if (place(k, out.events)) {
          ++out.placed[k];
          break;
        }
      }
    }
    return out;
  }

 private:
  std::size_t n() const { return s_.nodes.size(); }
  const std::string& name(std::size_t i) const { return s_.nodes[i].name; }
  json at(TimeUs t) const { return format_duration(t); }

  Span draw_span(Kind k) {
    const DurationUs window = w_.window_end - w_.window_start;
    const DurationUs d = draw_time(rng_, w_.lasts[k].min, std::min(w_.lasts[k].max, window));
    const TimeUs a = draw_time(rng_, w_.window_start, w_.window_end - d);
    return {a, a + d};
  }

  // k random distinct nodes, as a membership mask.
  std::vector<bool> draw_set(std::size_t k) {
    std::vector<std::size_t> order(n());
    for (std::size_t i = 0; i < n(); ++i) order[i] = i;
    std::vector<bool> chosen(n(), false);
    for (std::size_t i = 0; i < k; ++i) {
      std::swap(order[i], order[i + rng_.below(n() - i)]);
      chosen[order[i]] = true;
    }
    return chosen;
  }

  bool within_max_down(Span s) const { return pic_.occupancy.max_down(s) <= w_.max_down; }

  bool place(Kind k, json& events) {
    const Span s = draw_span(k);
    switch (k) {
      case Kind::crash:
      case Kind::pause: {
        const std::size_t node = rng_.below(n());
        if (!pic_.occupancy.free(node, s)) return false;
        if (k == Kind::crash && overlaps(pic_.disk_busy[node], {s.b, s.b + 1})) return false;  // its restart would fail
        pic_.occupancy.add_off(node, s);
        if (!within_max_down(s)) {
          pic_.occupancy.pop_off(node);
          return false;
        }
        if (k == Kind::crash) {
          events.push_back({{"at", at(s.a)}, {"do", "crash"}, {"node", name(node)}});
          events.push_back({{"at", at(s.b)}, {"do", "restart"}, {"node", name(node)}});
        } else {
          events.push_back({{"at", at(s.a)}, {"do", "pause"}, {"node", name(node)}, {"for", format_duration(s.b - s.a)}});
        }
        return true;
      }
      case Kind::partition:
      case Kind::partition_oneway: return place_cut(k, s, events);
      case Kind::link: return place_link(s, events);
      case Kind::clock_skew: {
        const std::size_t node = rng_.below(n());
        for (TimeUs t : pic_.clock_events[node])
          if (t >= s.a && t <= s.b) return false;
        if (overlaps(pic_.clock_busy[node], s)) return false;
        pic_.clock_busy[node].push_back({s.a, s.b + 1});
        const auto offset_ms = static_cast<std::int64_t>(w_.clock_offset_max / 1000);
        const DurationUs offset = 1000 * rng_.between(-offset_ms, offset_ms);
        const auto drift_ppm = static_cast<std::int64_t>(w_.clock_drift_max * 1e6);
        const double drift = static_cast<double>(rng_.between(-drift_ppm, drift_ppm)) / 1e6;
        double restored = 0.0;  // the drift the scenario as written has on this node then
        for (const auto& e : s_.events)
          if (e.verb == Verb::clock_skew && e.selector.empty() && e.node == name(node) && e.at < s.b) restored = e.drift;
        json begin = {{"at", at(s.a)}, {"do", "clock_skew"}, {"node", name(node)}, {"drift", drift}};
        json end = {{"at", at(s.b)}, {"do", "clock_skew"}, {"node", name(node)}, {"drift", restored}};
        if (offset != 0) {
          begin["offset"] = signed_duration(offset);
          end["offset"] = signed_duration(-offset);
        }
        events.push_back(begin);
        events.push_back(end);
        return true;
      }
      case Kind::disk_fault: {
        const std::size_t node = rng_.below(n());
        if (overlaps(pic_.disk_busy[node], s) || pic_.occupancy.starts_within(node, s)) return false;
        pic_.disk_busy[node].push_back({s.a, s.b + 1});
        events.push_back({{"at", at(s.a)}, {"do", "disk_fault"}, {"node", name(node)}, {"for", format_duration(s.b - s.a)}});
        return true;
      }
      case Kind::kinds: break;
    }
    return false;
  }

  bool place_cut(Kind k, Span s, json& events) {
    const std::uint32_t before = pic_.occupancy.max_down(s);
    if (before >= w_.max_down) return false;
    const std::size_t most = std::min<std::size_t>(w_.max_down - before, (n() - 1) / 2);
    if (most == 0) return false;
    const std::size_t size = static_cast<std::size_t>(rng_.between(1, static_cast<std::int64_t>(most)));
    const std::vector<bool> minority = draw_set(size);
    const std::string layer = "swarm" + std::to_string(++layers_);
    Occupancy::Cut cut{s, {}, {}};
    json start;
    if (k == Kind::partition) {
      // A random shape: the minority split into 1..size groups against the rest.
      const std::size_t groups = static_cast<std::size_t>(rng_.between(1, static_cast<std::int64_t>(size)));
      std::vector<json> members(groups, json::array());
      cut.group_of.assign(n(), static_cast<int>(groups));
      for (std::size_t i = 0; i < n(); ++i) {
        if (!minority[i]) continue;
        const std::size_t g = rng_.below(groups);
        cut.group_of[i] = static_cast<int>(g);
        members[g].push_back(name(i));
      }
      json list = json::array();
      for (auto& m : members)
        if (!m.empty()) list.push_back(std::move(m));
      start = {{"at", at(s.a)}, {"do", "partition"}, {"groups", list}, {"layer", layer}};
    } else {
      cut.side = minority;
      json small = json::array(), rest = json::array();
      for (std::size_t i = 0; i < n(); ++i) (minority[i] ? small : rest).push_back(name(i));
      const bool outward = rng_.chance(0.5);  // the minority cannot send, or cannot hear
      start = {{"at", at(s.a)}, {"do", "partition_oneway"}, {"from", outward ? small : rest},
               {"to", outward ? rest : small}, {"layer", layer}};
    }
    pic_.occupancy.add_cut(cut);
    if (!within_max_down(s)) {
      pic_.occupancy.pop_cut();
      return false;
    }
    events.push_back(start);
    events.push_back({{"at", at(s.b)}, {"do", "heal"}, {"layer", layer}});
    return true;
  }

  bool place_link(Span s, json& events) {
    const std::size_t from = rng_.below(n());
    const std::size_t to = (from + 1 + rng_.below(n() - 1)) % n();
    const bool both = rng_.chance(0.5);
    std::vector<std::pair<std::size_t, std::size_t>> directions{{from, to}};
    if (both) directions.emplace_back(to, from);
    for (const auto& d : directions)
      if (overlaps(pic_.link_busy[d], s)) return false;
    for (const auto& d : directions) pic_.link_busy[d].push_back({s.a, s.b + 1});
    const std::uint64_t mode = rng_.below(3);  // loss, latency, or both
    json begin = {{"at", at(s.a)}, {"do", "link"}, {"from", name(from)}, {"to", name(to)}};
    if (both) begin["both"] = true;
    if (mode != 1) {
      const auto lo = static_cast<std::int64_t>(w_.link_loss_min * 1000 + 0.999999);
      const auto hi = static_cast<std::int64_t>(w_.link_loss_max * 1000);
      begin["loss"] = lo <= hi ? static_cast<double>(rng_.between(lo, hi)) / 1000.0 : w_.link_loss_min;
    }
    if (mode != 0) {
      const DurationUs l = draw_time(rng_, w_.link_latency.min, w_.link_latency.max);
      begin["latency"] = {{"dist", "uniform"}, {"min", format_duration(l / 2)}, {"max", format_duration(l)}};
    }
    events.push_back(begin);
    for (const auto& [f, t] : directions) {  // undo: what the scenario as written has on the link then
      const LinkParams p = link_at(s_, name(f), name(t), s.b);
      json end = {{"at", at(s.b)}, {"do", "link"}, {"from", name(f)}, {"to", name(t)}};
      if (mode != 1) end["loss"] = p.loss;
      if (mode != 0) end["latency"] = latency_json(p.latency);
      events.push_back(end);
    }
    return true;
  }

  const Scenario& s_;
  const SwarmSpec& w_;
  Rng rng_;
  Picture pic_;
  int layers_ = 0;
};

}  // namespace

std::string SwarmDraw::summary() const {
  std::string placed_text, dropped_text;
  for (int k = 0; k < SwarmSpec::kinds; ++k) {
    const auto kind = static_cast<SwarmSpec::Kind>(k);
    if (placed[k]) placed_text += (placed_text.empty() ? "" : ", ") + std::to_string(placed[k]) + " " + to_string(kind);
    if (wanted[k] > placed[k])
      dropped_text += (dropped_text.empty() ? "" : ", ") + std::to_string(wanted[k] - placed[k]) + " " + to_string(kind);
  }
  std::string out = placed_text.empty() ? "no faults" : placed_text;
  if (!dropped_text.empty()) out += " (" + dropped_text + " found no room within max_down)";
  return out;
}

SwarmDraw draw_swarm(const Scenario& s, std::uint64_t seed) { return Drawer(s, seed).draw(); }

json swarm_document(json doc, const SwarmDraw& draw, std::uint64_t seed) {
  doc.erase("swarm");
  doc["seed"] = seed;
  if (!doc.contains("events")) doc["events"] = json::array();
  for (const auto& e : draw.events) doc["events"].push_back(e);
  const std::string note = "[swarm seed " + std::to_string(seed) + ": " + draw.summary() + "]";
  doc["description"] = doc.contains("description") && doc["description"].is_string()
                           ? doc["description"].get<std::string>() + " " + note
                           : note;
  return doc;
}

std::uint32_t nodes_down_at(const Scenario& s, TimeUs t) { return picture_of(s).occupancy.down_at(t); }

}  // namespace mabeam::sim
