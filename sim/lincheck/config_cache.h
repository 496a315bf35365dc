// The search's memory of configurations it has seen (search.cpp): (linearized operations,
// model state) pairs, the sets run-length encoded, with the optional operations still
// available in each. Internal to the search.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/lincheck/model.h"

namespace mabeam::lincheck::detail {

constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};
constexpr std::uint64_t kRunZeros = std::uint64_t{0} << 62;
constexpr std::uint64_t kRunOnes = std::uint64_t{1} << 62;
constexpr std::uint64_t kLiterals = std::uint64_t{2} << 62;

// Run-length encodes a bitset's words: a header word (kind << 62 | count) before each run
// of all-zero words, all-one words, or literal words (which follow their header). Trailing
// zero words are left out: every set of one search has the same length.
inline void encode(const std::vector<std::uint64_t>& words, std::vector<std::uint64_t>& out) {
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

inline std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// The set of configurations seen: open addressing over (hash, state, encoded set of the
// completed operations linearized), the encodings in one pool. Each entry also keeps the
// sets of info/pending operations still available with which it was seen: a configuration
// is new unless one seen with the same linearized ok operations and state had at least the
// same available (more optional operations left is only more freedom). Only lookups and
// inserts: its order never reaches an answer.
class ConfigCache {
 public:
  explicit ConfigCache(std::size_t avail_words) : avail_words_(avail_words), slots_(1024) {}

  // Records (set, state, avail); false if a configuration seen dominates it.
  bool insert(const std::vector<std::uint64_t>& enc, ValueId state, const std::vector<std::uint64_t>& avail) {
    std::uint64_t h = mix(state + 0x9e3779b97f4a7c15ULL);
    for (std::uint64_t x : enc) h = mix(h ^ x);
    if (h == 0) h = 1;
    if ((count_ + 1) * 2 > slots_.size()) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.hash == 0) {
        s = {h, pool_.size(), static_cast<std::uint32_t>(enc.size()), state, add_avail(kNone, avail)};
        pool_.insert(pool_.end(), enc.begin(), enc.end());
        ++count_;
        return true;
      }
      if (s.hash == h && s.state == state && s.len == enc.size() &&
          std::equal(enc.begin(), enc.end(), pool_.begin() + static_cast<std::ptrdiff_t>(s.offset))) {
        for (std::uint32_t n = s.avail; n != kNone; n = nodes_[n].next)
          if (covers(nodes_[n].offset, avail)) return false;
        s.avail = add_avail(s.avail, avail);
        return true;
      }
    }
  }
  std::size_t bytes() const {
    return slots_.size() * sizeof(Slot) + pool_.capacity() * sizeof(std::uint64_t) + nodes_.capacity() * sizeof(Node) +
           avail_pool_.capacity() * sizeof(std::uint64_t);
  }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct Slot {
    std::uint64_t hash = 0;  // 0: empty
    std::uint64_t offset = 0;
    std::uint32_t len = 0;
    ValueId state = 0;
    std::uint32_t avail = kNone;  // first of its avail sets (nodes_)
  };
  struct Node {
    std::uint32_t next;
    std::uint64_t offset;  // into avail_pool_, avail_words_ long
  };
  std::uint32_t add_avail(std::uint32_t head, const std::vector<std::uint64_t>& avail) {
    nodes_.push_back({head, avail_pool_.size()});
    avail_pool_.insert(avail_pool_.end(), avail.begin(), avail.end());
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  bool covers(std::uint64_t offset, const std::vector<std::uint64_t>& avail) const {
    for (std::size_t w = 0; w < avail_words_; ++w)
      if ((avail_pool_[offset + w] & avail[w]) != avail[w]) return false;
    return true;
  }
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
  std::size_t avail_words_;
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> pool_;
  std::vector<Node> nodes_;
  std::vector<std::uint64_t> avail_pool_;
  std::size_t count_ = 0;
};

}  // namespace mabeam::lincheck::detail
