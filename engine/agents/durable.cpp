// Replication of durable agents' states (see service.h; DESIGN.md, "Agents": "its state
// is replicated before a message it handled is acknowledged").
//
// After a durable agent handles a message its state version grows by one and its snapshot
// goes (ReplicaPut) to the other nodes of its replica set: the config.replicas - 1 active
// members other than the host ranked highest by rendezvous hashing on the agent's id. A
// reply the message produced (the acknowledgement) is held until a majority of the replica
// set, the host counted, holds that version or a later one: replicas / 2 other nodes (1 of
// 2 others with the default 3). With fewer reachable members than that, replies wait and
// their senders time out (unknown). Unacknowledged puts are sent again every retransmit
// interval; a replica keeps the highest (epoch, version) it got, and forgets the agent when
// its host says it ended (a put with an empty type). The failover that uses these copies is
// the migration service's (issue 13): replicas_ is its input.
#include <algorithm>

#include "engine/agents/service.h"
#include "engine/variables/rendezvous.h"

namespace mabeam::agents {

std::size_t AgentService::replica_acks_needed() const { return config_.replicas / 2; }

std::vector<std::string> AgentService::replica_nodes(const std::string& id) const {
  std::vector<std::string> members;
  if (view_)
    for (const auto& m : view_->members())
      if (m.name != ctx_.self() && m.state == MemberState::active) members.push_back(m.name);
  const std::size_t want = config_.replicas > 0 ? config_.replicas - 1 : 0;
  return vars::rendezvous_pick(id, members, static_cast<std::uint32_t>(want));
}

ReplicaPut AgentService::replica_of(const Hosted& h) const {
  ReplicaPut p;
  p.id = h.id;
  p.name = h.name;
  p.type = h.type->name;
  p.type_version = h.type->version;
  p.epoch = h.epoch;
  p.version = h.version;
  p.state = h.agent->snapshot();
  return p;
}

void AgentService::replicate(Hosted& h) {
  if (replica_acks_needed() == 0) return;
  h.replica_targets = replica_nodes(h.id);
  const ReplicaPut p = replica_of(h);
  for (const auto& n : h.replica_targets) ctx_.send_msg(n, p);
  node_.metrics().inc("agent_replica_puts_total", static_cast<double>(h.replica_targets.size()));
}

std::size_t AgentService::replicas_holding(const Hosted& h, std::uint64_t version) const {
  std::size_t n = 0;
  for (const auto& [node, v] : h.replica_acked)
    if (v >= version) ++n;
  return n;
}

void AgentService::hold_until_replicated(Hosted& h, std::function<void()> release) {
  if (replicas_holding(h, h.version) >= replica_acks_needed() && h.held.empty()) {
    release();
    return;
  }
  h.held.emplace_back(h.version, std::move(release));
}

void AgentService::on_replica_ack(const std::string& from, ReplicaAck&& m) {
  Hosted* h = hosted(m.id);
  if (!h) return;
  auto& v = h->replica_acked[from];
  v = std::max(v, m.version);
  std::vector<std::function<void()>> ready;
  while (!h->held.empty() && replicas_holding(*h, h->held.front().first) >= replica_acks_needed()) {
    ready.push_back(std::move(h->held.front().second));
    h->held.pop_front();
  }
  for (auto& fn : ready) fn();
}

void AgentService::on_replica_put(const std::string& from, ReplicaPut&& m) {
  if (m.type.empty()) {
    replicas_.erase(m.id);
    return;
  }
  auto it = replicas_.find(m.id);
  if (it == replicas_.end()) {
    if (replicas_.size() >= config_.agents_max) {
      node_.metrics().inc("agent_replicas_refused_total");
      return;  // no ack: the host counts this node out
    }
    it = replicas_.emplace(m.id, ReplicaPut{}).first;
  }
  ReplicaPut& held = it->second;
  const bool newer = m.epoch > held.epoch || (m.epoch == held.epoch && m.version >= held.version);
  ReplicaAck ack;
  ack.id = m.id;
  ack.version = newer ? m.version : held.version;
  if (newer) held = std::move(m);
  node_.metrics().set("agent_replicas_held", static_cast<double>(replicas_.size()));
  ctx_.send_msg(from, ack);
}

void AgentService::retransmit_replicas() {
  for (auto& [id, h] : hosted_) {
    if (!h.durable || h.held.empty()) continue;
    const std::uint64_t want = h.held.back().first;
    // The replica set as membership now has it (a member lost meanwhile is replaced).
    h.replica_targets = replica_nodes(id);
    std::optional<ReplicaPut> p;
    for (const auto& n : h.replica_targets) {
      auto a = h.replica_acked.find(n);
      if (a != h.replica_acked.end() && a->second >= want) continue;
      if (!p) p = replica_of(h);
      ctx_.send_msg(n, *p);
    }
  }
}

void AgentService::drop_replicas(const Hosted& h) {
  ReplicaPut drop;
  drop.id = h.id;
  for (const auto& n : h.replica_targets) ctx_.send_msg(n, drop);
}

}  // namespace mabeam::agents
