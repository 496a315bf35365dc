// The discrete-event scheduler's timing wheel (see scheduler.h).
#include "sim/scheduler.h"

#include <cassert>

namespace mabeam::sim {

Scheduler::Scheduler() : levels_(kLevels) {}

Scheduler::EventId Scheduler::at(TimeUs t, Fn fn) {
  if (t < now_) t = now_;
  if (t > kTimeMax) t = kTimeMax;
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(pool_.size());
    pool_.emplace_back();
  }
  Callback& c = pool_[slot];
  c.fn = std::move(fn);
  c.armed = true;
  ++live_;
  insert(Entry{t, slot});
  return (static_cast<EventId>(c.gen) << 32) | slot;
}

void Scheduler::cancel(EventId id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xffffffffu);
  if (slot >= pool_.size()) return;
  Callback& c = pool_[slot];
  if (!c.armed || c.gen != static_cast<std::uint32_t>(id >> 32)) return;
  c.armed = false;
  c.fn = nullptr;
  --live_;
}

void Scheduler::mark(int level, int index, bool on) {
  auto& word = levels_[static_cast<std::size_t>(level)].nonempty[static_cast<std::size_t>(index) / 64];
  const std::uint64_t bit = std::uint64_t{1} << (index % 64);
  word = on ? (word | bit) : (word & ~bit);
}

void Scheduler::insert(const Entry& e) {
  assert(e.t >= wheel_);
  const auto diff = static_cast<std::uint64_t>(e.t ^ wheel_);
  int level = 0;
  if (diff >= kSlots) level = (63 - __builtin_clzll(diff)) / kBits;
  const int index = static_cast<int>((static_cast<std::uint64_t>(e.t) >> (kBits * level)) & (kSlots - 1));
  Bucket& b = levels_[static_cast<std::size_t>(level)].buckets[static_cast<std::size_t>(index)];
  if (b.entries.size() == b.head) mark(level, index, true);
  b.entries.push_back(e);
}

int Scheduler::next_bucket(int level, int from) const {
  const auto& bits = levels_[static_cast<std::size_t>(level)].nonempty;
  for (int w = from / 64; w < kSlots / 64; ++w) {
    std::uint64_t word = bits[static_cast<std::size_t>(w)];
    if (w == from / 64) word &= ~std::uint64_t{0} << (from % 64);
    if (word) return w * 64 + __builtin_ctzll(word);
  }
  return -1;
}

void Scheduler::spill(int level, int index) {
  // Move the wheel to the start of this bucket's span, then re-file its entries below.
  const int shift = kBits * level;
  const auto span_mask = (std::uint64_t{1} << (shift + kBits)) - 1;
  const auto base = (static_cast<std::uint64_t>(wheel_) & ~span_mask) | (static_cast<std::uint64_t>(index) << shift);
  wheel_ = static_cast<TimeUs>(base);
  if (wheel_ > now_) now_ = wheel_;
  // Entries only move to lower levels, so this bucket is not appended to while we walk it;
  // clearing (not freeing) it keeps its capacity for the next round of the wheel.
  Bucket& b = levels_[static_cast<std::size_t>(level)].buckets[static_cast<std::size_t>(index)];
  for (std::size_t i = b.head; i < b.entries.size(); ++i) {
    // Spilling into level 0 means these fire within the next 256 µs: start loading their
    // callbacks now, so firing them does not wait on a cache miss each.
    if (level == 1) __builtin_prefetch(&pool_[b.entries[i].slot]);
    insert(b.entries[i]);
  }
  b.entries.clear();
  b.head = 0;
  mark(level, index, false);
}

bool Scheduler::step(TimeUs limit) {
  for (;;) {
    const int i0 = next_bucket(0, static_cast<int>(static_cast<std::uint64_t>(wheel_) & (kSlots - 1)));
    if (i0 >= 0) {
      Bucket& b = levels_[0].buckets[static_cast<std::size_t>(i0)];
      const Entry e = b.entries[b.head];
      if (e.t > limit) return false;
      if (++b.head == b.entries.size()) {
        b.entries.clear();
        b.head = 0;
        mark(0, i0, false);
      }
      wheel_ = e.t;
      Callback& c = pool_[e.slot];
      const bool armed = c.armed;
      Fn fn = std::move(c.fn);
      c.fn = nullptr;
      c.armed = false;
      ++c.gen;  // any id handed out for this callback is now stale
      free_.push_back(e.slot);
      if (!armed) continue;  // cancelled
      --live_;
      now_ = e.t;
      ++fired_;
      fn();
      return true;
    }
    // Level 0 is dry from here on: spill the next non-empty bucket of the lowest level.
    bool spilled = false;
    for (int level = 1; level < kLevels && !spilled; ++level) {
      const int own = static_cast<int>((static_cast<std::uint64_t>(wheel_) >> (kBits * level)) & (kSlots - 1));
      if (own + 1 >= kSlots) continue;
      const int index = next_bucket(level, own + 1);
      if (index < 0) continue;
      const auto span_mask = (std::uint64_t{1} << (kBits * (level + 1))) - 1;
      const auto base = (static_cast<std::uint64_t>(wheel_) & ~span_mask) | (static_cast<std::uint64_t>(index) << (kBits * level));
      if (static_cast<TimeUs>(base) > limit) return false;  // everything there is later
      spill(level, index);
      spilled = true;
    }
    if (!spilled) return false;  // empty
  }
}

void Scheduler::run_until(TimeUs t) {
  if (t > kTimeMax) t = kTimeMax;
  stop_ = false;
  while (!stop_ && step(t)) {
  }
  if (!stop_ && t > now_) now_ = t;
}

}  // namespace mabeam::sim
