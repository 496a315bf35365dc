// The partition guard (see partition_guard.h).
#include "engine/variables/partition_guard.h"

namespace mabeam::vars {

PartitionGuard::PartitionGuard(Node& node, std::vector<std::string> cluster, std::size_t cluster_size)
    : Service(node), cluster_size_min_(cluster_size) {
  configured_.insert(cluster.begin(), cluster.end());
  configured_.insert(ctx_.self());
  cluster_ = configured_;
}

void PartitionGuard::start() {
  view_ = node_.find<MembershipView>();
  if (view_) handle_ = view_->subscribe([this](const std::string&, MemberState, MemberState) { evaluate(); });
  evaluate();
}

void PartitionGuard::stop() {
  if (view_) view_->unsubscribe(handle_);
  view_ = nullptr;
}

void PartitionGuard::evaluate() {
  std::size_t reachable = 1;  // self
  if (view_) {
    // Recounted from the view each time, so a member that membership forgot (reaped) stops
    // counting; a configured node that left stays out even once forgotten.
    std::set<std::string> cluster;
    for (const auto& name : configured_)
      if (!left_.count(name)) cluster.insert(name);
    for (const auto& m : view_->members()) {
      if (m.name == ctx_.self()) continue;
      if (m.state == MemberState::left) {
        cluster.erase(m.name);
        if (configured_.count(m.name)) left_.insert(m.name);
        continue;
      }
      cluster.insert(m.name);
      if (configured_.count(m.name)) left_.erase(m.name);
      if (m.state == MemberState::active) ++reachable;
    }
    cluster_ = std::move(cluster);
  }
  reachable_ = reachable;
  const bool readonly = reachable * 2 <= cluster_size();
  if (announced_ && readonly == readonly_) return;
  announced_ = true;
  readonly_ = readonly;
  node_.metrics().set("partition_guard_readonly", readonly ? 1.0 : 0.0);
  if (ctx_.tracing())
    ctx_.emit(TraceEvent("mode")
                  .with("mode", readonly ? "readonly" : "normal")
                  .with("reachable", static_cast<std::uint64_t>(reachable))
                  .with("cluster", static_cast<std::uint64_t>(cluster_size())));
  const auto listeners = listeners_;
  for (const auto& fn : listeners) fn(readonly);
}

std::string PartitionGuard::why() const {
  if (!readonly_) return "";
  return ctx_.self() + " reaches " + std::to_string(reachable_) + " of " + std::to_string(cluster_size()) +
         " nodes, not a majority";
}

}  // namespace mabeam::vars
