// The partition guard's quorum lease (see partition_guard.h).
#include "engine/variables/partition_guard.h"

#include <algorithm>

namespace mabeam::vars {

namespace {
// The smallest k >= 0 with base^k >= n (integer arithmetic: no libm in a decision).
int ceil_log(std::size_t n, std::size_t base) {
  int k = 0;
  for (std::size_t p = 1; p < n; p *= base) ++k;
  return k;
}
}  // namespace

GuardConfig guard_defaults(GuardConfig c, std::size_t n) {
  n = std::max<std::size_t>(n, 1);
  if (c.fanout <= 0) c.fanout = std::max(2, ceil_log(n, 4));  // ceil(log2(n) / 2)
  if (c.round <= 0) c.round = ms(200);
  if (c.quorum_lease <= 0)
    c.quorum_lease = std::max<DurationUs>(sec(1), (ceil_log(n, static_cast<std::size_t>(c.fanout) + 1) + 2) * c.round);
  return c;
}

PartitionGuard::PartitionGuard(Node& node, std::vector<std::string> cluster, std::size_t cluster_size, GuardConfig config)
    : Service(node), cluster_size_min_(cluster_size) {
  configured_.insert(cluster.begin(), cluster.end());
  configured_.insert(ctx_.self());
  cluster_ = configured_;
  config_ = guard_defaults(config, std::max(configured_.size(), cluster_size));
  node_.expose<QuorumView>(this);
  node_.route<GuardPull>([this](const std::string& from, GuardPull&& m) { on_pull(from, std::move(m)); });
  node_.route<GuardTable>([this](const std::string& from, GuardTable&& m) { on_table(from, std::move(m)); });
}

DurationUs PartitionGuard::lease() const {
  // A lease measured on clocks that may each drift by max_drift: shorten it by twice that.
  const auto permille = static_cast<std::int64_t>(config_.max_drift * 2000.0 + 0.5);
  return config_.quorum_lease - config_.quorum_lease * permille / 1000;
}

void PartitionGuard::start() {
  stopped_ = false;
  view_ = node_.find<MembershipView>();
  if (view_)
    handle_ = view_->subscribe([this](const std::string&, MemberState, MemberState) {
      recount_cluster();
      evaluate();
    });
  recount_cluster();
  evaluate();
  // A random phase, so nodes started together do not pull in step.
  ctx_.after(static_cast<DurationUs>(ctx_.rng().below(static_cast<std::uint64_t>(config_.round))) + 1, [this] { round(); });
}

void PartitionGuard::stop() {
  stopped_ = true;
  if (view_) view_->unsubscribe(handle_);
  view_ = nullptr;
}

void PartitionGuard::round() {
  if (stopped_) return;
  const TimeUs now = ctx_.now();
  // Answers to pulls older than the lease could only date entries that have lapsed.
  for (auto it = pulls_.begin(); it != pulls_.end();)
    it = now - it->second.sent > config_.quorum_lease ? pulls_.erase(it) : std::next(it);
  recount_cluster();
  std::vector<std::string> peers;
  for (const auto& n : cluster_)
    if (n != ctx_.self()) peers.push_back(n);
  const std::size_t k = std::min(peers.size(), static_cast<std::size_t>(config_.fanout));
  for (std::size_t i = 0; i < k; ++i) {
    std::swap(peers[i], peers[i + ctx_.rng().below(peers.size() - i)]);
    const std::uint64_t seq = ++seq_;
    pulls_[seq] = Outstanding{peers[i], now};
    ctx_.send_msg(peers[i], GuardPull{seq});
  }
  node_.metrics().inc("partition_guard_pulls_total", static_cast<double>(k));
  ctx_.after(config_.round, [this] { round(); });
}

void PartitionGuard::rescue() {
  recount_cluster();
  const TimeUs now = ctx_.now();
  // The freshest members first (the likeliest to answer): the first `fanout` send their
  // whole table, so contacts reachable only through them count too; the rest only themselves.
  std::vector<std::pair<TimeUs, std::string>> order;
  for (const auto& peer : cluster_) {
    if (peer == ctx_.self()) continue;
    auto f = fresh_.find(peer);
    order.emplace_back(f == fresh_.end() ? now - config_.quorum_lease : f->second, peer);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::uint64_t sent = 0;
  for (const auto& [date, peer] : order) {
    const std::uint64_t seq = ++seq_;
    pulls_[seq] = Outstanding{peer, now};
    ctx_.send_msg(peer, GuardPull{seq, sent >= static_cast<std::uint64_t>(config_.fanout)});
    ++sent;
  }
  node_.metrics().inc("partition_guard_rescues_total");
  node_.metrics().inc("partition_guard_pulls_total", static_cast<double>(sent));
}

void PartitionGuard::on_pull(const std::string& from, GuardPull&& m) {
  if (stopped_) return;
  const TimeUs now = ctx_.now();
  const DurationUs lease = config_.quorum_lease;
  GuardTable t;
  t.seq = m.seq;
  t.ages.emplace_back(ctx_.self(), 0);
  if (!m.self_only)
    for (const auto& [name, at] : fresh_)
      if (name != from && now - at < lease) t.ages.emplace_back(name, now - at);
  node_.metrics().inc("partition_guard_answers_total");
  node_.metrics().inc("partition_guard_answer_entries_total", static_cast<double>(t.ages.size()));
  ctx_.send_msg(from, t);
}

void PartitionGuard::on_table(const std::string& from, GuardTable&& m) {
  if (stopped_) return;
  auto it = pulls_.find(m.seq);
  if (it == pulls_.end() || it->second.peer != from) return;  // not ours, a duplicate, or expired
  const TimeUs now = ctx_.now();
  const DurationUs rtt = now - it->second.sent;
  pulls_.erase(it);
  node_.metrics().inc("partition_guard_tables_total");
  for (const auto& [name, age] : m.ages) {
    if (name == ctx_.self()) continue;
    const TimeUs at = now - age - rtt;  // never later than the true instant
    auto [f, fresh] = fresh_.try_emplace(name, at);
    if (!fresh) f->second = std::max(f->second, at);
  }
  evaluate();
}

void PartitionGuard::recount_cluster() {
  if (!view_) return;
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
  }
  cluster_ = std::move(cluster);
}

void PartitionGuard::evaluate() {
  if (stopped_) return;
  const TimeUs now = ctx_.now();
  const DurationUs lease = this->lease();
  // Fresh members of the cluster, newest first; forget entries of members no longer in it.
  std::vector<TimeUs> dates;
  for (auto it = fresh_.begin(); it != fresh_.end();) {
    if (!cluster_.count(it->first) || now - it->second >= config_.quorum_lease) {
      it = fresh_.erase(it);
      continue;
    }
    if (now - it->second < lease) dates.push_back(it->second);
    ++it;
  }
  std::sort(dates.begin(), dates.end(), std::greater<>());
  const std::size_t reachable = 1 + dates.size();
  const std::size_t need = cluster_size() / 2;  // others needed: (1 + need) * 2 > cluster
  const bool readonly = reachable * 2 <= cluster_size();
  // The majority lapses when its need-th freshest entry does: look again then. Before that,
  // a round and half a round ahead, ask every other member directly (rescue pulls), so a
  // majority that still answers is not lost to the luck of random pulls.
  if (lapse_timer_) ctx_.cancel(lapse_timer_);
  lapse_timer_ = 0;
  if (!readonly && need > 0) {
    const TimeUs lapse = dates[need - 1] + lease;
    if (lapse != lapse_at_) {
      lapse_at_ = lapse;
      rescues_ = 0;
    }
    const TimeUs rescue_at[2] = {lapse - config_.round, lapse - config_.round / 2};
    const TimeUs next = rescues_ < 2 ? std::min(lapse, rescue_at[rescues_]) : lapse;
    lapse_timer_ = ctx_.after(std::max<DurationUs>(1, next - now), [this, next, lapse] {
      lapse_timer_ = 0;
      if (next < lapse && rescues_ < 2) {
        ++rescues_;
        rescue();
      }
      evaluate();
    });
  }
  const bool changed = !announced_ || readonly != readonly_;
  reachable_ = reachable;
  if (!changed) return;
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
  return ctx_.self() + " has recent contact with " + std::to_string(reachable_) + " of " + std::to_string(cluster_size()) +
         " nodes, not a majority";
}

}  // namespace mabeam::vars
