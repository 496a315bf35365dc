// Raft's safety properties as a checker that tests (and the simulator) run after every
// step of a cluster, in the manner of LogCabin's RaftConsensusInvariants. It sees each
// node through a NodeView (a term, a role, a commit index and a way to read the log) and
// remembers across calls what it has seen, so a property that spans time (one leader per
// term, a committed entry never lost) is checked too:
//   election safety      at most one leader per term, ever;
//   log matching         two logs holding an entry with the same index and term hold the
//                        same entries up to it;
//   leader completeness  an entry once committed is in the log of every leader of a term
//                        at or after the one it was known committed in, and no node that
//                        counts it committed ever holds another entry there;
//   state machine safety no two nodes apply different entries at one index.
// Each violated property comes back as one line saying which nodes, which index and term.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/consensus/raft.h"

namespace mabeam::raft {

struct NodeView {
  std::string name;
  Term term = 0;
  bool leader = false;
  Index commit = 0;
  Index snap_index = 0;  // entries up to here are compacted (snap_term is the last one's term)
  Term snap_term = 0;
  Index last_index = 0;
  std::function<std::optional<Term>(Index)> term_at;  // for snap_index..last_index
};

// A view of a live core (valid while `raft` lives).
NodeView view_of(const Raft& raft);

class Invariants {
 public:
  // Checks the nodes' current states against each other and against what was seen before.
  // Returns one line per violation (empty: all hold).
  std::vector<std::string> check(const std::vector<NodeView>& nodes);
  // Records that `node` applied the entry (index, term) whose content hashes to `hash`.
  // Returns a violation when another node applied something else at that index.
  std::optional<std::string> applied(const std::string& node, Index index, Term term, std::uint64_t hash);

  std::size_t leaders_seen() const { return leaders_.size(); }
  std::size_t committed_seen() const { return committed_.size(); }

 private:
  struct Committed {
    Term term = 0;       // the entry's term
    Term known_in = 0;   // the lowest term of a node that counted it committed
    std::string by;      // that node
  };
  struct Applied {
    Term term = 0;
    std::uint64_t hash = 0;
    std::string by;
  };
  void election_safety(const std::vector<NodeView>& nodes, std::vector<std::string>& out);
  void log_matching(const std::vector<NodeView>& nodes, std::vector<std::string>& out);
  void leader_completeness(const std::vector<NodeView>& nodes, std::vector<std::string>& out);

  std::map<Term, std::string> leaders_;
  std::map<Index, Committed> committed_;
  std::map<Index, Applied> applied_;
};

}  // namespace mabeam::raft
