// The simulated clients (see workload.h).
#include "sim/workload.h"

#include <cmath>

#include "engine/consensus/strong.h"

namespace mabeam::sim {

ClientDriver::ClientDriver(World& world, const Scenario& scenario, std::uint64_t seed)
    : world_(world), scenario_(scenario), seed_(seed) {}

void ClientDriver::schedule() {
  for (const auto& e : scenario_.events) {
    if (e.verb != ScenarioEvent::Verb::write && e.verb != ScenarioEvent::Verb::read && e.verb != ScenarioEvent::Verb::cas)
      continue;
    world_.scheduler().at(e.at, [this, &e] {
      vars::ClientOp op{e.var, e.verb == ScenarioEvent::Verb::cas ? "cas" : e.op, e.value, e.session, e.expected};
      if (strong(e.var))
        issue_strong(e.node, "events@" + e.node, op);
      else
        issue(e.node, std::move(op));
    });
  }
  for (std::size_t i = 0; i < scenario_.workload.size(); ++i) {
    const WorkloadSpec& w = scenario_.workload[i];
    if (w.kind == WorkloadSpec::Kind::messages) continue;  // the AgentDriver's (sim/agent_driver.h)
    vars::Resolve resolve = vars::Resolve::lww;
    for (const auto& v : scenario_.variables.variables)
      if (v.name == w.var) resolve = v.resolve;
    std::vector<std::string> nodes = w.nodes;
    if (nodes.empty())
      for (const auto& n : scenario_.nodes) nodes.push_back(n.name);
    std::vector<std::string> owners = w.session.empty() ? nodes : std::vector<std::string>{""};
    for (const auto& owner : owners) {
      const std::string label = "workload/" + std::to_string(i) + "/" + owner;
      streams_.push_back(std::make_unique<Stream>(Stream{i, &w, owner, Rng::derived(seed_, label), resolve}));
      Stream* s = streams_.back().get();
      world_.scheduler().at(w.start, [this, s] { next(*s); });
    }
  }
}

void ClientDriver::next(Stream& s) {
  const WorkloadSpec& w = *s.spec;
  const auto gap = static_cast<DurationUs>(s.rng.exponential(mean_gap_us(w.rate)));
  const TimeUs at = world_.now() + std::max<DurationUs>(1, gap);
  if (at >= w.stop) return;
  world_.scheduler().at(at, [this, &s, &w] {
    vars::ClientOp op = generate(s);
    std::string node = s.node;
    if (node.empty()) {
      const std::size_t count = w.nodes.empty() ? scenario_.nodes.size() : w.nodes.size();
      const std::size_t k = s.rng.below(count);
      node = w.nodes.empty() ? scenario_.nodes[k].name : w.nodes[k];
    }
    if (strong(w.var))
      issue_strong(node, "workload" + std::to_string(s.index) + "@" + node, op);
    else
      issue(node, std::move(op));
    next(s);
  });
}

vars::ClientOp ClientDriver::generate(Stream& s) {
  const WorkloadSpec& w = *s.spec;
  vars::ClientOp op;
  op.var = w.var;
  op.session = w.session;
  if (strong(w.var)) {
    const auto pick = w.kind == WorkloadSpec::Kind::reads ? 0 : w.kind == WorkloadSpec::Kind::writes ? 1 : s.rng.below(3);
    op.op = pick == 0 ? "read" : pick == 1 ? "set" : "cas";
    if (pick == 2) op.expected = std::to_string(s.rng.below(5));
    if (pick != 0) op.value = std::to_string(s.rng.below(5));
    return op;
  }
  const bool read = w.kind == WorkloadSpec::Kind::reads || (w.kind == WorkloadSpec::Kind::mixed && s.rng.chance(0.5));
  if (read) {
    op.op = "read";
    return op;
  }
  using vars::Resolve;
  switch (s.resolve) {
    case Resolve::g_counter:
      op.op = "incr";
      op.value = "1";
      break;
    case Resolve::pn_counter:
      op.op = "incr";
      op.value = s.rng.chance(0.25) ? "-1" : "1";
      break;
    case Resolve::or_set:
      op.op = s.rng.chance(0.3) ? "remove" : "add";
      op.value = "\"e" + std::to_string(s.rng.below(16)) + "\"";
      break;
    case Resolve::max:
    case Resolve::min:
      op.op = "set";
      op.value = std::to_string(s.rng.below(1000000));
      break;
    case Resolve::custom:
      op.op = "set";
      op.value = "\"v" + std::to_string(s.rng.below(100000)) + "\"";
      break;
    case Resolve::lww:
    case Resolve::vector_clock:
      op.op = "set";
      op.value = std::to_string(s.rng.below(1000));
      break;
  }
  return op;
}

bool ClientDriver::strong(const std::string& var) const {
  for (const auto& v : scenario_.variables.variables)
    if (v.name == var) return v.consistency == vars::Consistency::strong;
  return false;
}

void ClientDriver::issue_strong(const std::string& node, const std::string& client, const vars::ClientOp& op) {
  const int i = world_.index_of(node);
  SimNode& n = world_.node(static_cast<std::uint32_t>(i));
  auto* service = n.up() && !n.paused() ? n.node()->find<raft::StrongVariables>() : nullptr;
  if (!service) {
    ++unreachable_;
    return;
  }
  if (auto busy = client_busy_.find(client); busy != client_busy_.end()) {
    // A live node answers within op_timeout; past it, the node crashed with the operation
    // open, which counts as info: the client goes on under a fresh process.
    if (world_.now() - busy->second <= scenario_.setup.consensus.config.op_timeout) {
      ++skipped_busy_;
      return;
    }
    process_of_[client] = next_process_++;
  }
  if (!process_of_.count(client)) process_of_[client] = next_process_++;
  raft::StrongClientOp sop;
  sop.var = op.var;
  sop.kind = op.op == "read" ? raft::StrongKind::read : op.op == "cas" ? raft::StrongKind::cas : raft::StrongKind::write;
  sop.value = op.value;
  sop.expected = op.expected.empty() ? "null" : op.expected;
  sop.process = process_of_[client];
  client_busy_[client] = world_.now();
  ++issued_;
  // The node may crash with the operation open: the client then never hears back, and
  // its process counts as crashed (its operation stays open, as an info would).
  // An answer that comes after the client gave up on it (a node paused past op_timeout)
  // belongs to a process the client has left: it must not free or renumber the new one.
  const std::int64_t process = sop.process;
  service->submit(std::move(sop), [this, client, process](const raft::StrongResult& r) {
    if (process_of_[client] != process) return;
    client_busy_.erase(client);
    if (r.type == "info") process_of_[client] = next_process_++;
  });
}

void ClientDriver::issue(const std::string& node, vars::ClientOp op) {
  const int i = world_.index_of(node);
  SimNode& n = world_.node(static_cast<std::uint32_t>(i));
  auto* service = n.up() && !n.paused() ? n.node()->find<vars::VariablesService>() : nullptr;
  if (!service) {
    ++unreachable_;
    return;
  }
  const std::string session = op.session;
  vars::SessionToken token;
  if (!session.empty()) {
    // A client gives up on an answer after kClientTimeout (the node may have crashed with
    // the operation waiting), then goes on with its token as it was.
    auto busy = busy_.find(session);
    if (busy != busy_.end() && world_.now() - busy->second < kClientTimeout) {
      ++skipped_busy_;
      return;
    }
    busy_[session] = world_.now();
    token = sessions_[session];
  }
  ++issued_;
  service->submit(std::move(op), std::move(token), [this, session](const vars::OpOutcome& out) {
    if (session.empty()) return;
    busy_.erase(session);
    sessions_[session] = out.token;
  });
}

}  // namespace mabeam::sim
