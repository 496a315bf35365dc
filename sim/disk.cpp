// The simulated disk (see disk.h).
#include "sim/disk.h"

namespace mabeam::sim {

Status SimDisk::append(const std::string& file, const Bytes& record) {
  if (faulty_) return Status::io_error("disk fault: append to " + file + " failed");
  files_[file].pending.push_back(record);
  return Status::ok();
}

Status SimDisk::sync(const std::string& file) {
  if (faulty_) return Status::io_error("disk fault: sync of " + file + " failed");
  auto it = files_.find(file);
  if (it == files_.end()) return Status::ok();
  File& f = it->second;
  for (auto& r : f.pending) f.durable.push_back(std::move(r));
  f.pending.clear();
  return Status::ok();
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
  f.pending.clear();
  return Status::ok();
}

void SimDisk::crash() {
  for (auto& [name, f] : files_) {
    if (f.pending.empty()) continue;
    const auto keep = rng_.below(f.pending.size() + 1);
    for (std::size_t i = 0; i < keep; ++i) f.durable.push_back(std::move(f.pending[i]));
    f.pending.clear();
  }
}

void SimDisk::flush_all() {
  for (auto& [name, f] : files_) {
    for (auto& r : f.pending) f.durable.push_back(std::move(r));
    f.pending.clear();
  }
}

std::size_t SimDisk::pending_records() const {
  std::size_t n = 0;
  for (const auto& [name, f] : files_) n += f.pending.size();
  return n;
}

}  // namespace mabeam::sim
