// Rebuilding the fault timeline and membership views from a trace (see history.h).
#include "sim/history.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace mabeam::sim {

std::string format_time(TimeUs t) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%03llds", static_cast<long long>(t / 1000000),
                static_cast<long long>((t % 1000000) / 1000));
  return buf;
}

namespace {
const std::vector<Interval> kNone;
bool overlaps(const std::vector<Interval>& v, TimeUs a, TimeUs b) {
  for (const auto& i : v)
    if (i.begin <= b && a < i.end) return true;
  return false;
}
bool contains(const std::vector<Interval>& v, TimeUs t) { return overlaps(v, t, t); }
std::vector<std::string> names_of(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& x : j)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}
}  // namespace

History::History(const Trace& trace, TimeUs end_time) : end_(end_time), nodes_(trace.header.nodes) {
  std::map<std::string, TimeUs> down_since, paused_since, left_since;
  for (const auto& n : nodes_) down_since[n] = 0;  // not running until started
  cuts_.push_back(CutState{});
  for (const auto& r : trace.records) {
    const std::string& ev = r.ev;
    const std::string& n = r.node;
    bool change = true;
    auto close = [&](std::map<std::string, TimeUs>& since, std::map<std::string, std::vector<Interval>>& into) {
      auto it = since.find(n);
      if (it != since.end()) {
        into[n].push_back({it->second, r.t});
        since.erase(it);
      }
    };
    if (ev == "node_start" || ev == "node_restart") {
      close(down_since, down_);
      close(left_since, left_);
      starts_[n].push_back(r.t);
    } else if (ev == "node_crash") {
      close(paused_since, paused_);
      down_since.emplace(n, r.t);
      crashes_[n].push_back(r.t);
    } else if (ev == "node_leave") {
      close(paused_since, paused_);
      down_since.emplace(n, r.t);
      left_since.emplace(n, r.t);
    } else if (ev == "node_pause") {
      paused_since.emplace(n, r.t);
    } else if (ev == "node_resume") {
      close(paused_since, paused_);
    } else if (ev == "member" && r.fields.value("subject", "") == n && r.fields.value("state", "") == "left") {
      // The node announced its own graceful leave: from now on it is gone.
      down_since.emplace(n, r.t);
      left_since.emplace(n, r.t);
    } else if (ev == "partition" || ev == "partition_oneway" || ev == "heal" || ev == "link") {
      CutState s = cuts_.back();
      s.t = r.t;
      const std::string layer_name = r.fields.value("layer", "");
      auto layer = [&]() -> CutLayer& {
        for (auto& [name, l] : s.layers)
          if (name == layer_name) return l;
        return s.layers.emplace_back(layer_name, CutLayer{}).second;
      };
      if (ev == "heal") {
        s.layers.erase(std::remove_if(s.layers.begin(), s.layers.end(), [&](const auto& l) { return l.first == layer_name; }),
                       s.layers.end());
      } else if (ev == "partition") {
        CutLayer& l = layer();
        l.group.clear();
        int g = 0;
        for (const auto& grp : r.fields.value("groups", nlohmann::json::array())) {
          for (const auto& name : names_of(grp)) l.group[name] = g;
          ++g;
        }
        for (const auto& name : nodes_) l.group.try_emplace(name, g);  // left out: one more group
      } else if (ev == "partition_oneway") {
        layer().oneway.emplace_back(names_of(r.fields.value("from", nlohmann::json())), names_of(r.fields.value("to", nlohmann::json())));
      } else {
        const std::string from = r.fields.value("from", ""), to = r.fields.value("to", "");
        const bool cut = r.fields.contains("loss") && r.fields["loss"].is_number() && r.fields["loss"].get<double>() >= 1.0;
        const bool loss_set = r.fields.contains("loss");
        const bool both = r.fields.value("both", false);
        if (loss_set) {
          s.link_cut[{from, to}] = cut;
          if (both) s.link_cut[{to, from}] = cut;
          const double loss = r.fields["loss"].is_number() ? r.fields["loss"].get<double>() : 0.0;
          s.link_loss[{from, to}] = loss;
          if (both) s.link_loss[{to, from}] = loss;
        }
        auto mean = r.fields.find("latency_mean");
        if (mean != r.fields.end() && mean->is_number_integer()) {
          s.link_latency[{from, to}] = mean->get<TimeUs>();
          if (both) s.link_latency[{to, from}] = mean->get<TimeUs>();
        }
      }
      if (ev == "partition" || ev == "heal") {
        auto groups = refined_groups(s);
        const bool same = !splits_.empty() && splits_.back().end < 0 && splits_.back().groups == groups;
        if (!same) {
          if (!splits_.empty() && splits_.back().end < 0) splits_.back().end = r.t;
          if (groups.size() >= 2) splits_.push_back(Split{r.t, -1, std::move(groups)});
        }
      }
      cuts_.push_back(std::move(s));
    } else if (ev == "member") {
      views_[n].push_back({r.t, r.fields.value("subject", ""), r.fields.value("state", "")});
    } else {
      change = false;
    }
    if (ev == "member" && r.fields.value("subject", "") == n && r.fields.value("state", "") == "left")
      views_[n].push_back({r.t, n, "left"});
    if (change && (change_times_.empty() || change_times_.back() != r.t)) change_times_.push_back(r.t);
  }
  if (!splits_.empty() && splits_.back().end < 0) splits_.back().end = end_;
  for (auto& [n, t] : down_since) down_[n].push_back({t, end_ + 1});
  for (auto& [n, t] : paused_since) paused_[n].push_back({t, end_ + 1});
  for (auto& [n, t] : left_since) left_[n].push_back({t, end_ + 1});
}

const std::vector<Interval>& History::down(const std::string& node) const {
  auto it = down_.find(node);
  return it == down_.end() ? kNone : it->second;
}
const std::vector<Interval>& History::paused(const std::string& node) const {
  auto it = paused_.find(node);
  return it == paused_.end() ? kNone : it->second;
}
bool History::running_at(const std::string& node, TimeUs t) const { return !contains(down(node), t); }
bool History::paused_at(const std::string& node, TimeUs t) const { return contains(paused(node), t); }
bool History::left_at(const std::string& node, TimeUs t) const {
  auto it = left_.find(node);
  return it != left_.end() && contains(it->second, t);
}
bool History::impaired_during(const std::string& node, TimeUs a, TimeUs b) const {
  return overlaps(down(node), a, b) || overlaps(paused(node), a, b);
}

bool History::cut_in(const CutState& s, const std::string& from, const std::string& to) const {
  for (const auto& [name, l] : s.layers) {
    if (!l.group.empty()) {
      auto f = l.group.find(from), t = l.group.find(to);
      if (f != l.group.end() && t != l.group.end() && f->second != t->second) return true;
    }
    for (const auto& [fs, ts] : l.oneway)
      if (std::find(fs.begin(), fs.end(), from) != fs.end() && std::find(ts.begin(), ts.end(), to) != ts.end()) return true;
  }
  auto it = s.link_cut.find({from, to});
  return it != s.link_cut.end() && it->second;
}

std::vector<std::vector<std::string>> History::refined_groups(const CutState& s) const {
  // A node's key: its group in each layer with a symmetric partition. Equal keys, one group.
  std::map<std::vector<int>, std::vector<std::string>> by_key;
  for (const auto& n : nodes_) {
    std::vector<int> key;
    for (const auto& [name, l] : s.layers) {
      if (l.group.empty()) continue;
      auto it = l.group.find(n);
      key.push_back(it == l.group.end() ? -1 : it->second);
    }
    by_key[key].push_back(n);
  }
  std::vector<std::vector<std::string>> out;
  for (auto& [key, names] : by_key) out.push_back(std::move(names));
  return out;
}

bool History::cut_during(const std::string& from, const std::string& to, TimeUs a, TimeUs b) const {
  for (std::size_t i = 0; i < cuts_.size(); ++i) {
    const TimeUs begin = cuts_[i].t;
    const TimeUs end = i + 1 < cuts_.size() ? cuts_[i + 1].t : end_ + 1;
    if (begin <= b && a < end && cut_in(cuts_[i], from, to)) return true;
  }
  return false;
}

bool History::degraded_during(const std::string& from, const std::string& to, TimeUs a, TimeUs b,
                              DurationUs timeout) const {
  for (std::size_t i = 0; i < cuts_.size(); ++i) {
    const TimeUs begin = cuts_[i].t;
    const TimeUs end = i + 1 < cuts_.size() ? cuts_[i + 1].t : end_ + 1;
    if (!(begin <= b && a < end)) continue;
    const auto& s = cuts_[i];
    auto loss = s.link_loss.find({from, to});
    if (loss != s.link_loss.end() && loss->second >= kDegradedLoss) return true;
    auto lat = s.link_latency.find({from, to});
    if (lat != s.link_latency.end() && lat->second > timeout) return true;
  }
  return false;
}

std::vector<History::Reach> History::reach_segments() const {
  std::set<TimeUs> bounds{0, end_};
  for (const auto& c : cuts_) bounds.insert(c.t);
  for (const auto* m : {&down_, &paused_, &left_})
    for (const auto& [n, spans] : *m)
      for (const auto& i : spans) {
        bounds.insert(i.begin);
        bounds.insert(i.end);
      }
  std::vector<Reach> out;
  std::size_t cut = 0;  // the cut state in force at b: the last one dated at or before it
  for (auto it = bounds.begin(); it != bounds.end() && *it < end_; ++it) {
    const TimeUs b = *it, e = std::min(*std::next(it), end_);
    while (cut + 1 < cuts_.size() && cuts_[cut + 1].t <= b) ++cut;
    std::vector<std::string> up;
    std::size_t cluster = 0;
    for (const auto& n : nodes_) {
      if (!left_at(n, b)) ++cluster;
      if (running_at(n, b) && !paused_at(n, b)) up.push_back(n);
    }
    // Components by union-find over the two-way edges (nodes_ order keeps it deterministic).
    std::vector<std::size_t> parent(up.size());
    for (std::size_t i = 0; i < up.size(); ++i) parent[i] = i;
    auto find = [&](std::size_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    for (std::size_t i = 0; i < up.size(); ++i)
      for (std::size_t j = i + 1; j < up.size(); ++j)
        if (!cut_in(cuts_[cut], up[i], up[j]) && !cut_in(cuts_[cut], up[j], up[i])) parent[find(j)] = find(i);
    std::map<std::size_t, std::vector<std::string>> by_root;
    for (std::size_t i = 0; i < up.size(); ++i) by_root[find(i)].push_back(up[i]);
    Reach r{b, e, {}, cluster};
    for (auto& [root, g] : by_root) r.groups.push_back(std::move(g));
    if (!out.empty() && out.back().end == b && out.back().groups == r.groups && out.back().cluster == cluster)
      out.back().end = e;
    else
      out.push_back(std::move(r));
  }
  return out;
}

std::vector<TimeUs> History::crashes(const std::string& node) const {
  auto it = crashes_.find(node);
  return it == crashes_.end() ? std::vector<TimeUs>{} : it->second;
}

TimeUs History::next_start(const std::string& node, TimeUs t) const {
  auto it = starts_.find(node);
  if (it == starts_.end()) return -1;
  for (TimeUs s : it->second)
    if (s > t) return s;
  return -1;
}

const std::vector<History::ViewChange>& History::view_changes(const std::string& observer) const {
  static const std::vector<ViewChange> none;
  auto it = views_.find(observer);
  return it == views_.end() ? none : it->second;
}

std::map<std::string, std::string> History::view_at(const std::string& observer, TimeUs t) const {
  // A restart wipes the view: only changes since the observer's last start count.
  TimeUs since = 0;
  auto st = starts_.find(observer);
  if (st != starts_.end())
    for (TimeUs s : st->second)
      if (s <= t) since = s;
  std::map<std::string, std::string> view;
  for (const auto& c : view_changes(observer)) {
    if (c.t > t) break;
    if (c.t >= since) view[c.subject] = c.state;
  }
  return view;
}

}  // namespace mabeam::sim
