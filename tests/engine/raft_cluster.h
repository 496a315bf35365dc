// A deterministic in-memory cluster of Raft cores for the consensus tests: the harness is
// the driver of each core (it keeps the Ready order of raft.h), the network (messages in
// flight, drops, partitions) and the disks (what is durable survives a crash, what was
// handed to the disk but not synced is lost). After every step a test can run the
// invariant checker (engine/consensus/invariants.h) over the live nodes.
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/consensus/codec.h"
#include "engine/consensus/invariants.h"
#include "engine/consensus/raft.h"
#include "engine/rng.h"

namespace mabeam::test {

struct RaftNodeSim {
  std::string name;
  std::unique_ptr<raft::Raft> core;
  raft::Recovered durable;          // what a crash keeps
  std::deque<raft::Ready> unsynced; // handed to the disk, sync not yet done
  std::vector<std::string> state;   // the state machine: data of applied normal entries
  raft::Index applied = 0;
  std::vector<raft::ReadState> reads;  // read states served (index reached)
  std::vector<raft::ReadState> reads_waiting;
  bool up = true;
  std::uint64_t storage_id = 0;
};

struct RaftClusterOptions {
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  std::size_t max_inflight = 4;
  std::size_t append_entries_max = 8;
  bool pre_vote = true;
  bool check_quorum = true;
  raft::ReadMode read = raft::ReadMode::read_index;
  raft::TestBugs bugs;
  bool auto_sync = true;               // sync right after each Ready
  std::size_t snapshot_entries = 0;    // compact once this many entries follow the snapshot
};

class RaftCluster {
 public:
  using Options = RaftClusterOptions;

  RaftCluster(std::vector<std::string> names, std::uint64_t seed, Options opt = {},
              std::set<std::string> voters = {})
      : opt_(opt), rng_(seed), seed_(seed) {
    voters_ = voters.empty() ? std::set<std::string>(names.begin(), names.end()) : voters;
    for (const auto& n : names) {
      auto& node = nodes_[n];
      node.name = n;
      node.storage_id = fnv1a64(n) ^ seed;
      boot(node);
    }
  }

  raft::RaftConfig config_for(const RaftNodeSim& node) const {
    raft::RaftConfig c;
    c.self = node.name;
    c.initial_voters = voters_;
    c.cluster_id = 42;
    c.storage_id = node.storage_id;
    c.election_ticks = opt_.election_ticks;
    c.heartbeat_ticks = opt_.heartbeat_ticks;
    c.max_inflight = opt_.max_inflight;
    c.append_entries_max = opt_.append_entries_max;
    c.pre_vote = opt_.pre_vote;
    c.check_quorum = opt_.check_quorum;
    c.read = opt_.read;
    c.bugs = opt_.bugs;
    return c;
  }

  RaftNodeSim& node(const std::string& n) { return nodes_.at(n); }
  raft::Raft& core(const std::string& n) { return *nodes_.at(n).core; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [n, node] : nodes_) out.push_back(n);
    return out;
  }

  // ---- driving ----

  void tick(const std::string& n) {
    auto& node = nodes_.at(n);
    if (!node.up) return;
    node.core->tick();
    drive(node);
  }
  void tick_all() {
    for (auto& [n, node] : nodes_) tick(n);
  }
  // Takes every Ready of a node and keeps the driver's order (raft.h).
  void drive(RaftNodeSim& node) {
    while (node.up && node.core->has_ready()) {
      raft::Ready r = node.core->take_ready();
      if (opt_.bugs.ack_before_sync && r.must_persist()) {
        // The broken driver: reports the entries durable and sends before the sync.
        if (!r.entries.empty() || r.snapshot) node.core->on_persisted(r.persisted_index, r.persisted_term);
        for (auto& m : r.messages) net_.push_back(std::move(m));
        r.messages.clear();
      }
      node.unsynced.push_back(std::move(r));
      if (opt_.auto_sync) sync(node.name);
    }
  }
  // Completes the sync of everything handed to the disk: it becomes durable, then the
  // messages leave and committed entries are applied.
  void sync(const std::string& n) {
    auto& node = nodes_.at(n);
    while (node.up && !node.unsynced.empty()) {
      raft::Ready r = std::move(node.unsynced.front());
      node.unsynced.pop_front();
      persist(node, r);
      if (!opt_.bugs.ack_before_sync && (!r.entries.empty() || r.snapshot))
        node.core->on_persisted(r.persisted_index, r.persisted_term);
      for (auto& m : r.messages) net_.push_back(std::move(m));
      apply(node, r);
    }
    drive(node);
  }

  Result<raft::Index> propose(const std::string& n, const std::string& data) {
    auto& node = nodes_.at(n);
    auto r = node.core->propose(Bytes(data.begin(), data.end()));
    drive(node);
    return r;
  }

  // ---- the network ----

  std::size_t in_flight() const { return net_.size(); }
  const std::deque<raft::Message>& messages() const { return net_; }
  bool cut(const std::string& a, const std::string& b) const { return cuts_.count({a, b}) != 0; }
  void partition(const std::vector<std::set<std::string>>& groups) {
    cuts_.clear();
    for (const auto& [a, na] : nodes_)
      for (const auto& [b, nb] : nodes_) {
        if (a == b) continue;
        bool same = false;
        for (const auto& g : groups) same = same || (g.count(a) && g.count(b));
        if (!same) cuts_.insert({a, b});
      }
  }
  void isolate(const std::string& n) {
    std::set<std::string> rest;
    for (const auto& [m, node] : nodes_)
      if (m != n) rest.insert(m);
    partition({{n}, rest});
  }
  void heal() { cuts_.clear(); }
  // Delivers the message at position i (dropped if its link is cut or its target is down).
  void deliver(std::size_t i) {
    raft::Message m = std::move(net_[i]);
    net_.erase(net_.begin() + static_cast<std::ptrdiff_t>(i));
    auto it = nodes_.find(m.to);
    if (it == nodes_.end() || !it->second.up || cut(m.from, m.to)) return;
    // Through the codec, as on the wire.
    const Bytes wire = raft::encode_wire(m);
    Reader rd(wire);
    MessageHeader h;
    read_header(rd, h);
    raft::Message back;
    back.type = m.type;
    if (!raft::decode_body(rd, back) || !rd.at_end()) throw std::runtime_error("codec round trip failed");
    it->second.core->step(back);
    drive(it->second);
  }
  void deliver_all(std::size_t max_rounds = 100000) {
    for (std::size_t k = 0; k < max_rounds && !net_.empty(); ++k) deliver(0);
  }
  void drop_all() { net_.clear(); }
  void drop(std::size_t i) { net_.erase(net_.begin() + static_cast<std::ptrdiff_t>(i)); }
  // Delivers a copy of message i and leaves the original in flight (a duplicate).
  void duplicate(std::size_t i) {
    net_.push_back(net_[i]);
    deliver(net_.size() - 1);
  }

  // Ticks everyone and delivers everything, `rounds` times.
  void settle(int rounds = 50) {
    for (int i = 0; i < rounds; ++i) {
      tick_all();
      deliver_all();
      check();
    }
  }

  // ---- crashes ----

  void crash(const std::string& n) {
    auto& node = nodes_.at(n);
    node.up = false;
    node.unsynced.clear();  // handed to the disk, never synced: lost
    node.core.reset();
    node.state.clear();
    node.applied = 0;
    node.reads.clear();
    node.reads_waiting.clear();
  }
  void restart(const std::string& n) {
    auto& node = nodes_.at(n);
    node.up = true;
    boot(node);
    drive(node);
  }
  // A node back with an empty data directory (another storage id).
  void wipe(const std::string& n) {
    auto& node = nodes_.at(n);
    crash(n);
    node.durable = {};
    node.storage_id += 1000003;
  }

  // ---- checking ----

  std::string leader() const {
    std::string best;
    raft::Term t = 0;
    for (const auto& [n, node] : nodes_)
      if (node.up && node.core->role() == raft::Role::leader && node.core->term() >= t) best = n, t = node.core->term();
    return best;
  }
  // Runs the invariant checker over the live nodes; collects violations.
  void check() {
    std::vector<raft::NodeView> views;
    for (const auto& [n, node] : nodes_)
      if (node.up) views.push_back(raft::view_of(*node.core));
    for (auto& v : invariants_.check(views)) violations.push_back(std::move(v));
  }
  std::vector<std::string> violations;
  raft::Invariants& invariants() { return invariants_; }
  Rng& rng() { return rng_; }
  std::uint64_t seed() const { return seed_; }

 private:
  void boot(RaftNodeSim& node) {
    node.core = std::make_unique<raft::Raft>(config_for(node), Rng::for_node(seed_ + boots_++, node.name), node.durable);
    node.applied = node.durable.snapshot ? node.durable.snapshot->index : 0;
    node.state = node.durable.snapshot ? decode_state(node.durable.snapshot->data) : std::vector<std::string>{};
  }
  void persist(RaftNodeSim& node, const raft::Ready& r) {
    if (r.hard_state) node.durable.hard_state = *r.hard_state;
    if (r.snapshot) {
      node.durable.snapshot = *r.snapshot;
      auto& es = node.durable.entries;
      es.erase(std::remove_if(es.begin(), es.end(), [&](const raft::Entry& e) { return e.index <= r.snapshot->index; }),
               es.end());
      if (!es.empty() && es.front().index != r.snapshot->index + 1) es.clear();
    }
    for (const auto& e : r.entries) {
      auto& es = node.durable.entries;
      while (!es.empty() && es.back().index >= e.index) es.pop_back();
      es.push_back(e);
    }
  }
  void apply(RaftNodeSim& node, const raft::Ready& r) {
    if (r.snapshot) {
      node.state = decode_state(r.snapshot->data);
      node.applied = r.snapshot->index;
    }
    for (const auto& e : r.committed) {
      if (e.index != node.applied + 1) {
        violations.push_back(node.name + " applied index " + std::to_string(e.index) + " after " + std::to_string(node.applied));
        continue;
      }
      node.applied = e.index;
      const std::string data(e.data.begin(), e.data.end());
      if (e.kind == raft::EntryKind::normal) node.state.push_back(data);
      if (auto v = invariants_.applied(node.name, e.index, e.term, fnv1a64(data))) violations.push_back(*v);
    }
    for (const auto& rs : r.read_states) node.reads_waiting.push_back(rs);
    for (auto it = node.reads_waiting.begin(); it != node.reads_waiting.end();) {
      if (it->index <= node.applied) {
        node.reads.push_back(*it);
        it = node.reads_waiting.erase(it);
      } else {
        ++it;
      }
    }
    if (opt_.snapshot_entries > 0 && node.applied >= node.core->snapshot().index + opt_.snapshot_entries) {
      const Bytes data = encode_state(node.state);
      raft::Snapshot s;
      if (node.core->compact(node.applied, data)) {
        node.durable.snapshot = node.core->snapshot();
        auto& es = node.durable.entries;
        es.erase(std::remove_if(es.begin(), es.end(), [&](const raft::Entry& e) { return e.index <= node.applied; }), es.end());
      }
    }
  }
  static Bytes encode_state(const std::vector<std::string>& s) {
    Writer w;
    w.varint(s.size());
    for (const auto& x : s) w.str(x);
    return w.take();
  }
  static std::vector<std::string> decode_state(const Bytes& b) {
    Reader r(b);
    std::size_t n = 0;
    std::vector<std::string> out;
    if (!r.count(n)) return out;
    for (std::size_t i = 0; i < n; ++i) {
      std::string x;
      if (!r.str(x)) break;
      out.push_back(x);
    }
    return out;
  }

  Options opt_;
  Rng rng_;
  std::uint64_t seed_;
  std::uint64_t boots_ = 0;
  std::set<std::string> voters_;
  std::map<std::string, RaftNodeSim> nodes_;
  std::deque<raft::Message> net_;
  std::set<std::pair<std::string, std::string>> cuts_;
  raft::Invariants invariants_;
};

}  // namespace mabeam::test
