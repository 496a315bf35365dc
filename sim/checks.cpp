// The membership checks: detected_down, no_false_down, members_converged (see checks.h).
#include "sim/checks.h"

#include <algorithm>

#include "engine/duration.h"
#include "sim/checks_agents.h"
#include "sim/checks_consensus.h"
#include "sim/checks_variables.h"
#include "sim/history.h"
#include "sim/lincheck/check_linearizable.h"

namespace mabeam::sim {

std::string check_label(const Check& c) {
  if (c.check == "detected_down") return "detected_down " + c.node + " within " + format_duration(c.within);
  if (c.check == "members_converged") return "members_converged by " + format_duration(c.by);
  if (c.check == "no_false_down") return "no_false_down (grace " + format_duration(c.grace) + ")";
  if (c.check == "variables_converged") return "variables_converged by " + format_duration(c.by);
  if (c.check == "linearizable") return "linearizable " + c.var;
  if (c.check == "readonly_minority") return "readonly_minority within " + format_duration(c.within);
  if (c.check == "agent_reachable") return "agent_reachable within " + format_duration(c.within);
  if (c.check == "agent_state") return "agent_state " + c.agent;
  return c.check;
}

namespace {

CheckResult detected_down(const Check& c, const History& h) {
  CheckResult r{check_label(c), false, ""};
  int evaluated = 0;
  std::vector<TimeUs> latencies;
  for (TimeUs crash : h.crashes(c.node)) {
    const TimeUs deadline = crash + c.within;
    const TimeUs back = h.next_start(c.node, crash);
    if (back >= 0 && back <= deadline) continue;  // restarted before the deadline: not judged
    if (deadline > h.end()) {
      r.detail = c.node + " crashed at " + format_time(crash) + " but the run ended at " + format_time(h.end()) +
                 ", before the deadline " + format_time(deadline);
      return r;
    }
    ++evaluated;
    int observers = 0;
    for (const auto& obs : h.nodes()) {
      if (obs == c.node || h.impaired_during(obs, crash, deadline)) continue;
      ++observers;
      // When did this observer (last) mark the node down, as seen at the deadline?
      const auto view = h.view_at(obs, deadline);
      auto it = view.find(c.node);
      const std::string state = it == view.end() ? "unknown" : it->second;
      if (state != "down") {
        r.detail = obs + " did not mark " + c.node + " down within " + format_duration(c.within) + " of its crash at " +
                   format_time(crash) + " (its view at " + format_time(deadline) + ": " + state + ")";
        return r;
      }
      TimeUs marked = -1;
      for (const auto& ch : h.view_changes(obs))
        if (ch.subject == c.node && ch.t <= deadline && ch.state == "down") marked = ch.t;
      if (marked >= crash) latencies.push_back(marked - crash);
    }
    if (observers == 0) {
      r.detail = "no other node ran unpaused from " + c.node + "'s crash at " + format_time(crash) + " to " +
                 format_time(deadline) + ": nothing to judge";
      return r;
    }
  }
  if (evaluated == 0) {
    r.detail = c.node + " never crashed long enough to be judged (no crash without a restart within " +
               format_duration(c.within) + ")";
    return r;
  }
  r.ok = true;
  if (latencies.empty()) {
    r.detail = "every observer already had " + c.node + " down";
  } else {
    std::sort(latencies.begin(), latencies.end());
    r.detail = std::to_string(latencies.size()) + " detections of " + c.node + " after its crash: median " +
               format_time(latencies[latencies.size() / 2]) + ", max " + format_time(latencies.back());
  }
  return r;
}

// DESIGN.md's rule: a down mark is a false one unless, at some instant within `grace`
// before it, the subject was not running or paused, or the two were not reachable: a cut
// (partition, one-way cut or a link losing everything) either way between them, or a link
// between them either way losing at least half its messages or slower on average than the
// probe timeout. Nothing else excuses it: not the observer's own pause or crash, not a
// lossy or slow link elsewhere, not a link degraded below those bounds.
CheckResult no_false_down(const Check& c, const History& h) {
  CheckResult r{check_label(c), false, ""};
  int marks = 0;
  for (const auto& obs : h.nodes()) {
    for (const auto& ch : h.view_changes(obs)) {
      if (ch.state != "down" || ch.subject == obs) continue;
      ++marks;
      const TimeUs a = std::max<TimeUs>(0, ch.t - c.grace);
      const std::string& s = ch.subject;
      const bool explained = h.impaired_during(s, a, ch.t) || h.cut_during(s, obs, a, ch.t) ||
                             h.cut_during(obs, s, a, ch.t) || h.degraded_during(s, obs, a, ch.t, c.probe_timeout) ||
                             h.degraded_during(obs, s, a, ch.t, c.probe_timeout);
      if (!explained) {
        r.detail = obs + " marked " + s + " down at " + format_time(ch.t) + ", but " + s +
                   " was running, unpaused and reachable from " + obs + " throughout [" + format_time(a) + ", " +
                   format_time(ch.t) + "] (no cut between them, their links losing less than half and faster on " +
                   "average than the probe timeout " + format_duration(c.probe_timeout) + ")";
        return r;
      }
    }
  }
  r.ok = true;
  r.detail = std::to_string(marks) + " down marks, each explained by a crash, pause, cut or degraded link";
  return r;
}

// What an observer should believe about `subject` at t: "active", "gone" (down or left),
// or "" when either is acceptable (the subject is paused: it may not have been noticed yet).
std::string expected_state(const History& h, const std::string& subject, TimeUs t) {
  if (h.paused_at(subject, t)) return "";
  return h.running_at(subject, t) ? "active" : "gone";
}

CheckResult members_converged(const Check& c, const History& h) {
  CheckResult r{check_label(c), false, ""};
  if (c.by > h.end()) {
    r.detail = "the run ended at " + format_time(h.end()) + ", before " + format_time(c.by);
    return r;
  }
  std::vector<TimeUs> instants{c.by};
  for (TimeUs t : h.change_times())
    if (t > c.by) instants.push_back(t);
  for (TimeUs t : instants) {
    for (const auto& obs : h.nodes()) {
      if (!h.running_at(obs, t) || h.paused_at(obs, t)) continue;
      const auto view = h.view_at(obs, t);
      for (const auto& subject : h.nodes()) {
        if (subject == obs) continue;
        const std::string want = expected_state(h, subject, t);
        if (want.empty()) continue;
        auto it = view.find(subject);
        const std::string have = it == view.end() ? "" : it->second;
        // Gone: held down or left, or not listed at all (never known, or forgotten after
        // reap_after). Running: active, or suspect (a suspect is still a member; SWIM
        // suspects live members now and then and they refute).
        const bool gone = have == "down" || have == "left" || have.empty();
        const bool member = have == "active" || have == "suspect";
        if (want == "gone" && !gone) {
          r.detail = "at " + format_time(t) + " " + obs + " sees " + subject + " as " + (have.empty() ? "absent" : have) +
                     ", but " + subject + " is not running";
          return r;
        }
        if (want == "active" && !member) {
          r.detail = "at " + format_time(t) + " " + obs + " sees " + subject + " as " +
                     (have.empty() ? "absent" : have) + ", but " + subject + " is running";
          return r;
        }
      }
    }
  }
  r.ok = true;
  r.detail = "every running node agreed on the membership from " + format_time(c.by) + " to " + format_time(h.end());
  return r;
}

}  // namespace

std::vector<CheckResult> evaluate_checks(const std::vector<Check>& checks, const Trace& trace, TimeUs end_time) {
  const History h(trace, end_time);
  std::vector<CheckResult> out;
  for (const auto& c : checks) {
    if (c.check == "detected_down") out.push_back(detected_down(c, h));
    else if (c.check == "no_false_down") out.push_back(no_false_down(c, h));
    else if (c.check == "members_converged") out.push_back(members_converged(c, h));
    else if (c.check == "readonly_minority") out.push_back(check_readonly_minority(c, trace, h));
    else if (c.check == "variables_converged") out.push_back(check_variables_converged(c, trace, h));
    else if (c.check == "causal_order") out.push_back(check_causal_order(c, trace, h));
    else if (c.check == "session_guarantees") out.push_back(check_session_guarantees(c, trace, h));
    else if (c.check == "agent_unique") out.push_back(check_agent_unique(c, trace, h));
    else if (c.check == "agent_reachable") out.push_back(check_agent_reachable(c, trace, h));
    else if (c.check == "agent_state") out.push_back(check_agent_state(c, trace, h));
    else if (c.check == "single_leader_per_term") out.push_back(check_single_leader_per_term(c, trace));
    else if (c.check == "linearizable") out.push_back(check_linearizable(trace, c.var));
    else if (c.check == "no_lost_writes") out.push_back(check_no_lost_writes(c, trace, h));
    else out.push_back({c.check, false, "this check is not implemented by this build"});
  }
  return out;
}

}  // namespace mabeam::sim
