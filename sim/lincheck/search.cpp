// The linearization search (search.h): the budget, the walk over the entry list
// (entry_list.h) with its reductions, and the cache of configurations (config_cache.h).
#include "sim/lincheck/search.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <map>
#include <tuple>

#include "sim/lincheck/config_cache.h"
#include "sim/lincheck/entry_list.h"

namespace mabeam::lincheck {

Budget::Budget(std::uint64_t steps_max, std::optional<Clock::duration> timeout, std::size_t cache_bytes_max)
    : steps_max_(steps_max), timeout_(timeout), cache_bytes_max_(cache_bytes_max) {
  if (timeout_) deadline_ = Clock::now() + *timeout_;
}

bool Budget::exhaust_steps() {
  over_ = true;
  if (reason_.empty()) reason_ = "the step budget of " + std::to_string(steps_max_) + " steps ran out";
  return false;
}

bool Budget::exhaust_time() {
  over_ = true;
  if (reason_.empty()) {
    const double s = std::chrono::duration<double>(*timeout_).count();
    char text[64];
    std::snprintf(text, sizeof text, "%g", s);
    reason_ = std::string("the time budget of ") + text + " s ran out after " + std::to_string(steps_) + " steps";
  }
  return false;
}

bool Budget::cache_fits(std::size_t bytes) {
  if (bytes <= cache_bytes_max_) return true;
  memory_hit_ = true;
  return false;
}

namespace {

// Drops the info/pending writes and cas whose value nothing could observe after them: no
// read returns it and no cas expects it once they are invoked. Such an operation never
// helps: linearized, it would set a value that only a write can follow, and the sequence
// without it is as legal. Without this, every such operation (a client timed out and its
// write was lost) doubles the configurations from its invocation on, since each may or may
// not have taken effect. Dropping one can leave a cas it fed unobserved too, so it repeats.
// Not for histories with appends, whose reads observe concatenations.
std::vector<SearchOp> without_unobservable(const std::vector<SearchOp>& ops, const Values& values) {
  for (const SearchOp& o : ops)
    if (o.op.kind == OpKind::append) return ops;
  std::vector<SearchOp> kept = ops;
  for (bool dropped = true; dropped;) {
    dropped = false;
    std::vector<std::uint64_t> observed_until(values.size(), 0);  // latest completion of an observer
    for (const SearchOp& o : kept) {
      if (o.op.kind == OpKind::read || o.op.kind == OpKind::cas)
        observed_until[o.op.a] = std::max(observed_until[o.op.a], o.ret);
    }
    std::vector<SearchOp> next;
    next.reserve(kept.size());
    for (const SearchOp& o : kept) {
      const bool writes = o.op.kind == OpKind::write || o.op.kind == OpKind::cas;
      const ValueId v = o.op.kind == OpKind::cas ? o.op.b : o.op.a;
      if (o.ret == kNever && writes && observed_until[v] <= o.call) {
        dropped = true;
        continue;
      }
      next.push_back(o);
    }
    kept = std::move(next);
  }
  return kept;
}

using detail::ConfigCache;
using detail::Entry;
using detail::EntryList;
using detail::kNil;

// One search over one register's operations (search.h). The walk keeps three kinds of lifted
// operations: choices (on a stack, each undone in turn when what follows fails), and free
// ones taken along with a choice without branching (reads that fit the state, blind writes
// absorbed by a write), which the choice's undo puts back.
class Walk {
 public:
  Walk(std::vector<SearchOp> ops, Values& values, Budget& budget, SearchStats* stats)
      : ops_(std::move(ops)), values_(values), budget_(budget), stats_(stats), list_(ops_),
        cache_((optional_count(ops_) + 63) / 64) {
    // Completed operations are tracked in `linearized_`, optional ones (info, pending) in
    // `available_` (set while not linearized): the cache compares the two differently.
    index_.resize(ops_.size());
    std::uint32_t done = 0, optional = 0;
    for (std::uint32_t i = 0; i < ops_.size(); ++i) index_[i] = ops_[i].ret == kNever ? optional++ : done++;
    linearized_.assign((done + 63) / 64, 0);
    available_.assign((optional + 63) / 64, 0);
    for (std::uint32_t i = 0; i < ops_.size(); ++i)
      if (ops_[i].ret == kNever) available_[index_[i] / 64] |= std::uint64_t{1} << (index_[i] % 64);
    classify();
  }

  SearchVerdict run() {
    take_reads();
    std::uint32_t cur = list_.first();
    bool optional_pass = false;  // the second pass over a configuration's next operations
    while (cur != kNil) {
      if (!budget_.step()) return SearchVerdict::undecided;
      const Entry& e = list_[cur];
      const SearchOp& op = ops_[e.op];
      if (e.is_call) {
        // Reads still in the list do not fit the state (those that fit were taken); blind
        // writes wait to be absorbed by a write, or for their completion. Completed
        // operations are tried first, optional ones in a second pass.
        const bool candidate = op.op.kind != OpKind::read && !blind_[e.op] && (op.ret == kNever) == optional_pass;
        if (candidate && choose(cur, false, optional_pass)) {
          cur = list_.first();
          optional_pass = false;
        } else {
          if (memory_over_) return SearchVerdict::undecided;
          cur = e.next;
        }
        continue;
      }
      // A completion: its operation is not linearized yet, and everything after it must come later.
      if (op.ret == kNever) return SearchVerdict::linearizable;  // only info/pending ops remain
      if (!optional_pass) {
        optional_pass = true;
        cur = list_.first();
        continue;
      }
      if (blind_[e.op] && choose(list_.call_of(cur), true, true)) {
        cur = list_.first();
        optional_pass = false;
        continue;
      }
      if (memory_over_) return SearchVerdict::undecided;
      if (stats_ != nullptr) stats_->furthest_completion = std::max(stats_->furthest_completion, op.ret);
      // Undo the last choice and go on after it, in the pass it was made in; a forced one
      // had no alternative, so undo the one before it too.
      for (;;) {
        if (choices_.empty()) return SearchVerdict::not_linearizable;
        const Choice c = choices_.back();
        choices_.pop_back();
        undo(c);
        if (!c.forced) {
          cur = list_[c.call].next;
          optional_pass = c.optional_pass;
          break;
        }
      }
    }
    return SearchVerdict::linearizable;
  }

 private:
  struct Choice {
    std::uint32_t call;
    ValueId state_before;
    std::size_t free_before;  // free_'s size before the blind writes it absorbed
    std::size_t free_after;   // ... and before the reads it let through
    bool forced;              // a blind write at its completion
    bool optional_pass;       // made in the pass over optional operations
  };

  // Blind writes are ok writes of a value no operation ever observes (no read returns it,
  // no cas expects it). They all lead to the same kind of state, one only a write can
  // follow, so they share one value; and any order puts such a write just before a write
  // that follows it, so the walk never chooses one: a chosen write absorbs those that may
  // come next, and one still there at its completion is taken then, followed by a write.
  //
  // Leaving a value that only one operation writes (the unset register counts as a write
  // of null) while an ok read of it or an ok cas expecting it is still to come is a dead
  // end: the register never holds that value again (observers_left_ counts those).
  //
  // Neither applies with appends, whose states are built rather than written.
  void classify() {
    find_twins();
    blind_.assign(ops_.size(), false);
    for (const SearchOp& o : ops_)
      if (o.op.kind == OpKind::append) return;
    track_ = true;
    std::vector<std::uint32_t> seen(values_.size(), 0);  // any observer, info cas included
    writers_.assign(values_.size(), 0);
    observers_left_.assign(values_.size(), 0);
    writers_[Values::kNull] = 1;
    for (const SearchOp& o : ops_) {
      if (o.op.kind == OpKind::read || o.op.kind == OpKind::cas) ++seen[o.op.a];
      if (mandatory_observer(o)) ++observers_left_[o.op.a];
    }
    std::optional<ValueId> shared;
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      SearchOp& o = ops_[i];
      if (o.op.kind == OpKind::write && o.ret != kNever && seen[o.op.a] == 0) {
        blind_[i] = true;
        if (!shared) shared = o.op.a;
        o.op.a = *shared;
      }
      if (o.op.kind == OpKind::write) ++writers_[o.op.a];
      if (o.op.kind == OpKind::cas) ++writers_[o.op.b];
    }
    if (stats_ != nullptr) {
      observers_of_.resize(values_.size());
      for (std::uint32_t i = 0; i < ops_.size(); ++i)
        if (mandatory_observer(ops_[i])) observers_of_[ops_[i].op.a].push_back(i);
    }
  }

  void find_twins() {
    twin_class_.assign(ops_.size(), kNil);  // reads: in no class
    has_twins_.assign(ops_.size(), false);
    std::map<std::tuple<OpKind, ValueId, ValueId>, std::uint32_t> classes;
    std::vector<std::uint32_t> size;
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      const ModelOp& m = ops_[i].op;
      if (m.kind == OpKind::read) continue;  // reads are never choices
      auto [it, added] = classes.try_emplace({m.kind, m.a, m.b}, static_cast<std::uint32_t>(classes.size()));
      if (added) size.push_back(0);
      twin_class_[i] = it->second;
      ++size[it->second];
    }
    for (std::uint32_t i = 0; i < ops_.size(); ++i)
      has_twins_[i] = ops_[i].op.kind != OpKind::read && size[twin_class_[i]] > 1;
  }

  static bool mandatory_observer(const SearchOp& o) {
    return o.op.kind == OpKind::read || (o.op.kind == OpKind::cas && o.ret != kNever);
  }

  bool may_leave(ValueId from, std::uint32_t op) const {
    if (!track_ || writers_[from] != 1) return true;
    const SearchOp& o = ops_[op];
    const std::uint32_t itself = mandatory_observer(o) && o.op.a == from ? 1 : 0;
    return observers_left_[from] == itself;
  }

  // A branch cut by may_leave() would have stopped, at the latest, at the completion of the
  // first observer left behind: count that as reached (minimize.h relies on the furthest
  // completion being at least where an uncut search would stop).
  void note_cut(ValueId from, std::uint32_t leaving) {
    if (stats_ == nullptr) return;
    std::uint64_t first = kNever;
    for (std::uint32_t i : observers_of_[from])
      if (i != leaving && !is_set(i)) first = std::min(first, ops_[i].ret);
    if (first != kNever) stats_->furthest_completion = std::max(stats_->furthest_completion, first);
  }

  static std::size_t optional_count(const std::vector<SearchOp>& ops) {
    return static_cast<std::size_t>(
        std::count_if(ops.begin(), ops.end(), [](const SearchOp& o) { return o.ret == kNever; }));
  }

  // Whether a completed operation is linearized.
  bool is_set(std::uint32_t op) const { return ((linearized_[index_[op] / 64] >> (index_[op] % 64)) & 1) != 0; }

  // Marks an operation linearized or not, and lifts or unlifts its entries.
  void mark(std::uint32_t call, bool on) {
    const std::uint32_t op = list_[call].op;
    const std::uint64_t bit = std::uint64_t{1} << (index_[op] % 64);
    const bool optional = ops_[op].ret == kNever;
    std::uint64_t& word = optional ? available_[index_[op] / 64] : linearized_[index_[op] / 64];
    if (on) {
      if (optional) word &= ~bit;
      else word |= bit;
      list_.lift(call);
    } else {
      list_.unlift(call);
      if (optional) word |= bit;
      else word &= ~bit;
    }
    if (track_ && mandatory_observer(ops_[op])) {
      if (on) --observers_left_[ops_[op].op.a];
      else ++observers_left_[ops_[op].op.a];
    }
  }

  // Takes every operation that may come next and passes `want`, without a choice.
  template <class Want>
  void take_free(Want want) {
    std::uint32_t c = list_.first();
    while (c != kNil && list_[c].is_call) {
      const Entry& x = list_[c];
      if (!want(x.op)) {
        c = x.next;
        continue;
      }
      const std::uint32_t prev = x.prev;
      mark(c, true);
      free_.push_back(c);
      c = list_[prev].next;
    }
  }
  void take_reads() {
    take_free([&](std::uint32_t op) { return ops_[op].op.kind == OpKind::read && ops_[op].op.a == state_; });
  }
  void put_back_free(std::size_t mark_to) {
    while (free_.size() > mark_to) {
      mark(free_.back(), false);
      free_.pop_back();
    }
  }

  // Linearizes the operation of `call` next (with what it takes along) if the model and the
  // cache allow; true if it did (and pushed the choice).
  bool choose(std::uint32_t call, bool forced, bool optional_pass) {
    const std::uint32_t op = list_[call].op;
    const SearchOp& o = ops_[op];
    if (!may_leave(state_, op)) {
      note_cut(state_, op);
      return false;
    }
    const std::optional<ValueId> next = step(values_, state_, o.op);
    if (!next) return false;
    if (!forced && has_twin_first(op)) return false;
    Choice c{call, state_, free_.size(), 0, forced, optional_pass};
    if (track_ && o.op.kind == OpKind::write) take_free([&](std::uint32_t b) { return blind_[b] && b != op; });
    c.free_after = free_.size();
    mark(call, true);
    state_ = *next;
    take_reads();
    detail::encode(linearized_, encoded_);
    if (!cache_.insert(encoded_, state_, available_)) {
      undo(c);
      return false;
    }
    if ((++inserts_ & 0x3ff) == 0 && !budget_.cache_fits(cache_.bytes())) memory_over_ = true;
    choices_.push_back(c);
    return !memory_over_;
  }

  // Twins are operations with the same effect (same kind and arguments). Of two twins that
  // may both come next, any order that takes the one completing later first works as well
  // with the two swapped, so only the one completing first (then the lower index) is a
  // choice: the other's configurations would all be seen again.
  bool has_twin_first(std::uint32_t op) const {
    if (!has_twins_[op]) return false;
    for (std::uint32_t c = list_.first(); c != kNil && list_[c].is_call; c = list_[c].next) {
      const std::uint32_t y = list_[c].op;
      if (y == op || twin_class_[y] != twin_class_[op]) continue;
      if (ops_[y].ret < ops_[op].ret || (ops_[y].ret == ops_[op].ret && y < op)) return true;
    }
    return false;
  }

  void undo(const Choice& c) {
    put_back_free(c.free_after);
    mark(c.call, false);
    put_back_free(c.free_before);
    state_ = c.state_before;
  }

  std::vector<SearchOp> ops_;
  Values& values_;
  Budget& budget_;
  SearchStats* stats_;
  EntryList list_;
  std::vector<std::uint32_t> index_;  // an operation's bit in linearized_ or available_
  std::vector<std::uint64_t> linearized_, available_;
  std::vector<std::uint64_t> encoded_;
  ConfigCache cache_;
  std::size_t inserts_ = 0;
  bool memory_over_ = false;
  ValueId state_ = Values::kNull;
  std::vector<Choice> choices_;
  std::vector<std::uint32_t> free_;
  bool track_ = false;
  std::vector<bool> blind_;
  std::vector<std::uint32_t> twin_class_;
  std::vector<bool> has_twins_;
  std::vector<std::uint32_t> writers_, observers_left_;
  std::vector<std::vector<std::uint32_t>> observers_of_;
};

}  // namespace

SearchVerdict search(const std::vector<SearchOp>& given, Values& values, Budget& budget, SearchStats* stats) {
  assert(given.size() < kNil / 2);
  std::vector<SearchOp> ops = without_unobservable(given, values);
  if (ops.empty()) return SearchVerdict::linearizable;
  return Walk(std::move(ops), values, budget, stats).run();
}

}  // namespace mabeam::lincheck
