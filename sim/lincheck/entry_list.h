// The search's list of invocations and completions in real-time order, with lift/unlift
// (search.cpp): lifting takes an operation's two entries out, unlifting puts them back in
// the reverse order, as in dancing links. Internal to the search.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/lincheck/search.h"

namespace mabeam::lincheck::detail {

constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();

// One invocation or completion in the list; entry 0 is the head sentinel.
struct Entry {
  std::uint32_t op = kNil;
  std::uint32_t match = kNil;  // an invocation's completion entry, a completion's invocation
  std::uint32_t prev = kNil, next = kNil;
  bool is_call = false;
};

class EntryList {
 public:
  explicit EntryList(const std::vector<SearchOp>& ops) {
    struct Pos {
      std::uint64_t at;
      std::uint32_t tie;  // orders the +infinity completions among themselves
      std::uint32_t op;
      bool is_call;
    };
    std::vector<Pos> order;
    order.reserve(ops.size() * 2);
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      order.push_back({ops[i].call, 0, i, true});
      order.push_back({ops[i].ret, i, i, false});
    }
    std::sort(order.begin(), order.end(), [](const Pos& a, const Pos& b) {
      if (a.at != b.at) return a.at < b.at;
      if (a.tie != b.tie) return a.tie < b.tie;
      return a.is_call && !b.is_call;
    });
    e_.resize(order.size() + 1);
    std::vector<std::uint32_t> call_of(ops.size(), kNil);
    for (std::uint32_t k = 0; k < order.size(); ++k) {
      Entry& x = e_[k + 1];
      x.op = order[k].op;
      x.is_call = order[k].is_call;
      x.prev = k;
      x.next = k + 2 < e_.size() ? k + 2 : kNil;
      if (x.is_call) call_of[x.op] = k + 1;
      else {
        e_[call_of[x.op]].match = k + 1;
        x.match = call_of[x.op];
      }
    }
    e_[0].next = e_.size() > 1 ? 1 : kNil;
  }
  Entry& operator[](std::uint32_t i) { return e_[i]; }
  const Entry& operator[](std::uint32_t i) const { return e_[i]; }
  std::uint32_t first() const { return e_[0].next; }
  // The invocation entry of a completion entry's operation.
  std::uint32_t call_of(std::uint32_t completion) const { return e_[completion].match; }

  // Takes an invocation and its completion out of the list.
  void lift(std::uint32_t call) {
    unlink(call);
    unlink(e_[call].match);
  }
  // Puts them back: the reverse of lift(), in the reverse order.
  void unlift(std::uint32_t call) {
    relink(e_[call].match);
    relink(call);
  }

 private:
  void unlink(std::uint32_t i) {
    Entry& x = e_[i];
    e_[x.prev].next = x.next;
    if (x.next != kNil) e_[x.next].prev = x.prev;
  }
  void relink(std::uint32_t i) {
    Entry& x = e_[i];
    e_[x.prev].next = i;
    if (x.next != kNil) e_[x.next].prev = i;
  }
  std::vector<Entry> e_;
};

}  // namespace mabeam::lincheck::detail
