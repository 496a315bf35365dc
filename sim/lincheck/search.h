// The search at the heart of the linearizability checker: Wing and Gong's algorithm with
// Lowe's memoization, in the form Horn and Kroening describe ("Faster linearizability
// checking via P-compositionality", 2015), for one register (checker.h splits kv histories
// per key first).
//
// The operations' invocations and completions form one doubly linked list in real-time
// order. The search walks it from the head: at an invocation it tries to linearize that
// operation next (the model must accept it in the current state); if it can, and the
// configuration (set of linearized operations, model state) has not been seen before, it
// lifts the operation's two entries out of the list, pushes the choice and starts again
// from the head. Reaching a completion means the operation it completes has not been
// linearized although everything after it must come later: the last choice is undone (its
// entries unlifted) and the walk goes on after it. The list empty means a linearization was
// found; a completion with nothing to undo means none exists. The cache of configurations
// keeps the search from exploring one twice: two orders of the same operations that end in
// the same state have the same future.
//
// Operations whose outcome is unknown (`info`, or still pending) complete at +infinity: their
// completion entries sit at the end of the list, so the walk reaches one only once every
// operation that completed has been linearized, and the history is then linearizable (the
// rest took effect never). The cache keeps, with each (linearized completed operations,
// state), the sets of optional operations still available when it was seen, and a
// configuration is old if one of those covers its own (more left is only more freedom);
// the walk tries completed operations before optional ones, so the wider sets come first.
//
// Reductions that keep the search small without losing an order that works (each argued
// where it is implemented, search.cpp, and checked against brute force in the tests):
// - a read that fits the state and may come next is taken at once, without a choice;
// - a value written by one operation only is never left while a read of it (or an ok cas
//   expecting it) is still due: the register would never hold it again;
// - a write of a value nothing observes ("blind") is never chosen on its own: it rides
//   along just before the next write, or goes at its own completion;
// - of two operations with the same effect that may both come next, only the one that
//   completes first is a choice;
// - info and pending writes whose value nothing observes after their invocation are dropped
//   before the walk.
// With appends only the first applies (their states are built, not written).
//
// Linearized sets are bitsets, stored in the cache run-length encoded: the set is closed
// under real-time precedence, so it is mostly a run of ones followed by a few mixed words
// and zeros, and a 10,000-operation set takes a few words.
//
// Budget bounds steps (deterministic: the scenario check uses it), wall time (the command
// line's --timeout; sim/ tools may read a clock, engine code never does) and cache memory;
// past any of them the answer is undecided.
#pragma once
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sim/lincheck/model.h"

namespace mabeam::lincheck {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

struct SearchOp {
  ModelOp op;
  std::uint64_t call = 0;      // position of the invocation (distinct positions, real-time order)
  std::uint64_t ret = kNever;  // position of the completion; kNever: info or pending
};

class Budget {
 public:
  using Clock = std::chrono::steady_clock;
  // steps_max 0: no step limit; no timeout: no time limit (the clock is then never read).
  Budget(std::uint64_t steps_max, std::optional<Clock::duration> timeout, std::size_t cache_bytes_max);

  // Counts one step; false once a limit is passed (then exhausted() says which).
  bool step() {
    if (over_) return false;
    ++steps_;
    if (steps_max_ != 0 && steps_ > steps_max_) return exhaust_steps();
    if ((steps_ & 0xfff) == 0 && deadline_ && Clock::now() > *deadline_) return exhaust_time();
    return true;
  }
  bool cache_fits(std::size_t bytes);
  std::uint64_t steps() const { return steps_; }
  bool exhausted() const { return over_; }
  const std::string& reason() const { return reason_; }  // "" while within the limits
  // A memory overrun ends one search but not the budget: others may fit.
  bool memory_hit() const { return memory_hit_; }
  void clear_memory_hit() { memory_hit_ = false; }

 private:
  bool exhaust_steps();
  bool exhaust_time();

  std::uint64_t steps_ = 0;
  std::uint64_t steps_max_;
  std::optional<Clock::duration> timeout_;
  std::optional<Clock::time_point> deadline_;
  std::size_t cache_bytes_max_;
  bool memory_hit_ = false;
  bool over_ = false;
  std::string reason_;
};

enum class SearchVerdict { linearizable, not_linearizable, undecided };

struct SearchStats {
  // The latest completion the walk was ever stopped at: every prefix of the history that
  // ends before it was linearized (minimize.h starts from there).
  std::uint64_t furthest_completion = 0;
};

// Decides whether `ops` (one register, starting unset) can be linearized. Undecided when
// the budget runs out (budget.exhausted()) or the cache outgrows its memory limit
// (budget.memory_hit()).
SearchVerdict search(const std::vector<SearchOp>& ops, Values& values, Budget& budget, SearchStats* stats = nullptr);

}  // namespace mabeam::lincheck
