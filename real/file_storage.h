// Storage (engine/storage.h) on real files under one directory: the node's --data-dir.
//
// Each storage file is a sequence of records, each written as
//   u32 little-endian payload length | u32 little-endian CRC-32C of (length bytes, payload) | payload
// append() writes through to the OS (a crash of the process loses nothing, a crash of the
// machine loses what was not synced); sync() is fsync. sync_async() hands the fsync to one
// worker thread (syncs complete in the order they were started) and posts the callback to
// the node's io_context (attach()), so the node's thread never waits for the disk; without
// an io_context attached it syncs in the call (tools and tests). rewrite() writes a temporary file,
// fsyncs it, renames it over the old one and fsyncs the directory, so a reader sees either
// the old records or the new ones.
//
// Reading stops at the first record that is incomplete (a torn write), too long, or fails
// its checksum: that record and everything after it are dropped, never misread, and the
// file is cut back to the good prefix before the next append so new records are readable.
//
// MemoryStorage is the same contract without a disk, for a node run without --data-dir.
#pragma once
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/storage.h"

namespace boost::asio {
class io_context;
}

namespace mabeam::real {

inline constexpr std::size_t kRecordHeaderBytes = 8;
inline constexpr std::size_t kRecordBytesMax = 64u << 20;

class FileStorage final : public Storage {
 public:
  // Creates `dir` (one level) if missing.
  static Result<std::unique_ptr<FileStorage>> open(const std::string& dir);
  ~FileStorage() override;

  Status append(const std::string& file, const Bytes& record) override;
  Status sync(const std::string& file) override;
  void sync_async(const std::string& file, SyncDone done) override;
  Result<std::vector<Bytes>> read(const std::string& file) override;
  Status rewrite(const std::string& file, const std::vector<Bytes>& records) override;

  // Where sync_async's callbacks run (the node's thread). Call before the first sync_async.
  void attach(boost::asio::io_context& io) { io_ = &io; }

  // Records dropped as torn or corrupt since open (all files).
  std::uint64_t records_dropped() const { return records_dropped_; }

 private:
  explicit FileStorage(std::string dir) : dir_(std::move(dir)) {}
  // The worker: fsyncs a duplicate of the file's descriptor (so a rewrite may close the
  // original meanwhile), then posts the outcome.
  struct SyncJob {
    int fd = -1;
    std::string what;
    SyncDone done;
  };
  void worker_loop();
  boost::asio::io_context* io_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SyncJob> jobs_;
  bool stopping_ = false;
  std::thread worker_;
  struct Open {
    int fd = -1;
  };
  Result<int> fd_for_append(const std::string& file);
  // Reads the valid prefix; sets `good_bytes` to its length.
  Result<std::vector<Bytes>> scan(const std::string& path, std::uint64_t& good_bytes);
  Status check_name(const std::string& file) const;
  std::string path_of(const std::string& file) const { return dir_ + "/" + file; }

  std::string dir_;
  std::map<std::string, Open> open_;
  std::uint64_t records_dropped_ = 0;
};

class MemoryStorage final : public Storage {
 public:
  Status append(const std::string& file, const Bytes& record) override {
    files_[file].push_back(record);
    return Status::ok();
  }
  Status sync(const std::string&) override { return Status::ok(); }
  // Completes on the attached io_context (at once, in the call, without one).
  void sync_async(const std::string& file, SyncDone done) override;
  void attach(boost::asio::io_context& io) { io_ = &io; }
  Result<std::vector<Bytes>> read(const std::string& file) override {
    auto it = files_.find(file);
    return it == files_.end() ? std::vector<Bytes>{} : it->second;
  }
  Status rewrite(const std::string& file, const std::vector<Bytes>& records) override {
    files_[file] = records;
    return Status::ok();
  }

 private:
  std::map<std::string, std::vector<Bytes>> files_;
  boost::asio::io_context* io_ = nullptr;
};

}  // namespace mabeam::real
