// Helpers for the linearizability checker's tests: sub-histories, an independent brute-force
// oracle (every order of the operations, no memoization), and a check that a reported
// violation is what the checker claims: unorderable, and minimal in minimize.h's sense.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/lincheck/checker.h"
#include "sim/lincheck/history.h"

namespace mabeam::test {

inline lincheck::History sub_history(const lincheck::History& h, const std::vector<std::size_t>& keep) {
  lincheck::History out;
  out.model = h.model;
  for (std::size_t i : keep) out.ops.push_back(h.ops[i]);
  return out;
}

inline bool checker_orders(const lincheck::History& h) {
  lincheck::CheckOptions o;
  o.minimize = false;
  o.steps_max = 50'000'000;
  const auto r = lincheck::check_history(h, o);
  REQUIRE(r.verdict != lincheck::Verdict::undecided);
  return r.verdict == lincheck::Verdict::linearizable;
}

// Tries every order of the operations of each key: ok ones must all appear, info and pending
// ones may; an operation that completed before another was invoked comes first; the register
// semantics of model.h. Only for small histories.
inline bool brute_force_orders(const lincheck::History& h) {
  using lincheck::OpKind;
  using lincheck::Outcome;
  std::map<std::string, std::vector<const lincheck::Operation*>> keys;
  for (const auto& op : h.ops) {
    if (op.outcome == Outcome::fail) continue;
    if (op.kind == OpKind::read && op.outcome != Outcome::ok) continue;
    keys[lincheck::canonical(op.key)].push_back(&op);
  }
  for (const auto& [key, ops] : keys) {
    const std::size_t n = ops.size();
    auto done_before = [&](std::size_t a, std::size_t b) {  // a completed before b was invoked
      return ops[a]->outcome == Outcome::ok && ops[a]->complete_line < ops[b]->invoke_line;
    };
    std::vector<bool> used(n, false);
    std::function<bool(const nlohmann::json&)> go = [&](const nlohmann::json& state) {
      bool all_ok_used = true;
      for (std::size_t i = 0; i < n; ++i)
        if (!used[i] && ops[i]->outcome == Outcome::ok) all_ok_used = false;
      if (all_ok_used) return true;
      for (std::size_t i = 0; i < n; ++i) {
        if (used[i]) continue;
        bool ready = true;
        for (std::size_t j = 0; j < n; ++j)
          if (!used[j] && j != i && done_before(j, i)) ready = false;
        if (!ready) continue;
        const auto& op = *ops[i];
        nlohmann::json next = state;
        bool legal = true;
        switch (op.kind) {
          case OpKind::read: legal = lincheck::canonical(state) == lincheck::canonical(op.read_value); break;
          case OpKind::write: next = op.value; break;
          case OpKind::cas:
            legal = lincheck::canonical(state) == lincheck::canonical(op.value[0]);
            next = op.value[1];
            break;
          case OpKind::append:
            legal = state.is_null() || state.is_string();
            if (legal) next = (state.is_null() ? std::string() : state.get<std::string>()) + op.value.get<std::string>();
            break;
        }
        if (!legal) continue;
        used[i] = true;
        const bool found = go(next);
        used[i] = false;
        if (found) return true;
      }
      return false;
    };
    if (!go(nullptr)) return false;
  }
  return true;
}

// The value an operation writes (write, cas: new, append: its piece), or null.
inline nlohmann::json written_by(const lincheck::Operation& op) {
  if (op.kind == lincheck::OpKind::write || op.kind == lincheck::OpKind::append) return op.value;
  if (op.kind == lincheck::OpKind::cas && op.outcome != lincheck::Outcome::fail) return op.value[1];
  return nullptr;
}

// Whether dropping op `x` from `set` leaves an operation of the rest that may have seen x's
// value (a read returning it, an ok cas expecting it, completed after x was invoked; with
// appends, a read containing the piece, or starting with a written string) with no other
// write of it in the rest invoked before that operation completed.
inline bool drop_orphans_a_read(const lincheck::History& h, const std::vector<std::size_t>& set, std::size_t x) {
  using lincheck::OpKind;
  const lincheck::Operation& dropped = h.ops[x];
  const nlohmann::json w = written_by(dropped);
  if (w.is_null()) return false;
  const std::string wc = lincheck::canonical(w);
  auto before = [](const lincheck::Operation& writer, const lincheck::Operation& observer) {
    return writer.invoke_line < observer.complete_line;
  };
  for (std::size_t i : set) {
    if (i == x) continue;
    const auto& op = h.ops[i];
    if (op.outcome != lincheck::Outcome::ok || !before(dropped, op)) continue;
    if (op.kind == OpKind::read && op.read_value.is_string() && w.is_string() && !w.get<std::string>().empty()) {
      const std::string& s = op.read_value.get_ref<const std::string&>();
      const std::string& p = w.get_ref<const std::string&>();
      if (dropped.kind == OpKind::append ? s.find(p) != std::string::npos : s.rfind(p, 0) == 0) return true;
    }
    const bool observes = (op.kind == OpKind::read && lincheck::canonical(op.read_value) == wc) ||
                          (op.kind == OpKind::cas && lincheck::canonical(op.value[0]) == wc);
    if (!observes) continue;
    bool other_writer = false;
    for (std::size_t j : set) {
      if (j == x || j == i) continue;
      const auto& other = h.ops[j];
      if (other.kind != OpKind::append && lincheck::canonical(written_by(other)) == wc && before(other, op)) other_writer = true;
    }
    if (!other_writer) return true;
  }
  return false;
}

// The violation cannot be ordered, and each of its operations is needed: without it the
// rest can be ordered, or a read loses the write it saw. `orders` is the oracle.
inline void require_minimal_violation(const lincheck::History& h, const lincheck::Violation& v,
                                      const std::function<bool(const lincheck::History&)>& orders) {
  REQUIRE(!v.ops.empty());
  CHECK(v.minimal);
  CHECK_FALSE(orders(sub_history(h, v.ops)));
  for (std::size_t x : v.ops) {
    std::vector<std::size_t> rest;
    for (std::size_t i : v.ops)
      if (i != x) rest.push_back(i);
    INFO("dropping the op invoked at line " << h.ops[x].invoke_line);
    CHECK((orders(sub_history(h, rest)) || drop_orphans_a_read(h, v.ops, x)));
  }
}

}  // namespace mabeam::test
