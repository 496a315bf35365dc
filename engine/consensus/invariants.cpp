// The Raft safety checker (see invariants.h).
#include "engine/consensus/invariants.h"

#include <algorithm>

namespace mabeam::raft {

namespace {
std::string at(Index i, Term t) { return "index " + std::to_string(i) + " (term " + std::to_string(t) + ")"; }

// The term a view holds at i: from the log, or the snapshot's for its last index. nullopt:
// not held, or compacted into the snapshot (unknown).
std::optional<Term> held(const NodeView& v, Index i) {
  if (i == v.snap_index) return v.snap_term;
  if (i < v.snap_index || i > v.last_index) return std::nullopt;
  return v.term_at(i);
}
}  // namespace

NodeView view_of(const Raft& raft) {
  NodeView v;
  v.name = raft.self();
  v.term = raft.term();
  v.leader = raft.role() == Role::leader;
  v.commit = raft.commit();
  v.snap_index = raft.snapshot().index;
  v.snap_term = raft.snapshot().term;
  v.last_index = raft.last_index();
  v.term_at = [&raft](Index i) { return raft.term_at(i); };
  return v;
}

std::vector<std::string> Invariants::check(const std::vector<NodeView>& nodes) {
  std::vector<std::string> out;
  election_safety(nodes, out);
  log_matching(nodes, out);
  leader_completeness(nodes, out);
  return out;
}

void Invariants::election_safety(const std::vector<NodeView>& nodes, std::vector<std::string>& out) {
  for (const auto& v : nodes) {
    if (!v.leader) continue;
    auto [it, inserted] = leaders_.emplace(v.term, v.name);
    if (!inserted && it->second != v.name)
      out.push_back("election safety: " + it->second + " and " + v.name + " are both leader in term " + std::to_string(v.term));
  }
}

void Invariants::log_matching(const std::vector<NodeView>& nodes, std::vector<std::string>& out) {
  for (std::size_t a = 0; a < nodes.size(); ++a) {
    for (std::size_t b = a + 1; b < nodes.size(); ++b) {
      const NodeView& x = nodes[a];
      const NodeView& y = nodes[b];
      const Index lo = std::max(x.snap_index, y.snap_index);
      const Index hi = std::min(x.last_index, y.last_index);
      if (lo > hi) continue;
      // The highest index both hold with one term: everything from lo up to it must agree.
      Index top = 0;
      for (Index i = hi; i >= lo && i > 0; --i) {
        if (held(x, i) == held(y, i)) {
          top = i;
          break;
        }
        if (i == lo) break;
      }
      for (Index i = lo; i < top; ++i) {
        const auto tx = held(x, i), ty = held(y, i);
        if (tx != ty) {
          out.push_back("log matching: " + x.name + " and " + y.name + " agree at " + at(top, held(x, top).value_or(0)) +
                        " but differ at index " + std::to_string(i) + " (terms " + std::to_string(tx.value_or(0)) + " and " +
                        std::to_string(ty.value_or(0)) + ")");
          break;
        }
      }
    }
  }
}

void Invariants::leader_completeness(const std::vector<NodeView>& nodes, std::vector<std::string>& out) {
  // Learn what each node counts committed, and check it never changes.
  for (const auto& v : nodes) {
    const Index from = std::max<Index>(v.snap_index, 1);
    for (Index i = from; i <= v.commit && i <= v.last_index; ++i) {
      const auto t = held(v, i);
      if (!t) continue;
      auto it = committed_.find(i);
      if (it == committed_.end()) {
        committed_[i] = Committed{*t, v.term, v.name};
      } else if (it->second.term != *t) {
        out.push_back("leader completeness: " + v.name + " counts " + at(i, *t) + " committed, but " + it->second.by +
                      " counted " + at(i, it->second.term) + " committed");
      } else if (v.term < it->second.known_in) {
        it->second.known_in = v.term;
        it->second.by = v.name;
      }
    }
  }
  for (const auto& v : nodes) {
    if (!v.leader) continue;
    for (const auto& [i, c] : committed_) {
      if (v.term < c.known_in || i < v.snap_index) continue;
      const auto t = held(v, i);
      if (t != c.term)
        out.push_back("leader completeness: leader " + v.name + " of term " + std::to_string(v.term) + " lacks committed " +
                      at(i, c.term) + " (" + (t ? "holds term " + std::to_string(*t) : std::string("does not hold it")) +
                      "; committed as seen by " + c.by + " in term " + std::to_string(c.known_in) + ")");
    }
  }
}

std::optional<std::string> Invariants::applied(const std::string& node, Index index, Term term, std::uint64_t hash) {
  auto [it, inserted] = applied_.emplace(index, Applied{term, hash, node});
  if (inserted || (it->second.term == term && it->second.hash == hash)) return std::nullopt;
  return "state machine safety: " + node + " applied " + at(index, term) + " but " + it->second.by + " applied " +
         at(index, it->second.term) + (it->second.term == term ? " with other content" : "");
}

}  // namespace mabeam::raft
