// Shrinking a failing scenario (see shrink.h).
#include "sim/shrink.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "engine/duration.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace mabeam::sim {

namespace {

using json = nlohmann::ordered_json;

TimeUs duration_of(const json& j) {
  if (!j.is_string()) return 0;
  auto d = parse_duration(j.get<std::string>());
  return d ? *d : 0;
}

std::vector<std::string> node_names(const json& doc) {
  std::vector<std::string> out;
  const json& nodes = doc.at("nodes");
  if (nodes.is_number()) {
    for (std::uint64_t i = 1; i <= nodes.get<std::uint64_t>(); ++i) out.push_back("n" + std::to_string(i));
    return out;
  }
  for (const auto& n : nodes) out.push_back(n.is_string() ? n.get<std::string>() : n.value("name", ""));
  return out;
}

json array_of(const json& doc, const char* key) { return doc.contains(key) ? doc[key] : json::array(); }

// The way a check failed, without who and when: the words of its detail up to the first
// parenthesis, leaving out node names and numbers. "n1 did not mark n4 down within 1s of
// its crash at 14.000s (...)" gives "did not mark down within of its crash at"; a check
// that had nothing to judge ("n4 never crashed long enough ...") fails in another way.
std::string failure_kind(const std::string& detail, const std::set<std::string>& nodes) {
  std::string out, word;
  auto flush = [&] {
    if (!word.empty() && nodes.count(word) == 0 && word.find_first_of("0123456789") == std::string::npos)
      out += (out.empty() ? "" : " ") + word;
    word.clear();
  };
  for (char c : detail) {
    if (c == '(') break;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.') {
      word += c;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

struct Target {
  std::string check, node, var;
  bool matches(const json& c) const {
    return c.is_object() && c.value("check", "") == check && c.value("node", "") == node && c.value("var", "") == var;
  }
};

// Removes one node and everything that names it; nullopt when a check of the target names it.
std::optional<json> without_node(json doc, const std::string& x, const Target& target) {
  const std::vector<std::string> names = node_names(doc);
  if (names.size() <= 1) return std::nullopt;
  std::vector<std::string> rest;
  for (const auto& n : names)
    if (n != x) rest.push_back(n);
  if (doc["nodes"].is_number()) {
    if (x == names.back()) doc["nodes"] = names.size() - 1;
    else doc["nodes"] = rest;
  } else {
    json kept = json::array();
    for (const auto& n : doc["nodes"])
      if ((n.is_string() ? n.get<std::string>() : n.value("name", "")) != x) kept.push_back(n);
    doc["nodes"] = kept;
  }
  auto names_x = [&](const json& v) {
    if (v.is_string()) return v.get<std::string>() == x;
    return false;
  };
  auto strip = [&](const json& list) {  // a node name or an array of names, without x
    json out = json::array();
    if (list.is_string()) {
      if (list.get<std::string>() != x) out.push_back(list);
      return out;
    }
    for (const auto& n : list)
      if (!names_x(n)) out.push_back(n);
    return out;
  };
  json events = json::array();
  for (auto e : array_of(doc, "events")) {
    if (names_x(e.value("node", json())) || names_x(e.value("isolate", json()))) continue;
    const std::string verb = e.value("do", "");
    if (verb == "link" && (names_x(e.value("from", json())) || names_x(e.value("to", json())))) continue;
    if (verb == "partition_oneway") {
      e["from"] = strip(e["from"]);
      e["to"] = strip(e["to"]);
      if (e["from"].empty() || e["to"].empty()) continue;
    }
    if (verb == "partition" && e.contains("groups") && e["groups"].is_array()) {
      json groups = json::array();
      std::set<std::string> listed;
      for (const auto& g : e["groups"]) {
        json kept = strip(g);
        for (const auto& n : kept) listed.insert(n.get<std::string>());
        if (!kept.empty()) groups.push_back(kept);
      }
      const bool left_out = listed.size() < rest.size();
      if (groups.empty() || groups.size() + (left_out ? 1 : 0) < 2) continue;  // no split left
      e["groups"] = groups;
    }
    events.push_back(e);
  }
  if (doc.contains("events")) doc["events"] = events;
  if (doc.contains("network") && doc["network"].contains("links")) {
    json links = json::array();
    for (const auto& l : doc["network"]["links"])
      if (!names_x(l.value("from", json())) && !names_x(l.value("to", json()))) links.push_back(l);
    doc["network"]["links"] = links;
  }
  if (doc.contains("workload")) {
    json workload = json::array();
    for (auto w : doc["workload"]) {
      if (w.contains("nodes") && w["nodes"].is_array()) {
        w["nodes"] = strip(w["nodes"]);
        if (w["nodes"].empty()) continue;
      }
      workload.push_back(w);
    }
    doc["workload"] = workload;
  }
  if (doc.contains("expect")) {
    json expect = json::array();
    for (const auto& c : doc["expect"]) {
      if (names_x(c.value("node", json()))) {
        if (target.matches(c)) return std::nullopt;
        continue;
      }
      expect.push_back(c);
    }
    doc["expect"] = expect;
  }
  if (doc.contains("config") && doc["config"].is_object() && doc["config"].contains("membership") &&
      doc["config"]["membership"].contains("seeds")) {
    json& seeds = doc["config"]["membership"]["seeds"];
    seeds = strip(seeds);
    if (seeds.empty()) doc["config"]["membership"].erase("seeds");
  }
  return doc;
}

// The document without events [from, to) of its events array, and without the events whose
// target is a "$X" that a removed event binds.
json without_events(json doc, std::size_t from, std::size_t to) {
  std::set<std::string> unbound;
  json kept = json::array();
  for (std::size_t i = 0; i < doc["events"].size(); ++i) {
    const json& e = doc["events"][i];
    if (i >= from && i < to) {
      if (e.contains("as")) unbound.insert("$" + e["as"].get<std::string>());
      continue;
    }
    kept.push_back(e);
  }
  for (bool changed = true; changed;) {  // a dropped event may bind names of its own
    changed = false;
    json next = json::array();
    for (const auto& e : kept) {
      const std::string target = e.value("node", e.value("isolate", json(""))).is_string()
                                     ? e.value("node", e.value("isolate", json(""))).get<std::string>()
                                     : "";
      if (unbound.count(target)) {
        if (e.contains("as")) unbound.insert("$" + e["as"].get<std::string>());
        changed = true;
        continue;
      }
      next.push_back(e);
    }
    kept = next;
  }
  doc["events"] = kept;
  return doc;
}

// Every time at or after `from` moved `by` earlier: events, workload, checks, node starts, the duration.
json moved_earlier(json doc, TimeUs from, TimeUs by) {
  auto move = [&](json& v) {
    const TimeUs t = duration_of(v);
    if (t >= from) v = format_duration(t - by);
  };
  for (auto& e : doc["events"]) move(e["at"]);
  if (doc.contains("workload"))
    for (auto& w : doc["workload"]) {
      if (w.contains("start")) move(w["start"]);
      if (w.contains("stop")) move(w["stop"]);
    }
  if (doc.contains("expect"))
    for (auto& c : doc["expect"])
      if (c.contains("by")) move(c["by"]);
  if (doc["nodes"].is_array())
    for (auto& n : doc["nodes"])
      if (n.is_object() && n.contains("start")) move(n["start"]);
  move(doc["duration"]);
  return doc;
}

// The run cut at `end`: later events and workload dropped, workload stops clamped.
json cut_at(json doc, TimeUs end) {
  doc["duration"] = format_duration(end);
  if (doc.contains("events")) {
    json kept = json::array();
    for (const auto& e : doc["events"])
      if (duration_of(e["at"]) <= end) kept.push_back(e);
    doc["events"] = kept;
  }
  if (doc.contains("workload")) {
    json kept = json::array();
    for (auto w : doc["workload"]) {
      if (w.contains("start") && duration_of(w["start"]) >= end) continue;
      if (w.contains("stop") && duration_of(w["stop"]) > end) w["stop"] = format_duration(end);
      kept.push_back(w);
    }
    doc["workload"] = kept;
  }
  return doc;
}

class Shrinker {
 public:
  Shrinker(const json& doc, std::string source, const ShrinkOptions& options)
      : current_(doc), source_(std::move(source)), options_(options), start_(std::chrono::steady_clock::now()) {}

  Result<ShrinkResult> run() {
    ShrinkResult out;
    out.before = size_of(current_);
    auto loaded = parse_scenario(current_.dump(), source_);
    if (!loaded) return loaded.status();
    seed_ = options_.seed.value_or(loaded->seed);
    RunOptions o;
    o.seed = seed_;
    o.keep_trace = false;
    ++runs_;
    const RunResult first = run_scenario(*loaded, o);
    for (std::size_t i = 0; i < first.checks.size(); ++i) {
      if (first.checks[i].ok || (!options_.check.empty() && loaded->expect[i].check != options_.check)) continue;
      const json& c = current_["expect"][i];
      target_ = Target{c.value("check", ""), c.value("node", ""), c.value("var", "")};
      out.check = first.checks[i].check;
      detail_ = first.checks[i].detail;
      for (const auto& n : node_names(current_)) nodes_.insert(n);
      earliest_ = -1;
      for (const auto& e : array_of(current_, "events"))
        if (earliest_ < 0 || duration_of(e["at"]) < earliest_) earliest_ = duration_of(e["at"]);
      kind_ = failure_kind(detail_, nodes_);
      out.fails = true;
      break;
    }
    if (out.fails) {
      while (!spent()) {
        if (round()) continue;
        if (!nearby_round()) break;
      }
    }
    current_["seed"] = seed_;
    for (const char* key : {"variables", "workload", "events"})  // emptied lists say nothing
      if (current_.contains(key) && current_[key].empty()) current_.erase(key);
    if (current_.contains("network") && current_["network"].contains("links") && current_["network"]["links"].empty())
      current_["network"].erase("links");
    out.seed = seed_;
    out.detail = detail_;
    out.after = size_of(current_);
    out.runs = runs_;
    out.budget_spent = spent();
    out.wall_s = elapsed();
    if (out.fails) {
      const std::string note = "[shrunk by mabeam shrink from " + (source_.empty() ? std::string("a scenario") : source_) +
                               " (" + size_text(out.before) + "), failing " + out.check + "]";
      current_["description"] = current_.value("description", json("")).is_string() &&
                                        !current_.value("description", "").empty()
                                    ? current_["description"].get<std::string>() + " " + note
                                    : note;
    }
    out.smallest = current_;
    return out;
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  bool spent() const { return runs_ >= options_.max_runs || elapsed() >= options_.max_seconds; }

  // Whether the candidate loads and fails the target with `seed`.
  bool fails(const json& candidate, std::uint64_t seed, std::string* detail) {
    if (spent()) return false;
    auto sc = parse_scenario(candidate.dump(), source_);
    if (!sc) return false;
    std::size_t index = 0;
    const json expect = array_of(candidate, "expect");
    while (index < expect.size() && !target_.matches(expect[index])) ++index;
    if (index == expect.size()) return false;
    ++runs_;
    RunOptions o;
    o.seed = seed;
    o.keep_trace = false;
    const RunResult r = run_scenario(*sc, o);
    if (!r.error.empty() || r.checks[index].ok || failure_kind(r.checks[index].detail, nodes_) != kind_) return false;
    if (detail) *detail = r.checks[index].detail;
    return true;
  }

  bool accept(const json& candidate, const char* what) {
    if (candidate == current_ || !fails(candidate, seed_, &detail_)) return false;
    current_ = candidate;
    if (options_.progress) options_.progress(std::string(what) + ": " + size_text(size_of(current_)));
    return true;
  }

  bool round() {
    bool progress = false;
    progress |= drop_checks();
    if (current_.contains("swarm")) {
      json c = current_;
      c.erase("swarm");
      progress |= accept(c, "dropped the swarm block");
    }
    progress |= drop_events();
    progress |= drop_entries("workload", "dropped a workload entry");
    progress |= drop_variables();
    progress |= drop_nodes();
    progress |= shorten();
    progress |= move_earlier();
    return progress;
  }

  // With a nearby seed that also fails, another round; the seed is kept if that shrank.
  bool nearby_round() {
    const std::uint64_t home = seed_;
    for (int d = 1; d <= options_.nearby_seeds && !spent(); ++d) {
      const auto step = static_cast<std::uint64_t>(d);
      std::vector<std::uint64_t> seeds;
      if (home <= UINT64_MAX - step) seeds.push_back(home + step);
      if (home >= step) seeds.push_back(home - step);
      for (std::uint64_t s : seeds) {
        if (!fails(current_, s, nullptr)) continue;
        seed_ = s;
        if (round()) {
          if (options_.progress) options_.progress("seed " + std::to_string(s) + " shrinks further");
          return true;
        }
        seed_ = home;
      }
    }
    return false;
  }

  bool drop_checks() {
    const json expect = array_of(current_, "expect");
    if (expect.size() <= 1) return false;
    json only = current_;
    only["expect"] = json::array();
    for (const auto& c : expect)
      if (target_.matches(c)) {
        only["expect"].push_back(c);
        break;
      }
    if (accept(only, "dropped the other checks")) return true;
    bool progress = false;
    for (std::size_t i = array_of(current_, "expect").size(); i-- > 0;) {
      if (target_.matches(current_["expect"][i])) continue;
      json c = current_;
      c["expect"].erase(i);
      progress |= accept(c, "dropped a check");
    }
    return progress;
  }

  bool drop_events() {
    bool progress = false;
    std::size_t chunk = std::max<std::size_t>(1, array_of(current_, "events").size() / 2);
    for (;;) {
      for (std::size_t i = 0; i < array_of(current_, "events").size() && !spent();) {
        const std::size_t n = array_of(current_, "events").size();
        if (accept(without_events(current_, i, std::min(n, i + chunk)), "dropped events")) progress = true;
        else i += chunk;
      }
      if (chunk == 1 || spent()) break;
      chunk /= 2;
    }
    return progress;
  }

  bool drop_entries(const char* key, const char* what) {
    bool progress = false;
    for (std::size_t i = array_of(current_, key).size(); i-- > 0 && !spent();) {
      json c = current_;
      c[key].erase(i);
      progress |= accept(c, what);
    }
    return progress;
  }

  bool drop_variables() {
    bool progress = false;
    for (std::size_t i = array_of(current_, "variables").size(); i-- > 0 && !spent();) {
      const std::string name = current_["variables"][i].value("name", "");
      json c = current_;
      c["variables"].erase(i);
      for (const char* key : {"workload", "events"}) {
        if (!c.contains(key)) continue;
        json kept = json::array();
        for (const auto& e : c[key])
          if (e.value("var", "") != name) kept.push_back(e);
        c[key] = kept;
      }
      progress |= accept(c, "dropped a variable");
    }
    return progress;
  }

  bool drop_nodes() {
    bool progress = false;
    const auto names = node_names(current_);
    for (std::size_t i = names.size(); i-- > 0 && !spent();) {
      auto c = without_node(current_, names[i], target_);
      if (c) progress |= accept(*c, "dropped a node");
    }
    return progress;
  }

  // A shorter run, the shortest first: never before a check's `by`.
  bool shorten() {
    const TimeUs d = duration_of(current_["duration"]);
    TimeUs lo = 0;
    for (const auto& c : array_of(current_, "expect"))
      if (c.contains("by")) lo = std::max(lo, duration_of(c["by"]));
    for (int k = 1; k < 8 && !spent(); ++k) {
      TimeUs end = lo + (d - lo) * k / 8;
      end = std::max<TimeUs>(1000, end + (1000 - end % 1000) % 1000);  // whole milliseconds
      if (end >= d) break;
      if (accept(cut_at(current_, end), "shortened the run")) return true;
    }
    return false;
  }

  // Events earlier: the gap before each event time closed, or halved; never before the
  // input's first event (the cluster's start-up comes before it in every scenario).
  bool move_earlier() {
    std::set<TimeUs> times;
    for (const auto& e : array_of(current_, "events")) times.insert(duration_of(e["at"]));
    TimeUs previous = std::max<TimeUs>(0, earliest_);
    for (TimeUs t : times) {
      if (t <= previous) continue;
      const TimeUs gap = t - previous;
      for (TimeUs by : {gap, (gap / 2) - (gap / 2) % 1000}) {
        if (by < 1000 || spent()) continue;
        if (accept(moved_earlier(current_, t, by), "moved events earlier")) return true;
      }
      previous = t;
    }
    return false;
  }

  json current_;
  std::string source_;
  ShrinkOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::uint64_t seed_ = 1;
  Target target_;
  std::string detail_, kind_;     // the target's failure, and the way it failed
  std::set<std::string> nodes_;   // the input's node names
  TimeUs earliest_ = -1;          // the input's first event time
  std::size_t runs_ = 0;
};

}  // namespace

ScenarioSize size_of(const json& doc) {
  ScenarioSize s;
  s.events = array_of(doc, "events").size();
  s.nodes = doc.contains("nodes") ? node_names(doc).size() : 0;
  s.workload = array_of(doc, "workload").size();
  s.variables = array_of(doc, "variables").size();
  s.checks = array_of(doc, "expect").size();
  s.duration = doc.contains("duration") ? duration_of(doc["duration"]) : 0;
  return s;
}

std::string size_text(const ScenarioSize& s) {
  auto count = [](std::size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); };
  return count(s.events, "event", "events") + ", " + count(s.nodes, "node", "nodes") + ", " +
         count(s.workload, "workload entry", "workload entries") + ", " + count(s.variables, "variable", "variables") +
         ", " + format_duration(s.duration);
}

Result<ShrinkResult> shrink(const json& doc, const std::string& source, const ShrinkOptions& options) {
  return Shrinker(doc, source, options).run();
}

}  // namespace mabeam::sim
