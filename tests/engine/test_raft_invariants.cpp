// The Raft invariant checker itself: each property is fed a deliberately broken state and
// must report it (and a sound state of the same shape must pass), so a clean chaos run
// means something.
#include <catch2/catch.hpp>

#include "engine/consensus/invariants.h"

using namespace mabeam::raft;

namespace {
// A node whose log holds one entry per listed term, from index 1.
NodeView node(const std::string& name, Term term, bool leader, Index commit, std::vector<Term> log) {
  NodeView v;
  v.name = name;
  v.term = term;
  v.leader = leader;
  v.commit = commit;
  v.last_index = log.size();
  v.term_at = [log](Index i) -> std::optional<Term> {
    if (i == 0 || i > log.size()) return std::nullopt;
    return log[i - 1];
  };
  return v;
}

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  for (const auto& l : lines)
    if (l.find(what) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("raft invariants: a sound cluster passes") {
  Invariants inv;
  auto out = inv.check({node("n1", 2, true, 3, {1, 1, 2}), node("n2", 2, false, 3, {1, 1, 2}), node("n3", 2, false, 1, {1})});
  CHECK(out.empty());
  CHECK(!inv.applied("n1", 1, 1, 77));
  CHECK(!inv.applied("n2", 1, 1, 77));
}

TEST_CASE("raft invariants: election safety catches two leaders in one term, also across checks") {
  Invariants inv;
  auto now = inv.check({node("n1", 3, true, 0, {}), node("n2", 3, true, 0, {})});
  CHECK(mentions(now, "election safety: n1 and n2 are both leader in term 3"));
  Invariants later;
  CHECK(later.check({node("n1", 3, true, 0, {})}).empty());
  auto out = later.check({node("n1", 4, false, 0, {}), node("n2", 3, true, 0, {})});  // n1 gone, n2 leads term 3 too
  CHECK(mentions(out, "election safety"));
}

TEST_CASE("raft invariants: log matching catches logs that agree on an entry but not before it") {
  Invariants inv;
  auto out = inv.check({node("n1", 3, false, 0, {1, 1, 3}), node("n2", 3, false, 0, {1, 2, 3})});
  CHECK(mentions(out, "log matching: n1 and n2 agree at index 3 (term 3) but differ at index 2"));
  // Diverging suffixes are fine: they agree on nothing after the fork.
  Invariants ok;
  CHECK(ok.check({node("n1", 3, false, 0, {1, 1, 2}), node("n2", 3, false, 0, {1, 1, 3})}).empty());
}

TEST_CASE("raft invariants: leader completeness catches a leader without a committed entry") {
  Invariants inv;
  CHECK(inv.check({node("n1", 2, true, 2, {1, 2}), node("n2", 2, false, 2, {1, 2})}).empty());
  // A leader of term 3 that lacks index 2, which was known committed in term 2.
  auto out = inv.check({node("n3", 3, true, 1, {1})});
  CHECK(mentions(out, "leader completeness: leader n3 of term 3 lacks committed index 2 (term 2)"));
  // A node that counts another entry committed at the same index.
  auto changed = inv.check({node("n2", 3, false, 2, {1, 3})});
  CHECK(mentions(changed, "counts index 2 (term 3) committed"));
}

TEST_CASE("raft invariants: state machine safety catches two nodes applying different entries at one index") {
  Invariants inv;
  CHECK(!inv.applied("n1", 5, 2, 100));
  auto other_term = inv.applied("n2", 5, 3, 100);
  REQUIRE(other_term);
  CHECK(other_term->find("state machine safety: n2 applied index 5 (term 3) but n1 applied index 5 (term 2)") != std::string::npos);
  auto other_content = inv.applied("n3", 5, 2, 101);
  REQUIRE(other_content);
  CHECK(other_content->find("with other content") != std::string::npos);
}
