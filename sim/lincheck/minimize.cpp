// Shrinking a violation (minimize.h): the failing prefix, then delta debugging in which a
// dropped write takes the reads of its value along.
#include "sim/lincheck/minimize.h"

#include <algorithm>
#include <limits>
#include <string>

namespace mabeam::lincheck {
namespace {

constexpr ValueId kNone = std::numeric_limits<ValueId>::max();

// Which operations a drop takes along (minimize.h): a read (or an ok cas) whose value no
// remaining operation invoked before it completed writes goes too, when the base set had
// such a write. With appends the values read are concatenations, so a read also goes with an
// append (invoked before it completed) whose piece it contains, and with a write of a string
// it starts with.
class Provenance {
 public:
  Provenance(const std::vector<SearchOp>& ops, const std::vector<std::size_t>& base, const Values& values)
      : ops_(ops), values_(values), observes_(ops.size(), kNone), provides_(ops.size(), kNone),
        first_write_in_base_(values.size(), kNever), in_base_(ops.size(), false) {
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
      if (provides_[i] != kNone) first_write_in_base_[provides_[i]] = std::min(first_write_in_base_[provides_[i]], o.call);
    }
  }

  // `set` less the operations that lost the writes they saw, repeatedly (a cas that goes
  // may take the readers of its own value along).
  std::vector<std::size_t> close(std::vector<std::size_t> set) const {
    for (;;) {
      std::vector<std::uint64_t> first_write(values_.size(), kNever);  // earliest invocation of a write of each value
      std::vector<bool> in(ops_.size(), false);
      for (std::size_t i : set) {
        in[i] = true;
        if (provides_[i] != kNone) first_write[provides_[i]] = std::min(first_write[provides_[i]], ops_[i].call);
      }
      std::vector<std::size_t> kept;
      kept.reserve(set.size());
      for (std::size_t i : set) {
        // An observer lost its write when the base had one it could have seen (invoked
        // before the observer completed) and the set has none.
        const ValueId v = observes_[i];
        const bool lost = v != kNone && first_write_in_base_[v] < ops_[i].ret && !(first_write[v] < ops_[i].ret);
        const bool orphan = lost || (has_append_ && lost_piece(i, in));
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
      if (!in_base_[d] || in[d] || ops_[d].call >= ops_[r].ret) continue;
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
  std::vector<std::uint64_t> first_write_in_base_;  // per value: earliest invocation of a write of it
  std::vector<bool> in_base_;
  bool has_append_ = false;
};

std::vector<SearchOp> subset(const std::vector<SearchOp>& ops, const std::vector<std::size_t>& set) {
  std::vector<SearchOp> out;
  out.reserve(set.size());
  for (std::size_t i : set) out.push_back(ops[i]);
  return out;
}

// `base` plus, for each ok cas in it still open at `cut`, the writes of the value it expects
// invoked before it completed (and so on for the cas among those), when none is in yet.
std::vector<std::size_t> with_writers_of_open_cas(const std::vector<SearchOp>& ops, std::vector<std::size_t> base,
                                                  std::uint64_t cut) {
  std::vector<bool> in(ops.size(), false);
  for (std::size_t i : base) in[i] = true;
  std::vector<std::size_t> todo;
  for (std::size_t i : base)
    if (ops[i].op.kind == OpKind::cas && ops[i].ret != kNever && ops[i].ret > cut) todo.push_back(i);
  auto writes = [&](const SearchOp& o, ValueId v) {
    return (o.op.kind == OpKind::write && o.op.a == v) || (o.op.kind == OpKind::cas && o.op.b == v);
  };
  while (!todo.empty()) {
    const SearchOp& c = ops[todo.back()];
    todo.pop_back();
    const ValueId e = c.op.a;
    if (e == Values::kNull) continue;
    bool written = false;
    for (std::size_t i : base) written = written || writes(ops[i], e);
    if (written) continue;
    for (std::size_t w = 0; w < ops.size(); ++w) {
      if (in[w] || !writes(ops[w], e) || ops[w].call >= c.ret) continue;
      in[w] = true;
      base.push_back(w);
      if (ops[w].op.kind == OpKind::cas && ops[w].ret != kNever) todo.push_back(w);
    }
  }
  std::sort(base.begin(), base.end());
  return base;
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
    const bool open_read = ops[i].op.kind == OpKind::read && ops[i].ret > cut;
    if (ops[i].call <= cut && !open_read) base.push_back(i);
  }
  // An ok cas open at the cut may expect a value written only after the cut; with those
  // writes added, the set shows why that cas is fine, and normally still fails (checked;
  // else the set without them, which must).
  std::vector<std::size_t> extended = with_writers_of_open_cas(ops, base, cut);
  if (extended.size() != base.size()) {
    if (fails(subset(ops, extended))) base = std::move(extended);
    if (budget.exhausted()) return m;
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
