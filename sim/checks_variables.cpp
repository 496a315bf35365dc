// The variables and partition-guard checks (see checks_variables.h). Each rebuilds what it
// needs from the trace alone:
// - applied writes per node: var_apply (var, origin, seq), and var_state (a node took in
//   whole states at once: per variable the version vector `vv` of the writes it now holds
//   and the `value`), forgotten at a (re)start;
// - client outcomes: var_write / var_read with ok, session, for writes the dot (node, seq),
//   timestamp (hlc), deps, resolution strategy and consistency, for reads the vv and value
//   they returned (session_guarantees judges a read by these alone); the value acknowledged
//   writes imply comes from checks_values.h;
// - modes: the guard's mode events; partitions: the world's partition/heal events.
#include "sim/checks_variables.h"

#include <algorithm>
#include <set>

#include "engine/duration.h"
#include "sim/checks_values.h"

namespace mabeam::sim {

namespace {

using nlohmann::json;
using PerOrigin = std::map<std::string, std::uint64_t>;  // origin -> highest seq applied
using Applied = std::map<std::string, PerOrigin>;        // var -> per origin

std::string str(const TraceRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it != r.fields.end() && it->is_string() ? it->get<std::string>() : "";
}
std::uint64_t num(const TraceRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it != r.fields.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}
bool flag(const TraceRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it != r.fields.end() && it->is_boolean() && it->get<bool>();
}
bool is_restart(const TraceRecord& r) {
  return r.ev == "node_start" || r.ev == "node_restart" || r.ev == "node_crash" || r.ev == "node_leave";
}
std::uint64_t at(const PerOrigin& p, const std::string& o) {
  auto it = p.find(o);
  return it == p.end() ? 0 : it->second;
}
// The per-variable version vectors and values of a var_state event.
struct StateVar {
  std::string var;
  PerOrigin vv;
  json value;
};
std::vector<StateVar> state_vars(const TraceRecord& r) {
  std::vector<StateVar> out;
  auto vars = r.fields.find("vars");
  if (vars == r.fields.end() || !vars->is_object()) return out;
  for (auto it = vars->begin(); it != vars->end(); ++it) {
    StateVar s{it.key(), {}, it->value("value", json())};
    const json vv = it->value("vv", json::object());
    for (auto v = vv.begin(); v != vv.end(); ++v)
      if (v->is_number_unsigned()) s.vv[v.key()] = v->get<std::uint64_t>();
    out.push_back(std::move(s));
  }
  return out;
}
std::string dot(const std::string& var, const std::string& origin, std::uint64_t seq) {
  return var + " " + origin + "#" + std::to_string(seq);
}
}  // namespace

CheckResult check_readonly_minority(const Check& c, const Trace& trace, const History& h) {
  CheckResult r{check_label(c), false, ""};
  // Each node's mode events, a (re)start clearing its mode.
  std::map<std::string, std::vector<const TraceRecord*>> own;
  for (const auto& rec : trace.records)
    if (rec.ev == "mode" || is_restart(rec) || rec.ev == "var_write") own[rec.node].push_back(&rec);
  auto mode_at = [&](const std::string& node, TimeUs t) {
    std::string mode;
    for (const auto* rec : own[node]) {
      if (rec->t > t) break;
      if (is_restart(*rec)) mode.clear();
      else if (rec->ev == "mode") mode = str(*rec, "mode");
    }
    return mode;
  };
  // What each node should be, from the two-way reachability it had (history.h): normal in a
  // group holding a majority of the cluster, readonly in a smaller one, nothing asked while
  // down or paused. A run of one expectation is judged from `within` after it began.
  struct Run {
    TimeUs begin, end;
    bool majority;
    std::size_t group, cluster;
  };
  std::map<std::string, std::vector<Run>> runs;
  for (const auto& seg : h.reach_segments())
    for (const auto& g : seg.groups)
      for (const auto& n : g) {
        const bool majority = g.size() * 2 > seg.cluster;
        auto& rs = runs[n];
        if (!rs.empty() && rs.back().end == seg.begin && rs.back().majority == majority) {
          rs.back().end = seg.end;
          rs.back().group = std::min(rs.back().group, g.size());
        } else {
          rs.push_back(Run{seg.begin, seg.end, majority, g.size(), seg.cluster});
        }
      }
  int judged_minority = 0, refused = 0, judged = 0;
  for (const auto& [n, rs] : runs) {
    for (const auto& run : rs) {
      const TimeUs from = run.begin + c.within;
      if (from >= run.end) continue;  // too short to judge
      ++judged;
      if (!run.majority) ++judged_minority;
      const std::string want = run.majority ? "normal" : "readonly";
      const std::string where = "(in a group of " + std::to_string(run.group) + " of " + std::to_string(run.cluster) +
                                " nodes that reach each other both ways, " + format_time(run.begin) + ".." +
                                format_time(run.end) + ")";
      const std::string mode = mode_at(n, from);
      if (mode != want) {
        r.detail = n + " was " + (mode.empty() ? "without a mode" : mode) + " at " + format_time(from) + ", " +
                   format_duration(c.within) + " into its time " + where + "; expected " + want;
        return r;
      }
      for (const auto* rec : own[n]) {
        if (rec->t <= from || rec->t >= run.end) continue;
        if (rec->ev == "mode" && str(*rec, "mode") != want) {
          r.detail = n + " turned " + str(*rec, "mode") + " at " + format_time(rec->t) + " " + where + "; expected " + want;
          return r;
        }
        if (!run.majority && rec->ev == "var_write" && str(*rec, "policy") == "readonly") {
          if (!flag(*rec, "ok")) {
            ++refused;
          } else {
            r.detail = n + " accepted a write to readonly variable " + str(*rec, "var") + " at " + format_time(rec->t) +
                       " " + where;
            return r;
          }
        }
      }
    }
  }
  if (judged_minority == 0) {
    r.detail = "no node was in a minority for longer than " + format_duration(c.within) + ": nothing to judge";
    return r;
  }
  r.ok = true;
  r.detail = std::to_string(judged) + " stretches judged (" + std::to_string(judged_minority) +
             " in a minority): read-only in a minority and normal in a majority within " + format_duration(c.within) +
             "; " + std::to_string(refused) + " minority writes refused";
  return r;
}

CheckResult check_variables_converged(const Check& c, const Trace& trace, const History& h) {
  CheckResult r{check_label(c), false, ""};
  if (c.by > h.end()) {
    r.detail = "the run ended at " + format_time(h.end()) + ", before " + format_time(c.by);
    return r;
  }
  // Values each node held over time, and the acknowledged writes.
  std::map<std::string, std::map<std::string, json>> value_by;  // node -> var -> value, as of `by`
  std::map<std::string, std::map<std::string, json>> latest;    // as of the end
  std::map<std::string, TimeUs> last_start;
  struct Acked {
    std::vector<const TraceRecord*> writes;
    std::string resolve;
  };
  std::map<std::string, Acked> acked;
  for (const auto& rec : trace.records) {
    if (is_restart(rec)) {
      latest[rec.node].clear();
      if (rec.t <= c.by) value_by[rec.node].clear();
      if (rec.ev == "node_start" || rec.ev == "node_restart") last_start[rec.node] = rec.t;
    } else if (rec.ev == "var_apply") {
      const std::string var = str(rec, "var");
      const json v = canonical_value(rec.fields.value("value", json()));
      if (rec.t > c.by && latest[rec.node].count(var) && latest[rec.node][var] != v && last_start[rec.node] <= c.by) {
        r.detail = rec.node + " changed " + var + " from " + latest[rec.node][var].dump() + " to " + v.dump() + " at " +
                   format_time(rec.t) + ", after " + format_time(c.by) + " (" + str(rec, "origin") + "#" +
                   std::to_string(num(rec, "seq")) + " arrived late)";
        return r;
      }
      latest[rec.node][var] = v;
      if (rec.t <= c.by) value_by[rec.node][var] = v;
    } else if (rec.ev == "var_state") {
      for (const auto& s : state_vars(rec)) {
        const json v = canonical_value(s.value);
        if (rec.t > c.by && latest[rec.node].count(s.var) && latest[rec.node][s.var] != v && last_start[rec.node] <= c.by) {
          r.detail = rec.node + " changed " + s.var + " from " + latest[rec.node][s.var].dump() + " to " + v.dump() +
                     " at " + format_time(rec.t) + ", after " + format_time(c.by) + " (a state from " +
                     (str(rec, "from").empty() ? "its log" : str(rec, "from")) + " arrived late)";
          return r;
        }
        latest[rec.node][s.var] = v;
        if (rec.t <= c.by) value_by[rec.node][s.var] = v;
      }
    } else if (rec.ev == "var_write" && flag(rec, "ok")) {
      auto& a = acked[str(rec, "var")];
      a.writes.push_back(&rec);
      a.resolve = str(rec, "resolve");
    }
  }
  // Live nodes: running and unpaused from `by` to the end, started before `by`.
  std::vector<std::string> live;
  for (const auto& n : h.nodes())
    if (!h.impaired_during(n, c.by, h.end()) && last_start.count(n) && last_start[n] <= c.by) live.push_back(n);
  if (live.empty()) {
    r.detail = "no node ran from " + format_time(c.by) + " to the end";
    return r;
  }
  int vars_judged = 0;
  for (const auto& entry : acked) {
    // Named copies, not structured bindings: lambdas below capture them (clang 14 cannot
    // capture a structured binding).
    const std::string& var = entry.first;
    const auto& a = entry.second;
    ++vars_judged;
    // Agreement at `by` (and, by the no-change rule above, to the end).
    const std::string& first = live.front();
    auto value_of = [&](const std::string& n) -> json {
      auto it = value_by[n].find(var);
      return it == value_by[n].end() ? json("<nothing>") : it->second;
    };
    const json agreed = value_of(first);
    for (const auto& n : live) {
      if (value_of(n) != agreed) {
        r.detail = "at " + format_time(c.by) + " " + n + " holds " + var + " = " + value_of(n).dump() + " but " + first +
                   " holds " + agreed.dump();
        return r;
      }
    }
    // The right value, and something rather than nothing.
    if (agreed == json("<nothing>") || agreed.is_null()) {
      r.detail = "every live node holds nothing for " + var + " at " + format_time(c.by) + " (" +
                 (agreed.is_null() ? "null" : "no value") + "), but it had " + std::to_string(a.writes.size()) +
                 " acknowledged write(s)";
      return r;
    }
    const ImpliedValue want = implied_value(a.resolve, a.writes);
    if (!want.known) {
      r.detail = "cannot judge " + var + ": " + want.why;
      return r;
    }
    if (agreed != want.value) {
      r.detail = "every live node holds " + var + " = " + agreed.dump() + " at " + format_time(c.by) + ", but " +
                 want.why + " gives " + want.value.dump();
      return r;
    }
  }
  if (vars_judged == 0) {
    r.detail = "no acknowledged write to judge";
    return r;
  }
  r.ok = true;
  r.detail = std::to_string(vars_judged) + " variable(s) agree on " + std::to_string(live.size()) +
             " live nodes from " + format_time(c.by) + ", with the value their acknowledged writes imply";
  return r;
}

CheckResult check_causal_order(const Check& c, const Trace& trace, const History&) {
  CheckResult r{check_label(c), false, ""};
  std::map<std::string, Applied> applied;  // node -> what it has applied
  std::map<std::string, std::string> consistency;  // var -> level
  // The writes each write depends on: what its writer had applied when it wrote (of the
  // variable itself, and of every causal variable when it is causal).
  std::map<std::tuple<std::string, std::string, std::uint64_t>, Applied> deps;
  std::uint64_t checked = 0, causal_writes = 0;
  for (const auto& rec : trace.records) {
    if (is_restart(rec)) {
      applied[rec.node].clear();
    } else if (rec.ev == "var_write" && flag(rec, "ok")) {
      const std::string var = str(rec, "var");
      consistency[var] = str(rec, "consistency");
      if (consistency[var] == "causal") ++causal_writes;
      Applied d;
      const Applied& mine = applied[rec.node];
      for (const auto& [v, per] : mine)
        if (v == var || (consistency[var] == "causal" && consistency[v] == "causal")) d[v] = per;
      deps[{var, rec.node, num(rec, "seq")}] = std::move(d);
    } else if (rec.ev == "var_apply") {
      const std::string var = str(rec, "var"), origin = str(rec, "origin");
      const std::uint64_t seq = num(rec, "seq");
      Applied& mine = applied[rec.node];
      auto it = deps.find({var, origin, seq});
      if (origin != rec.node && it != deps.end()) {
        ++checked;
        if (at(mine[var], origin) + 1 != seq) {
          r.detail = rec.node + " applied " + dot(var, origin, seq) + " at " + format_time(rec.t) + " after " +
                     dot(var, origin, at(mine[var], origin)) + ": it skipped or repeated writes of " + origin;
          return r;
        }
        for (const auto& [v, per] : it->second)
          for (const auto& [o, n] : per)
            if (at(mine[v], o) < n) {
              r.detail = rec.node + " exposed " + dot(var, origin, seq) + " at " + format_time(rec.t) + " before " +
                         dot(v, o, n) + ", which " + origin + " had applied before writing it (" + rec.node +
                         " had " + v + " from " + o + " up to #" + std::to_string(at(mine[v], o)) + ")";
              return r;
            }
      }
      mine[var][origin] = std::max(at(mine[var], origin), seq);
    } else if (rec.ev == "var_state") {
      // Whole states taken in at once: every write they add must come with what it depends
      // on, in this state or before.
      Applied& mine = applied[rec.node];
      const Applied before = mine;
      const auto states = state_vars(rec);
      for (const auto& s : states)
        for (const auto& [o, n] : s.vv) mine[s.var][o] = std::max(at(mine[s.var], o), n);
      for (const auto& s : states)
        for (const auto& [o, n] : s.vv)
          for (std::uint64_t seq = (before.count(s.var) ? at(before.at(s.var), o) : 0) + 1; seq <= n; ++seq) {
            auto it = deps.find({s.var, o, seq});
            if (o == rec.node || it == deps.end()) continue;
            ++checked;
            for (const auto& [v, per] : it->second)
              for (const auto& [o2, n2] : per)
                if (at(mine[v], o2) < n2) {
                  r.detail = rec.node + " exposed " + dot(s.var, o, seq) + " at " + format_time(rec.t) +
                             " in a state from " + (str(rec, "from").empty() ? "its log" : str(rec, "from")) +
                             " without " + dot(v, o2, n2) + ", which " + o + " had applied before writing it";
                  return r;
                }
          }
    }
  }
  if (causal_writes == 0) {
    r.detail = "no acknowledged write to a causal variable: nothing to judge";
    return r;
  }
  r.ok = true;
  r.detail = std::to_string(checked) + " remote applies, each after the writes it depends on (" +
             std::to_string(causal_writes) + " causal writes)";
  return r;
}

// Judged from what each read returned, as its var_read record says: `vv` (the writes the
// returned value reflects) and `value`. Read-your-writes: the vv covers the session's
// acknowledged writes; monotonic reads: it covers what the session's earlier reads of the
// variable covered; and the value is the one the acknowledged writes it covers imply
// (checks_values.h), so a read that claims writes its value lacks fails too.
CheckResult check_session_guarantees(const Check& c, const Trace& trace, const History&) {
  CheckResult r{check_label(c), false, ""};
  std::map<std::string, Applied> wrote, read_hw;  // session -> var -> per origin
  struct VarWrites {
    std::string resolve;
    std::map<std::pair<std::string, std::uint64_t>, const TraceRecord*> by_dot;
  };
  std::map<std::string, VarWrites> acked;  // var -> its acknowledged writes
  std::uint64_t reads = 0;
  for (const auto& rec : trace.records) {
    if (rec.ev == "var_write" && flag(rec, "ok")) {
      auto& a = acked[str(rec, "var")];
      a.resolve = str(rec, "resolve");
      a.by_dot[{rec.node, num(rec, "seq")}] = &rec;
      if (!str(rec, "session").empty()) {
        auto& p = wrote[str(rec, "session")][str(rec, "var")][rec.node];
        p = std::max(p, num(rec, "seq"));
      }
    } else if (rec.ev == "var_read" && flag(rec, "ok") && !str(rec, "session").empty()) {
      ++reads;
      const std::string s = str(rec, "session"), var = str(rec, "var");
      const std::string where = "session " + s + " read " + var + " at " + rec.node + " at " + format_time(rec.t);
      auto vv_it = rec.fields.find("vv");
      if (vv_it == rec.fields.end() || !vv_it->is_object()) {
        r.detail = where + ", but the read carries no version vector `vv`: what it returned cannot be judged";
        return r;
      }
      PerOrigin seen;
      for (auto v = vv_it->begin(); v != vv_it->end(); ++v)
        if (v->is_number_unsigned()) seen[v.key()] = v->get<std::uint64_t>();
      for (const auto& [o, n] : wrote[s][var])
        if (at(seen, o) < n) {
          r.detail = where + " without its own write " + o + "#" + std::to_string(n) + " (the read reflects " + o +
                     "'s writes up to #" + std::to_string(at(seen, o)) + ")";
          return r;
        }
      for (const auto& [o, n] : read_hw[s][var])
        if (at(seen, o) < n) {
          r.detail = where + " and went back in time: an earlier read had seen " + o + "#" + std::to_string(n) +
                     ", this one only up to #" + std::to_string(at(seen, o));
          return r;
        }
      // The value: what the acknowledged writes the read covers imply.
      const auto& a = acked[var];
      std::vector<const TraceRecord*> covered;
      for (const auto& [o, n] : seen)
        for (std::uint64_t q = 1; q <= n; ++q) {
          auto w = a.by_dot.find({o, q});
          if (w == a.by_dot.end()) {
            r.detail = where + ": its vv covers " + o + "#" + std::to_string(q) +
                       ", but the trace has no acknowledged write " + o + "#" + std::to_string(q) + " to " + var +
                       " before it";
            return r;
          }
          covered.push_back(w->second);
        }
      const json got = canonical_value(rec.fields.value("value", json()));
      // Nothing covered and no write yet that says how the variable resolves: any empty
      // value (null, 0, []) is what a replica holding no write returns.
      if (covered.empty() && a.resolve.empty() && (got.is_null() || got == json(0) || got == json::array())) {
        for (const auto& [o, n] : seen) read_hw[s][var][o] = std::max(read_hw[s][var][o], n);
        continue;
      }
      const ImpliedValue want = implied_value(a.resolve, covered);
      if (!want.known) {
        r.detail = where + ": cannot judge its value: " + want.why;
        return r;
      }
      if (got != want.value) {
        r.detail = where + " = " + got.dump() + ", but the writes its vv " + vv_it->dump() + " covers give " +
                   want.value.dump() + " (" + want.why + ")";
        return r;
      }
      for (const auto& [o, n] : seen) read_hw[s][var][o] = std::max(read_hw[s][var][o], n);
    }
  }
  if (reads == 0) {
    r.detail = "no successful session read: nothing to judge";
    return r;
  }
  r.ok = true;
  r.detail = std::to_string(reads) + " session reads, each with the session's own writes, nothing older than before, and " +
             "the value the writes it reflects imply";
  return r;
}

}  // namespace mabeam::sim
