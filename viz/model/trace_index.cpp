// Builds the TraceIndex in a few linear passes over the events; see trace_index.h.
#include "viz/model/trace_index.h"

#include <algorithm>
#include <cassert>
#include <deque>
#include <unordered_map>

namespace mabeam::viz {

const char* life_name(Life l) {
  switch (l) {
    case Life::NotStarted: return "not started";
    case Life::Up: return "up";
    case Life::Paused: return "paused";
    case Life::Crashed: return "crashed";
  }
  return "?";
}

TraceIndex::TraceIndex(std::shared_ptr<const Trace> trace) : trace_(std::move(trace)) {
  assert(trace_);
  n_ = trace_->node_count();
  build();
  build_messages();
  build_message_buckets();
}

int TraceIndex::last_event_at_or_before(std::int64_t t) const {
  return static_cast<int>(std::upper_bound(times_.begin(), times_.end(), t) - times_.begin()) - 1;
}

int TraceIndex::first_event_after(std::int64_t t) const {
  return static_cast<int>(std::upper_bound(times_.begin(), times_.end(), t) - times_.begin());
}

int TraceIndex::best_leader_claim(std::int64_t t) const {
  auto it = std::upper_bound(leaders_.begin(), leaders_.end(), t,
                             [](std::int64_t v, const LeaderClaim& c) { return v < c.t; });
  const auto k = it - leaders_.begin();
  return k == 0 ? -1 : best_claim_prefix_[static_cast<std::size_t>(k - 1)];
}

void TraceIndex::build() {
  const Trace& tr = *trace_;
  const auto n = static_cast<std::size_t>(n_);
  times_.reserve(tr.events.size());
  life_.assign(n, {});
  mode_.assign(n, {});
  view_.assign(n * n, {});
  kind_counts_.assign(kKindCount, 0);

  // A node whose first lifecycle event is node_start was not running before it.
  std::vector<char> first_seen(n, 0);
  for (const Event& e : tr.events) {
    if (e.node < 0 || first_seen[static_cast<std::size_t>(e.node)]) continue;
    switch (e.kind) {
      case Kind::NodeStart:
      case Kind::NodeCrash:
      case Kind::NodeRestart:
      case Kind::NodePause:
      case Kind::NodeResume:
        first_seen[static_cast<std::size_t>(e.node)] = 1;
        life_[static_cast<std::size_t>(e.node)].push_back({0, e.kind == Kind::NodeStart && e.t > 0 ? Life::NotStarted : Life::Up});
        break;
      default: break;
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    if (life_[i].empty()) life_[i].push_back({0, Life::Up});

  NetChange net{0, -1, {}};
  net_.push_back(net);
  std::unordered_map<int, int> var_slot;
  std::unordered_map<int, int> agent_slot;
  std::vector<int> pending_migration;  // per agent slot: index of the open Migrating change
  struct RawVar {
    int node;
    int var;
    VarChange c;
  };
  std::vector<RawVar> raw_vars;

  for (std::size_t i = 0; i < tr.events.size(); ++i) {
    const Event& e = tr.events[i];
    times_.push_back(e.t);
    ++kind_counts_[static_cast<std::size_t>(e.kind)];
    const bool has_node = e.node >= 0;
    auto life_to = [&](Life l) {
      if (has_node) life_[static_cast<std::size_t>(e.node)].push_back({e.t, l});
      faults_.push_back({e.t, e.kind, e.node, static_cast<int>(i)});
    };
    switch (e.kind) {
      case Kind::NodeStart:
        if (has_node) life_[static_cast<std::size_t>(e.node)].push_back({e.t, Life::Up});
        break;
      case Kind::NodeCrash: life_to(Life::Crashed); break;
      case Kind::NodeRestart: life_to(Life::Up); break;
      case Kind::NodePause: life_to(Life::Paused); break;
      case Kind::NodeResume: life_to(Life::Up); break;
      case Kind::Partition:
        net.t = e.t;
        net.partition = static_cast<int>(e.num);
        net_.push_back(net);
        faults_.push_back({e.t, e.kind, e.node, static_cast<int>(i)});
        break;
      case Kind::PartitionOneway:
        net.t = e.t;
        net.oneway.push_back(static_cast<int>(e.num));
        net_.push_back(net);
        faults_.push_back({e.t, e.kind, e.node, static_cast<int>(i)});
        break;
      case Kind::Heal:
        net.t = e.t;
        net.partition = -1;
        net.oneway.clear();
        net_.push_back(net);
        faults_.push_back({e.t, e.kind, e.node, static_cast<int>(i)});
        break;
      case Kind::Member:
        if (has_node && e.peer >= 0)
          view_[static_cast<std::size_t>(e.node) * n + static_cast<std::size_t>(e.peer)].push_back({e.t, e.member, e.num});
        break;
      case Kind::Mode:
        if (has_node) mode_[static_cast<std::size_t>(e.node)].push_back({e.t, (e.flags & kReadonly) != 0});
        break;
      case Kind::Leader:
        if (has_node) leaders_.push_back({e.t, e.node, e.num});
        break;
      case Kind::VarWrite:
      case Kind::VarRead:
        if (has_node) {
          var_slot.emplace(e.str_a, 0);
          raw_vars.push_back({e.node, e.str_a, {e.t, e.str_b, e.str_c, (e.flags & kOk) != 0, e.kind == Kind::VarWrite}});
        }
        break;
      case Kind::AgentSpawn:
      case Kind::AgentMigrateBegin:
      case Kind::AgentMigrateEnd:
      case Kind::AgentStop: {
        // An agent must land somewhere: a global event without `to` says nothing drawable.
        if (e.kind != Kind::AgentStop && e.peer < 0) break;
        auto [it, fresh] = agent_slot.emplace(e.str_a, static_cast<int>(agents_.size()));
        if (fresh) {
          agents_.push_back(e.str_a);
          agent_changes_.emplace_back();
          pending_migration.push_back(-1);
        }
        const auto slot = static_cast<std::size_t>(it->second);
        auto& list = agent_changes_[slot];
        if (e.kind == Kind::AgentMigrateBegin) {
          pending_migration[slot] = static_cast<int>(list.size());
          list.push_back({e.t, AgentPhase::Migrating, e.peer, e.peer2 >= 0 ? e.peer2 : e.peer, -1});
        } else {
          if (pending_migration[slot] >= 0) {
            list[static_cast<std::size_t>(pending_migration[slot])].until = e.t;
            pending_migration[slot] = -1;
          }
          if (e.kind == Kind::AgentStop) list.push_back({e.t, AgentPhase::Stopped, e.node, e.node, -1});
          else list.push_back({e.t, AgentPhase::Running, e.peer, e.peer2 >= 0 ? e.peer2 : e.peer, -1});
        }
        break;
      }
      default: break;
    }
  }

  // Leader claims: prefix of the best (greatest term, latest on a tie) claim.
  best_claim_prefix_.resize(leaders_.size());
  for (std::size_t i = 0; i < leaders_.size(); ++i) {
    const int prev = i == 0 ? -1 : best_claim_prefix_[i - 1];
    best_claim_prefix_[i] = (prev < 0 || leaders_[i].term >= leaders_[static_cast<std::size_t>(prev)].term) ? static_cast<int>(i) : prev;
  }

  // Variables sorted by name so the panels list them in a stable order.
  for (const auto& kv : var_slot) vars_.push_back(kv.first);
  std::sort(vars_.begin(), vars_.end(), [&](int a, int b) { return tr.str(a) < tr.str(b); });
  for (std::size_t s = 0; s < vars_.size(); ++s) var_slot[vars_[s]] = static_cast<int>(s);
  var_changes_.assign(n * vars_.size(), {});
  for (const RawVar& r : raw_vars)
    var_changes_[static_cast<std::size_t>(r.node) * vars_.size() + static_cast<std::size_t>(var_slot[r.var])].push_back(r.c);
}

namespace {
struct LinkKey {
  int from, to;
  std::int64_t key;  // a type string id, or a message id
  bool operator==(const LinkKey& o) const { return from == o.from && to == o.to && key == o.key; }
};
struct LinkKeyHash {
  std::size_t operator()(const LinkKey& k) const {
    std::uint64_t h = static_cast<std::uint64_t>(k.key) * 0x9E3779B97F4A7C15ull;
    h ^= (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.from)) << 32 | static_cast<std::uint32_t>(k.to)) + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
    return static_cast<std::size_t>(h);
  }
};
}  // namespace

void TraceIndex::build_messages() {
  const Trace& tr = *trace_;
  std::unordered_map<LinkKey, std::deque<int>, LinkKeyHash> fifo;
  std::unordered_map<LinkKey, int, LinkKeyHash> by_id;
  std::vector<char> matched;

  auto take = [&](int from, int to, const Event& e) -> int {
    if (e.flags & kHasId) {
      auto it = by_id.find({from, to, e.msg_id});
      if (it != by_id.end()) {
        const int m = it->second;
        by_id.erase(it);
        if (!matched[static_cast<std::size_t>(m)]) return m;
      }
    }
    auto q = fifo.find({from, to, e.str_a});
    if (q == fifo.end()) return -1;
    while (!q->second.empty()) {
      const int m = q->second.front();
      q->second.pop_front();
      if (!matched[static_cast<std::size_t>(m)]) return m;
    }
    return -1;
  };

  for (const Event& e : tr.events) {
    if (e.node < 0 || e.peer < 0) continue;
    if (e.kind == Kind::MsgSend) {
      const int m = static_cast<int>(messages_.size());
      messages_.push_back({e.t, -1, e.node, e.peer, e.str_a, false});
      matched.push_back(0);
      fifo[{e.node, e.peer, e.str_a}].push_back(m);
      if (e.flags & kHasId) by_id[{e.node, e.peer, e.msg_id}] = m;
    } else if (e.kind == Kind::MsgRecv || e.kind == Kind::MsgDrop) {
      // A receive or a receiver-side drop names the sender in `from`; a sender-side drop
      // names the destination in `to`.
      const bool at_receiver = e.kind == Kind::MsgRecv || (e.flags & kDropFrom);
      const int from = at_receiver ? e.peer : e.node;
      const int to = at_receiver ? e.node : e.peer;
      const int m = take(from, to, e);
      if (m >= 0) {
        matched[static_cast<std::size_t>(m)] = 1;
        messages_[static_cast<std::size_t>(m)].end_t = e.t;
        messages_[static_cast<std::size_t>(m)].dropped = e.kind == Kind::MsgDrop;
      } else if (e.kind == Kind::MsgDrop && !at_receiver) {
        // Dropped before it was ever sent (e.g. cut by a partition): draw a short stub.
        messages_.push_back({e.t, -1, from, to, e.str_a, true});
        matched.push_back(1);
      }
    }
  }

  std::vector<std::int64_t> lat;
  for (const Message& m : messages_)
    if (m.end_t >= 0 && !m.dropped) lat.push_back(m.end_t - m.send_t);
  if (!lat.empty()) {
    std::nth_element(lat.begin(), lat.begin() + static_cast<std::ptrdiff_t>(lat.size() / 2), lat.end());
    typical_latency_us_ = std::max<std::int64_t>(100, lat[lat.size() / 2]);
  }

  // Per-link send times, CSR.
  const auto n = static_cast<std::size_t>(n_);
  link_start_.assign(n * n + 1, 0);
  for (const Message& m : messages_) ++link_start_[static_cast<std::size_t>(m.from) * n + static_cast<std::size_t>(m.to) + 1];
  for (std::size_t k = 1; k < link_start_.size(); ++k) link_start_[k] += link_start_[k - 1];
  link_sends_.resize(messages_.size());
  std::vector<std::uint32_t> fill(link_start_.begin(), link_start_.end() - 1);
  for (const Message& m : messages_) link_sends_[fill[static_cast<std::size_t>(m.from) * n + static_cast<std::size_t>(m.to)]++] = m.send_t;
}

std::int64_t TraceIndex::drawn_end(const Message& m) const {
  if (m.end_t >= 0 && !m.dropped) return std::max(m.end_t, m.send_t + 1);
  // Unanswered or dropped: visible for a typical latency (a drop shows as a stub that stops).
  return std::max(m.end_t, m.send_t + typical_latency_us_);
}

void TraceIndex::build_message_buckets() {
  bucket_us_ = std::max<std::int64_t>(1000, typical_latency_us_ * 4);
  constexpr std::int64_t kSpanBucketsMax = 64;
  const std::size_t buckets = static_cast<std::size_t>(end_t() / bucket_us_ + 2);
  bucket_start_.assign(buckets + 1, 0);
  auto span = [&](const Message& m) {
    const std::int64_t b0 = m.send_t / bucket_us_;
    const std::int64_t b1 = std::min<std::int64_t>((drawn_end(m) - 1) / bucket_us_, static_cast<std::int64_t>(buckets) - 1);
    return std::pair<std::int64_t, std::int64_t>(b0, std::max(b0, b1));
  };
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    auto [b0, b1] = span(messages_[i]);
    if (b1 - b0 >= kSpanBucketsMax) continue;
    for (std::int64_t b = b0; b <= b1; ++b) ++bucket_start_[static_cast<std::size_t>(b) + 1];
  }
  for (std::size_t k = 1; k < bucket_start_.size(); ++k) bucket_start_[k] += bucket_start_[k - 1];
  bucket_items_.resize(bucket_start_.back());
  std::vector<std::uint32_t> fill(bucket_start_.begin(), bucket_start_.end() - 1);
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    auto [b0, b1] = span(messages_[i]);
    if (b1 - b0 >= kSpanBucketsMax) {
      long_messages_.push_back(static_cast<int>(i));
      continue;
    }
    for (std::int64_t b = b0; b <= b1; ++b) bucket_items_[fill[static_cast<std::size_t>(b)]++] = static_cast<std::uint32_t>(i);
  }
}

void TraceIndex::messages_in_flight(std::int64_t t, std::vector<int>& out) const {
  const std::size_t first = out.size();
  if (t >= 0) {
    const auto b = static_cast<std::size_t>(t / bucket_us_);
    if (b + 1 < bucket_start_.size()) {
      for (std::uint32_t k = bucket_start_[b]; k < bucket_start_[b + 1]; ++k) {
        const Message& m = messages_[bucket_items_[k]];
        if (m.send_t <= t && t < drawn_end(m)) out.push_back(static_cast<int>(bucket_items_[k]));
      }
    }
  }
  bool added_long = false;
  for (int i : long_messages_) {
    const Message& m = messages_[static_cast<std::size_t>(i)];
    if (m.send_t <= t && t < drawn_end(m)) {
      out.push_back(i);
      added_long = true;
    }
  }
  if (added_long) std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

int TraceIndex::sends_between(int from, int to, std::int64_t t0, std::int64_t t1) const {
  const std::size_t k = static_cast<std::size_t>(from) * static_cast<std::size_t>(n_) + static_cast<std::size_t>(to);
  const auto b = link_sends_.begin() + link_start_[k];
  const auto e = link_sends_.begin() + link_start_[k + 1];
  return static_cast<int>(std::lower_bound(b, e, t1) - std::lower_bound(b, e, t0));
}

int TraceIndex::sends_total(int from, int to) const {
  const std::size_t k = static_cast<std::size_t>(from) * static_cast<std::size_t>(n_) + static_cast<std::size_t>(to);
  return static_cast<int>(link_start_[k + 1] - link_start_[k]);
}

}  // namespace mabeam::viz
