// The linearization search (search.h): the entry list with lift/unlift, the bitset of
// linearized operations, and the cache of (linearized set, state) configurations.
#include "sim/lincheck/search.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

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

constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};
constexpr std::uint64_t kRunZeros = std::uint64_t{0} << 62;
constexpr std::uint64_t kRunOnes = std::uint64_t{1} << 62;
constexpr std::uint64_t kLiterals = std::uint64_t{2} << 62;

// Run-length encodes a bitset's words: a header word (kind << 62 | count) before each run
// of all-zero words, all-one words, or literal words (which follow their header). Trailing
// zero words are left out: every set of one search has the same length.
void encode(const std::vector<std::uint64_t>& words, std::vector<std::uint64_t>& out) {
  out.clear();
  std::size_t end = words.size();
  while (end > 0 && words[end - 1] == 0) --end;
  std::size_t i = 0;
  while (i < end) {
    const std::uint64_t w = words[i];
    std::size_t j = i;
    if (w == 0 || w == kAllOnes) {
      while (j < end && words[j] == w) ++j;
      out.push_back((w == 0 ? kRunZeros : kRunOnes) | (j - i));
    } else {
      while (j < end && words[j] != 0 && words[j] != kAllOnes) ++j;
      out.push_back(kLiterals | (j - i));
      out.insert(out.end(), words.begin() + static_cast<std::ptrdiff_t>(i), words.begin() + static_cast<std::ptrdiff_t>(j));
    }
    i = j;
  }
}

std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// The set of configurations seen: open addressing over (hash, state, encoded set), the
// encodings in one pool. Only lookups and inserts: its order never reaches an answer.
class ConfigCache {
 public:
  ConfigCache() : slots_(1024) {}

  // Inserts (set, state); false if it was there already.
  bool insert(const std::vector<std::uint64_t>& enc, ValueId state) {
    std::uint64_t h = mix(state + 0x9e3779b97f4a7c15ULL);
    for (std::uint64_t x : enc) h = mix(h ^ x);
    if (h == 0) h = 1;
    if ((count_ + 1) * 2 > slots_.size()) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.hash == 0) {
        s = {h, pool_.size(), static_cast<std::uint32_t>(enc.size()), state};
        pool_.insert(pool_.end(), enc.begin(), enc.end());
        ++count_;
        return true;
      }
      if (s.hash == h && s.state == state && s.len == enc.size() &&
          std::equal(enc.begin(), enc.end(), pool_.begin() + static_cast<std::ptrdiff_t>(s.offset))) {
        return false;
      }
    }
  }
  std::size_t bytes() const { return slots_.size() * sizeof(Slot) + pool_.capacity() * sizeof(std::uint64_t); }

 private:
  struct Slot {
    std::uint64_t hash = 0;  // 0: empty
    std::uint64_t offset = 0;
    std::uint32_t len = 0;
    ValueId state = 0;
  };
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.hash == 0) continue;
      std::size_t i = s.hash & mask;
      while (slots_[i].hash != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> pool_;
  std::size_t count_ = 0;
};

constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();

// One invocation or completion in the list; entry 0 is the head sentinel.
struct Entry {
  std::uint32_t op = kNil;
  std::uint32_t match = kNil;  // an invocation's completion entry
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
      else e_[call_of[x.op]].match = k + 1;
    }
    e_[0].next = e_.size() > 1 ? 1 : kNil;
  }
  Entry& operator[](std::uint32_t i) { return e_[i]; }
  std::uint32_t first() const { return e_[0].next; }

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

}  // namespace

SearchVerdict search(const std::vector<SearchOp>& given, Values& values, Budget& budget, SearchStats* stats) {
  assert(given.size() < kNil / 2);
  const std::vector<SearchOp> ops = without_unobservable(given, values);
  if (ops.empty()) return SearchVerdict::linearizable;
  EntryList list(ops);
  std::vector<std::uint64_t> linearized((ops.size() + 63) / 64, 0);
  std::vector<std::uint64_t> encoded;
  ConfigCache cache;
  struct Choice {
    std::uint32_t call;
    ValueId state_before;
  };
  std::vector<Choice> choices;
  ValueId state = Values::kNull;
  std::uint32_t cur = list.first();
  std::size_t inserts = 0;
  while (cur != kNil) {
    if (!budget.step()) return SearchVerdict::undecided;
    Entry& e = list[cur];
    const SearchOp& op = ops[e.op];
    if (e.is_call) {
      if (auto next = step(values, state, op.op)) {
        std::uint64_t& word = linearized[e.op / 64];
        const std::uint64_t bit = std::uint64_t{1} << (e.op % 64);
        word |= bit;
        encode(linearized, encoded);
        if (cache.insert(encoded, *next)) {
          if ((++inserts & 0x3ff) == 0 && !budget.cache_fits(cache.bytes())) return SearchVerdict::undecided;
          choices.push_back({cur, state});
          state = *next;
          list.lift(cur);
          cur = list.first();
          continue;
        }
        word &= ~bit;
      }
      cur = e.next;
      continue;
    }
    // A completion: its operation is not linearized yet, and everything after it must come later.
    if (op.ret == kNever) return SearchVerdict::linearizable;  // only info/pending ops remain
    if (stats != nullptr) stats->furthest_completion = std::max(stats->furthest_completion, op.ret);
    if (choices.empty()) return SearchVerdict::not_linearizable;
    const Choice c = choices.back();
    choices.pop_back();
    state = c.state_before;
    const std::uint32_t undone = list[c.call].op;
    linearized[undone / 64] &= ~(std::uint64_t{1} << (undone % 64));
    list.unlift(c.call);
    cur = list[c.call].next;
  }
  return SearchVerdict::linearizable;
}

}  // namespace mabeam::lincheck
