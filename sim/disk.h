// The simulated disk of one node: named files of records, kept across crashes. Appends
// stay pending until sync(); at a crash a random prefix of each file's pending records
// survives (the rest vanishes, as unflushed writes do). rewrite() is atomic and durable.
// A disk fault makes every write fail with io_error until it is cleared.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "engine/storage.h"

namespace mabeam::sim {

class SimDisk final : public Storage {
 public:
  explicit SimDisk(Rng rng) : rng_(rng) {}

  Status append(const std::string& file, const Bytes& record) override;
  Status sync(const std::string& file) override;
  Result<std::vector<Bytes>> read(const std::string& file) override;
  Status rewrite(const std::string& file, const std::vector<Bytes>& records) override;

  // Loses unsynced writes (a random prefix of each file's pending records survives).
  void crash();
  // A clean process exit: the OS still writes out what was appended.
  void flush_all();
  void set_faulty(bool faulty) { faulty_ = faulty; }
  bool faulty() const { return faulty_; }
  std::size_t pending_records() const;

 private:
  struct File {
    std::vector<Bytes> durable;
    std::vector<Bytes> pending;
  };
  Rng rng_;
  bool faulty_ = false;
  std::map<std::string, File> files_;
};

}  // namespace mabeam::sim
