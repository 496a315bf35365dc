// The simulated disk of one node: named files of records, kept across crashes. Appends
// stay pending until a sync covers them. sync() is immediate; sync_async() completes after
// a latency drawn from the disk's `sync_latency` (scenario key `disk`, like the network's
// latencies) and calls back through the node's timers, so a crash before then cancels the
// callback and leaves those records pending. At a crash pending records are lost as the
// crash's `disk` mode says: `random` (a random prefix of each file's pending records
// survives, as unflushed writes do), `lose_unsynced` (none survives) or `keep_unsynced`
// (all survive). rewrite() is atomic and durable. A disk fault makes every write and sync
// fail with io_error until it is cleared.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "engine/storage.h"
#include "sim/scenario.h"

namespace mabeam::sim {

class SimDisk final : public Storage {
 public:
  explicit SimDisk(Rng rng) : rng_(rng) {}

  Status append(const std::string& file, const Bytes& record) override;
  Status sync(const std::string& file) override;
  void sync_async(const std::string& file, SyncDone done) override;
  Result<std::vector<Bytes>> read(const std::string& file) override;
  Status rewrite(const std::string& file, const std::vector<Bytes>& records) override;

  // How sync_async runs its completion later on the node's thread: after(delay, fn) on the
  // node's timers (set by the SimNode; without it completions run at once, for unit tests).
  using Schedule = std::function<void(DurationUs delay, std::function<void()> fn)>;
  void set_schedule(Schedule s) { schedule_ = std::move(s); }
  void set_sync_latency(const Latency& l) { sync_latency_ = l; }

  // Loses unsynced writes as `mode` says.
  void crash(CrashDisk mode = CrashDisk::random);
  // A clean process exit: the OS still writes out what was appended.
  void flush_all();
  void set_faulty(bool faulty) { faulty_ = faulty; }
  bool faulty() const { return faulty_; }
  std::size_t pending_records() const;

 private:
  struct File {
    std::vector<Bytes> durable;
    std::vector<Bytes> pending;
    std::uint64_t pending_first = 0;  // ordinal of pending[0] among all records ever appended
  };
  // Makes the pending records with ordinal below `upto` durable.
  void make_durable(File& f, std::uint64_t upto);

  Rng rng_;
  bool faulty_ = false;
  std::map<std::string, File> files_;
  Schedule schedule_;
  Latency sync_latency_ = fixed_zero();
  static Latency fixed_zero() {
    Latency l;
    l.dist = Latency::Dist::fixed;
    l.value = 0;
    return l;
  }
};

}  // namespace mabeam::sim
