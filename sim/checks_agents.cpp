// The agent checks (see checks_agents.h). Each rebuilds from the trace the instances of
// agents (spawn to stop, or to their node's crash or departure), the messages sent, the
// deliveries and the outcomes, then asks its question.
#include "sim/checks_agents.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/duration.h"

namespace mabeam::sim {

namespace {

using nlohmann::json;

std::string str(const TraceRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it != r.fields.end() && it->is_string() ? it->get<std::string>() : "";
}

// The count in a counter's state ({"count": N}), if it is one.
bool count_of(const json& state, std::int64_t& out) {
  if (!state.is_object()) return false;
  auto c = state.find("count");
  if (c == state.end() || !c->is_number_integer()) return false;
  out = c->get<std::int64_t>();
  return true;
}

struct Instance {
  std::string id, node, name, type;
  TimeUs spawned = 0, ended = -1;  // ended -1: still running at the end
  TimeUs last_delivery = -1;
  json initial;                    // the state at spawn (agent_spawn `state`)
  json last_state;                 // after its last delivery
  std::size_t deliveries = 0;
};

struct Send {
  TimeUs t = 0;
  std::string node, from, to, msg;
  json body;
};

struct Delivery {
  TimeUs t = 0;
  std::string node, agent;
};

struct Told {
  TimeUs t = 0;
  std::string outcome, agent, error;
};

// Everything the three checks read, in one pass over the trace.
struct AgentTrace {
  std::vector<Instance> instances;
  std::vector<Send> sends;  // in trace order
  std::map<std::string, std::vector<Delivery>> deliveries;  // msg -> each delivery
  std::vector<std::string> first_deliveries;                // msgs by their first delivery, in trace order
  std::map<std::string, Told> outcomes;                     // msg -> the first outcome
  std::map<std::string, std::vector<std::size_t>> by_id;    // id -> instances
  std::map<std::string, std::vector<std::size_t>> by_name;  // name -> instances
  std::map<std::string, std::vector<TimeUs>> node_ends;     // node -> crash/leave times

  explicit AgentTrace(const Trace& trace) {
    std::map<std::pair<std::string, std::string>, std::size_t> running;  // (node, id) -> instance
    for (const auto& r : trace.records) {
      if (r.ev == "node_crash" || r.ev == "node_leave") {
        node_ends[r.node].push_back(r.t);
        for (auto it = running.begin(); it != running.end();) {
          if (it->first.first == r.node) {
            instances[it->second].ended = r.t;
            it = running.erase(it);
          } else {
            ++it;
          }
        }
      } else if (r.ev == "agent_spawn") {
        Instance in;
        in.id = str(r, "agent");
        in.node = r.node;
        in.name = str(r, "name");
        in.type = str(r, "type");
        in.spawned = r.t;
        if (auto s = r.fields.find("state"); s != r.fields.end()) in.initial = *s;
        in.last_state = in.initial;
        const std::size_t i = instances.size();
        instances.push_back(std::move(in));
        running[{r.node, instances[i].id}] = i;
        by_id[instances[i].id].push_back(i);
        if (!instances[i].name.empty()) by_name[instances[i].name].push_back(i);
      } else if (r.ev == "agent_stop") {
        auto it = running.find({r.node, str(r, "agent")});
        if (it != running.end()) {
          instances[it->second].ended = r.t;
          running.erase(it);
        }
      } else if (r.ev == "agent_deliver") {
        const std::string agent = str(r, "agent");
        auto& list = deliveries[str(r, "msg")];
        if (list.empty()) first_deliveries.push_back(str(r, "msg"));
        list.push_back(Delivery{r.t, r.node, agent});
        auto it = running.find({r.node, agent});
        if (it != running.end()) {
          Instance& in = instances[it->second];
          in.last_delivery = r.t;
          ++in.deliveries;
          if (auto s = r.fields.find("state"); s != r.fields.end()) in.last_state = *s;
        }
      } else if (r.ev == "agent_send") {
        Send s{r.t, r.node, str(r, "from"), str(r, "to"), str(r, "msg"), json()};
        if (auto b = r.fields.find("body"); b != r.fields.end()) s.body = *b;
        sends.push_back(std::move(s));
      } else if (r.ev == "agent_outcome") {
        outcomes.emplace(str(r, "msg"), Told{r.t, str(r, "outcome"), str(r, "agent"), str(r, "error")});
      }
    }
  }

  bool alive(const Instance& in, TimeUs t) const { return in.spawned <= t && (in.ended < 0 || t < in.ended); }
  // Whether `to` (an id or a name) is an agent with a running instance at t.
  bool live_target(const std::string& to, TimeUs t) const {
    for (const auto* index : {&by_id, &by_name}) {
      auto it = index->find(to);
      if (it == index->end()) continue;
      for (std::size_t i : it->second)
        if (alive(instances[i], t)) return true;
    }
    return false;
  }
  // Whether the sender could still be told something at `until`: a client lives as long as
  // its node's life (no crash or leave in between); an agent as long as its instance.
  bool sender_lives(const Send& s, TimeUs until) const {
    if (auto ends = node_ends.find(s.node); ends != node_ends.end())
      for (TimeUs e : ends->second)
        if (e > s.t && e <= until) return false;
    if (s.from.find(':') != std::string::npos) return true;
    auto it = by_id.find(s.from);
    if (it == by_id.end()) return true;
    for (std::size_t i : it->second) {
      const Instance& in = instances[i];
      if (in.node == s.node && in.spawned <= s.t) return in.ended < 0 || in.ended > until;
    }
    return true;
  }
};

std::uint64_t number_of(const std::string& msg) {
  const auto hash = msg.rfind('#');
  if (hash == std::string::npos) return 0;
  return std::strtoull(msg.c_str() + hash + 1, nullptr, 10);
}

}  // namespace

CheckResult check_agent_unique(const Check& c, const Trace& trace, const History& h) {
  CheckResult r{check_label(c), false, ""};
  const AgentTrace at(trace);
  if (at.instances.empty()) {
    r.detail = "no agent was spawned: nothing to judge";
    return r;
  }
  // An instance dispatches from its spawn to its last delivery.
  auto until = [&](const Instance& in) { return std::max(in.spawned, in.last_delivery); };
  auto overlap = [&](const Instance& a, const Instance& b) { return a.spawned <= until(b) && b.spawned <= until(a); };
  for (const auto& [id, list] : at.by_id)
    for (std::size_t x = 0; x < list.size(); ++x)
      for (std::size_t y = x + 1; y < list.size(); ++y) {
        const Instance& a = at.instances[list[x]];
        const Instance& b = at.instances[list[y]];
        if (a.node != b.node && overlap(a, b)) {
          r.detail = "agent " + id + " dispatched on " + a.node + " from " + format_time(a.spawned) + " to " +
                     format_time(until(a)) + " and on " + b.node + " from " + format_time(b.spawned) + " to " +
                     format_time(until(b));
          return r;
        }
      }
  std::size_t named = 0;
  for (const auto& [name, list] : at.by_name) {
    named += list.size();
    for (std::size_t x = 0; x < list.size(); ++x)
      for (std::size_t y = x + 1; y < list.size(); ++y) {
        const Instance& a = at.instances[list[x]];
        const Instance& b = at.instances[list[y]];
        if (a.id != b.id && overlap(a, b)) {
          r.detail = "name " + name + " was held by " + a.id + " (on " + a.node + ", dispatching " +
                     format_time(a.spawned) + " to " + format_time(until(a)) + ") and by " + b.id + " (on " + b.node +
                     ", " + format_time(b.spawned) + " to " + format_time(until(b)) + ") at once";
          return r;
        }
      }
  }
  r.ok = true;
  r.detail = std::to_string(at.instances.size()) + " instances of " + std::to_string(at.by_id.size()) + " agents (" +
             std::to_string(named) + " named), never two dispatching as one agent at once";
  (void)h;
  return r;
}

CheckResult check_agent_reachable(const Check& c, const Trace& trace, const History& h) {
  CheckResult r{check_label(c), false, ""};
  const AgentTrace at(trace);
  // Deliveries are unique, and agree with what the senders were told.
  for (const auto& [msg, list] : at.deliveries) {
    if (list.size() > 1) {
      r.detail = "message " + msg + " was delivered " + std::to_string(list.size()) + " times (at " +
                 format_time(list[0].t) + " and " + format_time(list[1].t) + " to " + list[1].agent + ")";
      return r;
    }
    auto o = at.outcomes.find(msg);
    if (o != at.outcomes.end() && o->second.outcome == "refused") {
      r.detail = "message " + msg + " was delivered to " + list[0].agent + " at " + format_time(list[0].t) +
                 " but its sender was told refused (" + o->second.error + ")";
      return r;
    }
  }
  for (const auto& [msg, o] : at.outcomes)
    if (o.outcome == "ok" && !at.deliveries.count(msg)) {
      r.detail = "message " + msg + " was told ok at " + format_time(o.t) + " but never delivered";
      return r;
    }
  // Order per sender and agent.
  std::map<std::pair<std::string, std::string>, std::pair<std::uint64_t, std::string>> last;  // (from, agent) -> number
  // In trace order: deliveries at one instant are ordered by their lines, not their ids.
  for (const std::string& msg : at.first_deliveries) {
    const TimeUs t = at.deliveries.at(msg)[0].t;
    const std::string from = msg.substr(0, msg.rfind('#'));
    const auto key = std::make_pair(from, at.deliveries.at(msg)[0].agent);
    const std::uint64_t n = number_of(msg);
    auto it = last.find(key);
    if (it != last.end() && it->second.first > n) {
      r.detail = "messages from " + from + " to " + key.second + " were delivered out of order: " + msg + " at " +
                 format_time(t) + " after " + it->second.second;
      return r;
    }
    last[key] = {n, msg};
  }
  std::size_t judged = 0, delivered = 0, told = 0;
  for (const auto& s : at.sends) {
    if (!at.live_target(s.to, s.t)) continue;
    const TimeUs deadline = s.t + c.within;
    if (deadline > h.end() || !at.sender_lives(s, deadline)) continue;
    ++judged;
    if (at.deliveries.count(s.msg)) {
      ++delivered;
      continue;
    }
    auto o = at.outcomes.find(s.msg);
    if (o != at.outcomes.end() && o->second.t <= deadline) {
      ++told;
      continue;
    }
    r.detail = "message " + s.msg + " sent at " + format_time(s.t) + " to " + s.to + " (live then) was not delivered" +
               (o == at.outcomes.end() ? " and its sender got no outcome"
                                       : " and its sender was told " + o->second.outcome + " only at " + format_time(o->second.t)) +
               " within " + format_duration(c.within);
    return r;
  }
  if (judged == 0) {
    r.detail = "no message was sent to a live agent early enough to judge (" + std::to_string(at.sends.size()) + " sent)";
    return r;
  }
  r.ok = true;
  r.detail = std::to_string(judged) + " messages to live agents: " + std::to_string(delivered) + " delivered, " +
             std::to_string(told) + " told refused or unknown in time; none twice, none out of order";
  return r;
}

CheckResult check_agent_state(const Check& c, const Trace& trace, const History& h) {
  CheckResult r{check_label(c), false, ""};
  (void)h;
  const AgentTrace at(trace);
  auto names = at.by_name.find(c.agent);
  if (names == at.by_name.end()) {
    r.detail = "no agent " + c.agent + " was spawned: nothing to judge";
    return r;
  }
  // The increments sent to each of its ids, by what their senders were told.
  struct Sums {
    std::int64_t ok = 0, unknown = 0, refused = 0;
    std::size_t count = 0;
  };
  std::map<std::string, Sums> sums;
  std::set<std::string> ids;
  for (std::size_t i : names->second) ids.insert(at.instances[i].id);
  for (const auto& s : at.sends) {
    if (!s.body.is_object() || s.body.size() != 1 || !s.body.contains("inc") || !s.body["inc"].is_number_integer()) continue;
    if (s.to != c.agent && !ids.count(s.to)) continue;
    const std::int64_t n = s.body["inc"].get<std::int64_t>();
    if (n < 0) {
      r.detail = "message " + s.msg + " increments by " + std::to_string(n) + ": agent_state judges non-negative increments";
      return r;
    }
    auto d = at.deliveries.find(s.msg);
    auto o = at.outcomes.find(s.msg);
    std::string id = d != at.deliveries.end() ? d->second[0].agent : o != at.outcomes.end() ? o->second.agent : "";
    if (id.empty() && ids.count(s.to)) id = s.to;
    if (id.empty() || !ids.count(id)) continue;  // never reached an instance of it (refused before)
    Sums& sm = sums[id];
    ++sm.count;
    const std::string outcome = o == at.outcomes.end() ? "unknown" : o->second.outcome;
    if (outcome == "ok") sm.ok += n;
    else if (outcome == "refused") sm.refused += n;
    else sm.unknown += n;
  }
  if (sums.empty()) {
    r.detail = "no increment reached " + c.agent + ": nothing to judge";
    return r;
  }
  std::string summary;
  for (const auto& [id, sm] : sums) {
    const std::vector<std::size_t>& list = at.by_id.at(id);
    const Instance& first = at.instances[list.front()];
    const Instance& latest = at.instances[list.back()];
    std::int64_t initial = 0, final_count = 0;
    if (!first.initial.is_null() && !count_of(first.initial, initial)) {
      r.detail = "agent " + id + " is not a counter (its state at spawn: " + first.initial.dump() + ")";
      return r;
    }
    if (!count_of(latest.last_state, final_count)) final_count = initial;
    const std::int64_t applied = final_count - initial;
    if (applied < sm.ok || applied > sm.ok + sm.unknown) {
      r.detail = "counter " + c.agent + " (" + id + ") holds " + std::to_string(final_count) + " from " +
                 std::to_string(initial) + ": " + std::to_string(applied) + " applied, but its senders were told " +
                 std::to_string(sm.ok) + " was handled and " + std::to_string(sm.unknown) +
                 " may have been (so between " + std::to_string(sm.ok) + " and " + std::to_string(sm.ok + sm.unknown) + ")";
      return r;
    }
    summary += (summary.empty() ? "" : "; ") + id + ": " + std::to_string(final_count) + " with " + std::to_string(sm.ok) +
               " acknowledged, " + std::to_string(sm.unknown) + " unknown, " + std::to_string(sm.refused) + " refused";
  }
  r.ok = true;
  r.detail = summary;
  return r;
}

}  // namespace mabeam::sim
