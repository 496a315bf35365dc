// The simulated disk (see disk.h).
#include "sim/disk.h"

#include "sim/network.h"

namespace mabeam::sim {

Status SimDisk::append(const std::string& file, const Bytes& record) {
  if (faulty_) return Status::io_error("disk fault: append to " + file + " failed");
  files_[file].pending.push_back(record);
  return Status::ok();
}

void SimDisk::make_durable(File& f, std::uint64_t upto) {
  if (upto <= f.pending_first) return;
  const auto n = std::min<std::uint64_t>(upto - f.pending_first, f.pending.size());
  for (std::uint64_t i = 0; i < n; ++i) f.durable.push_back(std::move(f.pending[i]));
  f.pending.erase(f.pending.begin(), f.pending.begin() + static_cast<std::ptrdiff_t>(n));
  f.pending_first += n;
}

Status SimDisk::sync(const std::string& file) {
  if (faulty_) return Status::io_error("disk fault: sync of " + file + " failed");
  auto it = files_.find(file);
  if (it == files_.end()) return Status::ok();
  make_durable(it->second, it->second.pending_first + it->second.pending.size());
  return Status::ok();
}

void SimDisk::sync_async(const std::string& file, SyncDone done) {
  Status outcome = faulty_ ? Status::io_error("disk fault: sync of " + file + " failed") : Status::ok();
  File& f = files_[file];
  const std::uint64_t upto = f.pending_first + f.pending.size();
  auto complete = [this, file, upto, outcome, done = std::move(done)] {
    if (outcome.is_ok()) make_durable(files_[file], upto);
    done(outcome);
  };
  if (!schedule_) {
    complete();
    return;
  }
  schedule_(sample_latency(sync_latency_, rng_), std::move(complete));
}

Result<std::vector<Bytes>> SimDisk::read(const std::string& file) {
  auto it = files_.find(file);
  if (it == files_.end()) return std::vector<Bytes>{};
  std::vector<Bytes> out = it->second.durable;
  out.insert(out.end(), it->second.pending.begin(), it->second.pending.end());
  return out;
}

Status SimDisk::rewrite(const std::string& file, const std::vector<Bytes>& records) {
  if (faulty_) return Status::io_error("disk fault: rewrite of " + file + " failed");
  File& f = files_[file];
  f.durable = records;
  f.pending_first += f.pending.size();  // replaced: a sync in flight has nothing left to cover
  f.pending.clear();
  return Status::ok();
}

void SimDisk::crash(CrashDisk mode) {
  for (auto& [name, f] : files_) {
    if (f.pending.empty()) continue;
    std::uint64_t keep = 0;
    if (mode == CrashDisk::random) keep = rng_.below(f.pending.size() + 1);
    if (mode == CrashDisk::keep_unsynced) keep = f.pending.size();
    for (std::size_t i = 0; i < keep; ++i) f.durable.push_back(std::move(f.pending[i]));
    f.pending_first += f.pending.size();
    f.pending.clear();
  }
}

void SimDisk::flush_all() {
  for (auto& [name, f] : files_) make_durable(f, f.pending_first + f.pending.size());
}

std::size_t SimDisk::pending_records() const {
  std::size_t n = 0;
  for (const auto& [name, f] : files_) n += f.pending.size();
  return n;
}

}  // namespace mabeam::sim
