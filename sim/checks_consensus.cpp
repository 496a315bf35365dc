// single_leader_per_term and no_lost_writes (see checks_consensus.h).
#include "sim/checks_consensus.h"

#include <map>
#include <set>

namespace mabeam::sim {

namespace {
std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::int64_t num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : -1;
}
}  // namespace

CheckResult check_single_leader_per_term(const Check& c, const Trace& trace) {
  CheckResult r{check_label(c), false, ""};
  struct First {
    std::string node;
    TimeUs t;
  };
  std::map<std::int64_t, First> leaders;
  for (const auto& rec : trace.records) {
    if (rec.ev != "leader") continue;
    const auto term = num(rec.fields, "term");
    auto [it, inserted] = leaders.emplace(term, First{rec.node, rec.t});
    if (!inserted && it->second.node != rec.node) {
      r.detail = it->second.node + " (at " + format_time(it->second.t) + ") and " + rec.node + " (at " + format_time(rec.t) +
                 ") were both leader in term " + std::to_string(term);
      return r;
    }
  }
  if (leaders.empty()) {
    r.detail = "no node ever became leader: nothing to judge";
    return r;
  }
  r.ok = true;
  r.detail = std::to_string(leaders.size()) + " terms with a leader, one each";
  return r;
}

CheckResult check_no_lost_writes(const Check& c, const Trace& trace, const History& h) {
  CheckResult r{check_label(c), false, ""};
  struct Invoked {
    std::string var, f, value;
    TimeUs t = 0;
  };
  struct Slot {
    std::string op;
    std::int64_t index = 0;
    std::string value = "null";
  };
  std::map<std::string, Invoked> invoked;                       // op id -> invocation
  std::vector<std::pair<std::string, TimeUs>> acked;            // op ids acknowledged ok (writes, cas)
  std::map<std::string, std::int64_t> applied_at;               // op id -> the index it was first applied at
  std::map<std::string, std::map<std::string, Slot>> state;     // node -> var -> last write applied
  std::vector<std::string> voters;
  for (const auto& rec : trace.records) {
    const auto& f = rec.fields;
    if (rec.ev == "node_start" || rec.ev == "node_restart") {
      state[rec.node].clear();  // the state machine starts empty, then a snapshot and the log
    } else if (rec.ev == "op_invoke") {
      invoked[str(f, "op")] = Invoked{str(f, "var"), str(f, "f"), f.contains("value") ? f["value"].dump() : "null", rec.t};
    } else if (rec.ev == "op_complete") {
      auto it = invoked.find(str(f, "op"));
      if (it != invoked.end() && str(f, "type") == "ok" && it->second.f != "read") acked.emplace_back(it->first, rec.t);
    } else if (rec.ev == "op_apply") {
      const std::string op = str(f, "op");
      const auto index = num(f, "index");
      applied_at.emplace(op, index);
      state[rec.node][str(f, "var")] = Slot{op, index, f.contains("value") ? f["value"].dump() : "null"};
    } else if (rec.ev == "strong_state") {
      auto& s = state[rec.node];
      s.clear();
      if (f.contains("vars") && f["vars"].is_object())
        for (auto it = f["vars"].begin(); it != f["vars"].end(); ++it)
          s[it.key()] = Slot{str(*it, "op"), num(*it, "index"), it->contains("value") ? (*it)["value"].dump() : "null"};
    } else if (rec.ev == "raft_config" && f.contains("voters") && f["voters"].is_array()) {
      voters.clear();
      for (const auto& v : f["voters"])
        if (v.is_string()) voters.push_back(v.get<std::string>());
    }
  }
  if (voters.empty()) {
    r.detail = "no leader ever announced a configuration: nothing to judge";
    return r;
  }
  if (acked.empty()) {
    r.detail = "no write or cas was acknowledged: nothing to judge";
    return r;
  }
  std::vector<std::string> alive;
  for (const auto& v : voters)
    if (h.running_at(v, h.end())) alive.push_back(v);
  if (alive.empty()) {
    r.detail = "no voter is running at the end: nothing to judge";
    return r;
  }
  for (const auto& [op, t] : acked) {
    const Invoked& w = invoked.at(op);
    auto at = applied_at.find(op);
    if (at == applied_at.end()) {
      r.detail = w.f + " " + op + " (" + w.var + ", " + w.value + ") was acknowledged at " + format_time(t) +
                 " but no replica ever applied it";
      return r;
    }
    for (const auto& v : alive) {
      Slot have;
      if (auto s = state[v].find(w.var); s != state[v].end()) have = s->second;
      if (have.op == op || have.index > at->second) continue;
      r.detail = v + " lacks " + w.f + " " + op + " (" + w.var + ", " + w.value + ", index " + std::to_string(at->second) +
                 ", acknowledged at " + format_time(t) + "): at the end it holds " + w.var + " = " + have.value +
                 (have.op.empty() ? std::string(" (never written)") : " from " + have.op + " at index " + std::to_string(have.index));
      return r;
    }
  }
  r.ok = true;
  r.detail = std::to_string(acked.size()) + " acknowledged writes held (or superseded) by all " + std::to_string(alive.size()) +
             " running voters";
  return r;
}

}  // namespace mabeam::sim
