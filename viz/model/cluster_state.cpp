// Computes ClusterState at a replay time from the TraceIndex; see cluster_state.h.
#include "viz/model/cluster_state.h"

#include <algorithm>

namespace mabeam::viz {

const char* node_status_name(NodeStatus s) {
  switch (s) {
    case NodeStatus::Up: return "up";
    case NodeStatus::Joining: return "joining";
    case NodeStatus::Suspect: return "suspect";
    case NodeStatus::Down: return "down";
    case NodeStatus::Left: return "left";
    case NodeStatus::Paused: return "paused";
    case NodeStatus::Crashed: return "crashed";
    case NodeStatus::NotStarted: return "not started";
  }
  return "?";
}

bool ClusterState::is_cut(int from, int to) const {
  if (partition >= 0 && from != to && nodes[static_cast<std::size_t>(from)].group != nodes[static_cast<std::size_t>(to)].group) return true;
  return !oneway_cut.empty() && std::binary_search(oneway_cut.begin(), oneway_cut.end(), std::pair<int, int>(from, to));
}

namespace {

// A stable sample: whether message m is drawn depends only on m and the sampling stride, so
// the same messages stay visible from one frame to the next.
bool sampled(int m, std::uint64_t stride_mask) {
  std::uint64_t x = static_cast<std::uint64_t>(m) + 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return (x & stride_mask) == 0;
}

void compute_network(const TraceIndex& index, ClusterState& s) {
  const Trace& tr = index.trace();
  const NetChange* net = last_at(index.net(), s.t);
  if (!net) return;
  s.partition = net->partition;
  s.oneway = net->oneway;
  if (s.partition >= 0) {
    const PartitionSpec& p = tr.partitions[static_cast<std::size_t>(s.partition)];
    for (std::size_t g = 0; g < p.groups.size(); ++g)
      for (int x : p.groups[g]) s.nodes[static_cast<std::size_t>(x)].group = static_cast<int>(g);
  }
  for (int k : s.oneway) {
    const PartitionSpec& p = tr.partitions[static_cast<std::size_t>(k)];
    for (int a : p.from)
      for (int b : p.to)
        if (a != b) s.oneway_cut.emplace_back(a, b);
  }
  std::sort(s.oneway_cut.begin(), s.oneway_cut.end());
  s.oneway_cut.erase(std::unique(s.oneway_cut.begin(), s.oneway_cut.end()), s.oneway_cut.end());
}

void compute_status(const TraceIndex& index, ClusterState& s) {
  const int n = index.node_count();
  for (int subj = 0; subj < n; ++subj) {
    NodeState& ns = s.nodes[static_cast<std::size_t>(subj)];
    switch (ns.life) {
      case Life::Crashed: ns.status = NodeStatus::Crashed; break;
      case Life::Paused: ns.status = NodeStatus::Paused; break;
      case Life::NotStarted: ns.status = NodeStatus::NotStarted; break;
      case Life::Up: ns.status = NodeStatus::Up; break;
    }
    int left = 0, joining = 0, opinions = 0;
    for (int obs = 0; obs < n; ++obs) {
      if (obs == subj || s.nodes[static_cast<std::size_t>(obs)].life != Life::Up) continue;
      const MemberChange* v = last_at(index.view(obs, subj), s.t);
      if (!v) continue;
      const bool reachable = !s.is_cut(obs, subj) && !s.is_cut(subj, obs);
      if (!reachable) {
        if (v->state == MemberState::Down) ++ns.seen_down_across;
        continue;
      }
      ++opinions;
      switch (v->state) {
        case MemberState::Down: ns.seen_down_by.push_back(obs); break;
        case MemberState::Left:
        case MemberState::Leaving:
          ++left;
          ns.seen_down_by.push_back(obs);
          break;
        case MemberState::Suspect: ns.seen_suspect_by.push_back(obs); break;
        case MemberState::Joining: ++joining; break;
        default: break;
      }
    }
    if (ns.life != Life::Up) continue;
    const MemberChange* self = last_at(index.view(subj, subj), s.t);
    const MemberState self_state = self ? self->state : MemberState::Unknown;
    // Left: it says so itself, or at least half of the nodes that can reach it say so.
    if (self_state == MemberState::Left || self_state == MemberState::Leaving || (left > 0 && left * 2 >= opinions))
      ns.status = NodeStatus::Left;
    else if (!ns.seen_down_by.empty()) ns.status = NodeStatus::Down;
    else if (!ns.seen_suspect_by.empty()) ns.status = NodeStatus::Suspect;
    else if (self_state == MemberState::Joining || (opinions > 0 && joining * 2 > opinions)) ns.status = NodeStatus::Joining;
  }
}

void compute_leader(const TraceIndex& index, ClusterState& s) {
  const auto& claims = index.leader_claims();
  for (const LeaderClaim& c : claims) {
    if (c.t > s.t) break;
    s.nodes[static_cast<std::size_t>(c.node)].claimed_term = c.term;
  }
  const int best = index.best_leader_claim(s.t);
  if (best < 0) return;
  const LeaderClaim& c = claims[static_cast<std::size_t>(best)];
  s.leader_term = c.term;
  if (s.nodes[static_cast<std::size_t>(c.node)].life == Life::Up) {
    s.leader = c.node;
    s.nodes[static_cast<std::size_t>(c.node)].leader = true;
  }
}

void compute_messages(const TraceIndex& index, ClusterState& s, const StateOptions& o) {
  std::vector<int> ids;
  index.messages_in_flight(s.t, ids);
  s.in_flight_total = static_cast<int>(ids.size());
  std::uint64_t stride = 1;
  while (o.in_flight_max > 0 && ids.size() / stride > static_cast<std::size_t>(o.in_flight_max)) stride *= 2;
  for (int m : ids) {
    if (stride > 1 && !sampled(m, stride - 1)) continue;
    const Message& msg = index.messages()[static_cast<std::size_t>(m)];
    const std::int64_t end = index.drawn_end(msg);
    const double p = end > msg.send_t ? static_cast<double>(s.t - msg.send_t) / static_cast<double>(end - msg.send_t) : 0.0;
    s.in_flight.push_back({m, msg.from, msg.to, std::clamp(p, 0.0, 1.0), msg.dropped});
  }
  const int n = index.node_count();
  const std::int64_t t0 = s.t - o.link_window_us;
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) {
      if (index.sends_total(a, b) == 0 && index.sends_total(b, a) == 0) continue;
      const int c = index.sends_between(a, b, t0, s.t + 1) + index.sends_between(b, a, t0, s.t + 1);
      if (c > 0) s.links.push_back({a, b, c});
    }
}

void compute_agents(const TraceIndex& index, ClusterState& s) {
  for (std::size_t k = 0; k < index.agents().size(); ++k) {
    const AgentChange* c = last_at(index.agent_changes(static_cast<int>(k)), s.t);
    if (!c || c->phase == AgentPhase::Stopped) continue;
    AgentPlace a;
    a.agent = index.agents()[k];
    a.node = c->node;
    if (c->phase == AgentPhase::Migrating) {
      a.migrating = true;
      a.from = c->from;
      a.progress = c->until > c->t ? std::clamp(static_cast<double>(s.t - c->t) / static_cast<double>(c->until - c->t), 0.0, 1.0) : 0.5;
    }
    s.agents.push_back(a);
  }
}

}  // namespace

ClusterState state_at(const TraceIndex& index, std::int64_t t, const StateOptions& options) {
  ClusterState s;
  s.t = t;
  s.last_event = index.last_event_at_or_before(t);
  const int n = index.node_count();
  s.nodes.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    NodeState& ns = s.nodes[static_cast<std::size_t>(i)];
    if (const LifeChange* l = last_at(index.life(i), t)) ns.life = l->life;
    if (const ModeChange* m = last_at(index.mode(i), t)) ns.readonly = m->readonly;
  }
  compute_network(index, s);
  compute_status(index, s);
  compute_leader(index, s);
  compute_messages(index, s, options);
  compute_agents(index, s);
  return s;
}

std::vector<ViewEntry> view_at(const TraceIndex& index, int observer, std::int64_t t) {
  std::vector<ViewEntry> out;
  for (int subj = 0; subj < index.node_count(); ++subj) {
    const MemberChange* c = last_at(index.view(observer, subj), t);
    if (!c) continue;
    out.push_back({subj, c->state, c->incarnation, c->t});
  }
  return out;
}

std::vector<VarEntry> vars_at(const TraceIndex& index, int node, std::int64_t t) {
  std::vector<VarEntry> out;
  for (std::size_t k = 0; k < index.variables().size(); ++k) {
    const auto& list = index.var_changes(node, static_cast<int>(k));
    const VarChange* c = last_at(list, t);
    if (!c) continue;
    VarEntry v{index.variables()[k], c->value, c->op, c->ok, c->write, c->t};
    if (!c->ok) {
      v.last_failed = true;
      v.failed_at = c->t;
      v.failed_value = c->value;
      // The value the replica holds is the last successful operation's (bounded look-back).
      const VarChange* first = list.data();
      for (const VarChange* q = c; q >= first && c - q < 100'000; --q)
        if (q->ok) {
          v.value = q->value, v.op = q->op, v.ok = true, v.write = q->write, v.since = q->t;
          break;
        }
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace mabeam::viz
