// Checksummed record files (see file_storage.h).
#include "real/file_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <memory>

#include "real/crc32c.h"

namespace mabeam::real {

namespace {
std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 | static_cast<std::uint32_t>(p[2]) << 16 |
         static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint32_t record_crc(const std::uint8_t* len_bytes, const std::uint8_t* payload, std::size_t size) {
  return crc32c(crc32c(0, len_bytes, 4), payload, size);
}

void encode_record(std::vector<std::uint8_t>& out, const Bytes& record) {
  std::uint8_t header[kRecordHeaderBytes];
  put_u32(header, static_cast<std::uint32_t>(record.size()));
  put_u32(header + 4, record_crc(header, record.data(), record.size()));
  out.insert(out.end(), header, header + kRecordHeaderBytes);
  out.insert(out.end(), record.begin(), record.end());
}

Status write_all(int fd, const std::vector<std::uint8_t>& data, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::io_error(errno_text("write " + what));
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

Status fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::io_error(errno_text("open dir " + dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::io_error(errno_text("fsync dir " + dir));
  return Status::ok();
}
}  // namespace

Result<std::unique_ptr<FileStorage>> FileStorage::open(const std::string& dir) {
  if (dir.empty()) return Status::invalid("data dir: empty path");
  // Like `mkdir -p`: missing parents are created too (mode 0700 for what is created here).
  for (std::size_t at = dir.find('/', 1);; at = dir.find('/', at + 1)) {
    const std::string part = dir.substr(0, at);
    if (!part.empty() && ::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return Status::io_error(errno_text("mkdir " + part));
    if (at == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Status::io_error("data dir " + dir + ": not a directory");
  return std::unique_ptr<FileStorage>(new FileStorage(dir));
}

FileStorage::~FileStorage() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  for (auto& [name, f] : open_)
    if (f.fd >= 0) ::close(f.fd);
}

Status FileStorage::check_name(const std::string& file) const {
  if (file.empty() || file.size() > 200 || file.find('/') != std::string::npos || file == "." || file == ".." ||
      file.find('\0') != std::string::npos || (file.size() >= 4 && file.compare(file.size() - 4, 4, ".tmp") == 0))
    return Status::invalid("storage file name \"" + file + "\" is not allowed");
  return Status::ok();
}

Result<std::vector<Bytes>> FileStorage::scan(const std::string& path, std::uint64_t& good_bytes) {
  good_bytes = 0;
  std::vector<Bytes> records;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return records;
    return Status::io_error(errno_text("open " + path));
  }
  std::vector<std::uint8_t> data;
  std::uint8_t chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      const Status s = Status::io_error(errno_text("read " + path));
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    data.insert(data.end(), chunk, chunk + n);
  }
  ::close(fd);
  std::size_t pos = 0;
  while (data.size() - pos >= kRecordHeaderBytes) {
    const std::uint32_t len = get_u32(&data[pos]);
    const std::uint32_t crc = get_u32(&data[pos + 4]);
    if (len > kRecordBytesMax || len > data.size() - pos - kRecordHeaderBytes) break;  // torn or a garbled length
    const std::uint8_t* payload = &data[pos + kRecordHeaderBytes];
    if (record_crc(&data[pos], payload, len) != crc) break;
    records.emplace_back(payload, payload + len);
    pos += kRecordHeaderBytes + len;
  }
  // Everything after the first bad record is dropped: without a trustworthy length there is
  // no way to find where the next record starts.
  if (pos < data.size()) ++records_dropped_;
  good_bytes = pos;
  return records;
}

Result<int> FileStorage::fd_for_append(const std::string& file) {
  auto it = open_.find(file);
  if (it != open_.end()) return it->second.fd;
  const std::string path = path_of(file);
  std::uint64_t good = 0;
  auto scanned = scan(path, good);
  if (!scanned) return scanned.status();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::io_error(errno_text("open " + path));
  // Cut a torn tail so records appended now follow the last good one.
  if (::ftruncate(fd, static_cast<off_t>(good)) != 0 || ::lseek(fd, static_cast<off_t>(good), SEEK_SET) < 0) {
    const Status s = Status::io_error(errno_text("truncate " + path));
    ::close(fd);
    return s;
  }
  open_[file].fd = fd;
  return fd;
}

Status FileStorage::append(const std::string& file, const Bytes& record) {
  if (auto s = check_name(file); !s) return s;
  if (record.size() > kRecordBytesMax) return Status::invalid("record of " + std::to_string(record.size()) + " bytes exceeds the limit");
  auto fd = fd_for_append(file);
  if (!fd) return fd.status();
  std::vector<std::uint8_t> data;
  encode_record(data, record);
  return write_all(*fd, data, path_of(file));
}

Status FileStorage::sync(const std::string& file) {
  if (auto s = check_name(file); !s) return s;
  auto it = open_.find(file);
  if (it == open_.end()) return Status::ok();  // nothing appended since open: nothing to make durable
  if (::fsync(it->second.fd) != 0) return Status::io_error(errno_text("fsync " + path_of(file)));
  return Status::ok();
}

void FileStorage::sync_async(const std::string& file, SyncDone done) {
  if (!io_) {
    done(sync(file));
    return;
  }
  Status early = check_name(file);
  auto it = open_.find(file);
  if (!early || it == open_.end()) {  // a bad name, or nothing appended since open
    boost::asio::post(*io_, [done = std::move(done), early] { done(early); });
    return;
  }
  const int fd = ::dup(it->second.fd);
  if (fd < 0) {
    Status s = Status::io_error(errno_text("dup " + path_of(file)));
    boost::asio::post(*io_, [done = std::move(done), s] { done(s); });
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(SyncJob{fd, path_of(file), std::move(done)});
    if (!worker_.joinable()) worker_ = std::thread([this] { worker_loop(); });
  }
  cv_.notify_one();
}

// Group commit: the worker takes every job queued since its last round and makes one fsync
// per file for all of them. A job is queued after its writes returned, so an fsync started
// after the job was taken covers them; completions are posted in queue order. Files are told
// apart by inode, not by name: after a rewrite (a new file renamed over the old) the same
// name holds another file, whose appends an fsync of the old descriptor would not cover.
void FileStorage::worker_loop() {
  for (;;) {
    std::deque<SyncJob> round;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every started sync is done
      round.swap(jobs_);
    }
    std::map<std::pair<dev_t, ino_t>, Status> synced;  // file -> the result of this round's fsync
    for (auto& job : round) {
      struct stat st {};
      Status s;
      if (::fstat(job.fd, &st) != 0) {
        s = Status::io_error(errno_text("fstat " + job.what));
      } else {
        auto it = synced.find({st.st_dev, st.st_ino});
        if (it == synced.end())
          it = synced.emplace(std::make_pair(st.st_dev, st.st_ino),
                              ::fsync(job.fd) == 0 ? Status::ok() : Status::io_error(errno_text("fsync " + job.what)))
                   .first;
        s = it->second;
      }
      ::close(job.fd);
      boost::asio::post(*io_, [done = std::move(job.done), s] { done(s); });
    }
  }
}

void MemoryStorage::sync_async(const std::string&, SyncDone done) {
  if (!io_) {
    done(Status::ok());
    return;
  }
  boost::asio::post(*io_, [done = std::move(done)] { done(Status::ok()); });
}

Result<std::vector<Bytes>> FileStorage::read(const std::string& file) {
  if (auto s = check_name(file); !s) return s;
  std::uint64_t good = 0;
  return scan(path_of(file), good);
}

Status FileStorage::rewrite(const std::string& file, const std::vector<Bytes>& records) {
  if (auto s = check_name(file); !s) return s;
  std::vector<std::uint8_t> data;
  for (const auto& r : records) {
    if (r.size() > kRecordBytesMax) return Status::invalid("record of " + std::to_string(r.size()) + " bytes exceeds the limit");
    encode_record(data, r);
  }
  const std::string path = path_of(file);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::io_error(errno_text("open " + tmp));
  Status s = write_all(fd, data, tmp);
  if (s && ::fsync(fd) != 0) s = Status::io_error(errno_text("fsync " + tmp));
  ::close(fd);
  if (!s) return s;
  // The append descriptor points at the file being replaced: drop it, reopen on next append.
  if (auto it = open_.find(file); it != open_.end()) {
    ::close(it->second.fd);
    open_.erase(it);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::io_error(errno_text("rename " + tmp));
  return fsync_dir(dir_);
}

}  // namespace mabeam::real
