// The discrete-event scheduler: a virtual clock in µs and a queue of callbacks due at
// virtual instants. Events due at the same instant fire in the order they were scheduled,
// so a run is a pure function of its inputs.
//
// The queue is a hierarchical timing wheel: 7 levels of 256 slots, level l holding events
// whose time first differs from the wheel's position in byte l. Scheduling appends to one
// slot; firing takes the first event of the first non-empty level-0 slot (found through a
// bitmap); when level 0 runs dry the next slot of a higher level is spilled into the
// levels below it. Each event moves down at most 6 times, so both are O(1) amortized,
// which keeps 10^5 pending events cheap. Order among equal times is kept because every
// slot is a FIFO and a slot is spilled before anything can be appended directly to the
// lower slots it feeds. Instants beyond kTimeMax (2^55 µs, about 1100 years) are clamped to it.
//
// Callbacks live in a slot pool with generation counters, so cancelling is O(1) (the dead
// entry is skipped when reached) and a stale id never cancels a newer event.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/time.h"

namespace mabeam::sim {

class Scheduler {
 public:
  using Fn = std::function<void()>;
  using EventId = std::uint64_t;  // 0 is never a valid id

  static constexpr TimeUs kTimeMax = TimeUs{1} << 55;

  Scheduler();
  TimeUs now() const { return now_; }
  // Schedules fn at instant t (t < now() is clamped to now()).
  EventId at(TimeUs t, Fn fn);
  EventId after(DurationUs d, Fn fn) { return at(now_ + d, std::move(fn)); }
  // Cancels a pending event; a fired, cancelled or unknown id is ignored.
  void cancel(EventId id);

  // Fires every event due at or before t, in order, then sets the clock to t.
  void run_until(TimeUs t);
  // Fires the next event if one is due at or before `limit`; returns false otherwise.
  // The clock may move forward (never past `limit`) even when nothing fires.
  bool step(TimeUs limit);
  // Stops a run_until from inside a callback (after the current event).
  void request_stop() { stop_ = true; }

  std::size_t pending() const { return live_; }
  std::uint64_t fired() const { return fired_; }

 private:
  static constexpr int kLevels = 7;
  static constexpr int kBits = 8;
  static constexpr int kSlots = 1 << kBits;
  struct Entry {
    TimeUs t;
    std::uint32_t slot;  // index into the callback pool
  };
  struct Bucket {
    std::vector<Entry> entries;
    std::size_t head = 0;  // entries before head have been taken (level 0 only)
  };
  struct Level {
    std::array<Bucket, kSlots> buckets;
    std::array<std::uint64_t, kSlots / 64> nonempty{};
  };
  struct Callback {
    Fn fn;
    std::uint32_t gen = 1;
    bool armed = false;
  };

  void insert(const Entry& e);
  // The first non-empty bucket of `level` at index >= from, or -1.
  int next_bucket(int level, int from) const;
  void spill(int level, int index);
  void mark(int level, int index, bool on);

  TimeUs now_ = 0;
  TimeUs wheel_ = 0;  // the wheel's position: every entry's time is >= wheel_
  std::uint64_t fired_ = 0;
  std::size_t live_ = 0;
  bool stop_ = false;
  std::vector<Level> levels_;
  std::vector<Callback> pool_;
  std::vector<std::uint32_t> free_;
};

}  // namespace mabeam::sim
