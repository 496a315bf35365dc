// Shrinking a violation (minimize.h): the failing prefix, then delta debugging in which a
// dropped write takes the reads of its value along.
#include "sim/lincheck/minimize.h"

#include <algorithm>
#include <limits>
#include <string>

namespace mabeam::lincheck {
namespace {

constexpr ValueId kNone = std::numeric_limits<ValueId>::max();

// Which operations a drop takes along (minimize.h): a read (or a cas) whose value no
// remaining operation writes goes too, when some operation of the base set wrote it. With
// appends the values read are concatenations, so a read also goes with an append whose piece
// it contains, and with a write of a string it starts with.
class Provenance {
 public:
  Provenance(const std::vector<SearchOp>& ops, const std::vector<std::size_t>& base, const Values& values)
      : ops_(ops), values_(values), observes_(ops.size(), kNone), provides_(ops.size(), kNone),
        written_in_base_(values.size(), false), in_base_(ops.size(), false) {
    for (std::size_t i : base) {
      in_base_[i] = true;
      has_append_ = has_append_ || ops[i].op.kind == OpKind::append;
      const SearchOp& o = ops[i];
      switch (o.op.kind) {
        case OpKind::read:
          if (o.op.a != Values::kNull) observes_[i] = o.op.a;
          break;
        case OpKind::cas:
          if (o.ret != kNever && o.op.a != Values::kNull) observes_[i] = o.op.a;
          provides_[i] = o.op.b;
          break;
        case OpKind::write: provides_[i] = o.op.a; break;
        case OpKind::append: break;
      }
      if (provides_[i] != kNone) written_in_base_[provides_[i]] = true;
    }
  }

  // `set` less the operations that lost the writes they saw, repeatedly (a cas that goes
  // may take the readers of its own value along).
  std::vector<std::size_t> close(std::vector<std::size_t> set) const {
    for (;;) {
      std::vector<std::uint32_t> writers(values_.size(), 0);
      std::vector<bool> in(ops_.size(), false);
      for (std::size_t i : set) {
        in[i] = true;
        if (provides_[i] != kNone) ++writers[provides_[i]];
      }
      std::vector<std::size_t> kept;
      kept.reserve(set.size());
      for (std::size_t i : set) {
        const ValueId v = observes_[i];
        const bool orphan = (v != kNone && written_in_base_[v] && writers[v] == 0) || (has_append_ && lost_piece(i, in));
        if (!orphan) kept.push_back(i);
      }
      if (kept.size() == set.size()) return kept;
      set = std::move(kept);
    }
  }

 private:
  // Whether read `r` contains the piece of an append (or starts with a written string) of
  // the base set that is not in `in`.
  bool lost_piece(std::size_t r, const std::vector<bool>& in) const {
    if (ops_[r].op.kind != OpKind::read) return false;
    const nlohmann::json& seen = values_.value(ops_[r].op.a);
    if (!seen.is_string()) return false;
    const std::string& s = seen.get_ref<const std::string&>();
    for (std::size_t d = 0; d < ops_.size(); ++d) {
      if (!in_base_[d] || in[d]) continue;
      const OpKind k = ops_[d].op.kind;
      if (k != OpKind::append && k != OpKind::write) continue;
      const nlohmann::json& piece = values_.value(ops_[d].op.a);
      if (!piece.is_string() || piece.get_ref<const std::string&>().empty()) continue;
      const std::string& p = piece.get_ref<const std::string&>();
      if (k == OpKind::append ? s.find(p) != std::string::npos : s.rfind(p, 0) == 0) return true;
    }
    return false;
  }

  const std::vector<SearchOp>& ops_;
  const Values& values_;
  std::vector<ValueId> observes_, provides_;
  std::vector<bool> written_in_base_, in_base_;
  bool has_append_ = false;
};

std::vector<SearchOp> subset(const std::vector<SearchOp>& ops, const std::vector<std::size_t>& set) {
  std::vector<SearchOp> out;
  out.reserve(set.size());
  for (std::size_t i : set) out.push_back(ops[i]);
  return out;
}

}  // namespace

Minimized minimize(const std::vector<SearchOp>& ops, Values& values, Budget& budget, std::uint64_t furthest_completion) {
  Minimized m;
  m.keep.resize(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) m.keep[i] = i;
  bool proven = true;
  // Runs one search; a cache overrun counts as "could not show it fails" (and the result
  // is then not shown minimal).
  auto fails = [&](const std::vector<SearchOp>& candidate) {
    const SearchVerdict v = search(candidate, values, budget);
    if (v == SearchVerdict::undecided && budget.memory_hit()) {
      budget.clear_memory_hit();
      proven = false;
    }
    return v == SearchVerdict::not_linearizable;
  };

  // 1. The first completion after which the history cannot be ordered is the furthest one
  // the failed search reached (minimize.h).
  const std::uint64_t cut = furthest_completion;
  std::vector<std::size_t> base;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    // Reads still open at the cut were left out of the prefix; they would only bring values
    // whose writes may come after the cut.
    const bool open_read = ops[i].op.kind == OpKind::read && ops[i].ret > cut;
    if (ops[i].call <= cut && !open_read) base.push_back(i);
  }
  const Provenance provenance(ops, base, values);

  // 2. The violation is at the end of the prefix: the shortest tail of it (1, 2, 4, ...
  // operations, with the reads that lost their writes left out) that still fails.
  std::vector<std::size_t> set;
  for (std::size_t tail = 1;; tail *= 2) {
    if (budget.exhausted()) return m;
    const bool whole = tail >= base.size();
    std::vector<std::size_t> candidate(base.end() - static_cast<std::ptrdiff_t>(whole ? base.size() : tail), base.end());
    candidate = provenance.close(std::move(candidate));
    if (!candidate.empty() && fails(subset(ops, candidate))) {
      set = std::move(candidate);
      break;
    }
    if (whole) {
      if (budget.exhausted()) return m;
      set = m.keep;  // not expected (see minimize.h, 1.); shrink from the whole instead
      break;
    }
  }

  // 3. Delta debugging: drop chunks, then single operations, while what remains fails.
  auto try_without = [&](std::size_t at, std::size_t count) {
    std::vector<std::size_t> candidate;
    candidate.reserve(set.size());
    for (std::size_t k = 0; k < set.size(); ++k)
      if (k < at || k >= at + count) candidate.push_back(set[k]);
    candidate = provenance.close(std::move(candidate));
    if (candidate.empty()) return false;
    if (!fails(subset(ops, candidate))) return false;
    set = std::move(candidate);
    return true;
  };
  for (std::size_t chunk = set.size() / 2; chunk >= 2; chunk /= 2) {
    for (std::size_t at = 0; at < set.size();) {
      if (budget.exhausted()) break;
      if (!try_without(at, chunk)) at += chunk;
    }
  }
  bool changed = true;
  while (changed && !budget.exhausted()) {
    changed = false;
    for (std::size_t at = 0; at < set.size();) {
      if (budget.exhausted()) break;
      if (try_without(at, 1)) changed = true;
      else ++at;
    }
  }
  m.keep = std::move(set);
  m.minimal = proven && !budget.exhausted();
  return m;
}

}  // namespace mabeam::lincheck
