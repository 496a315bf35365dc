// Durable storage as a node sees it: named files of records. The contract mirrors a real
// disk: append() is buffered and may be lost at a crash until a sync of the file covers it;
// rewrite() replaces a file atomically and durably. A record torn by a crash is never
// returned: read() gives the records that survived, in order. Errors come back as Status
// (io_error when the disk fails), never as exceptions.
//
// Two ways to sync. sync_async() is the one protocol code should use: it starts making
// durable everything appended to the file so far and returns at once; `done` runs later on
// the node's thread (never inside the call), with ok once those records are durable or the
// error. Syncs of one file complete in the order they were started. If the node crashes
// first, `done` never runs and the records may be lost. So an fsync never stalls the node's
// other services: the simulator models its latency, the real side runs it on a worker
// thread. sync() blocks until durable and stays for the few callers that write rarely (the
// boot record, the variables' own writes).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/codec.h"
#include "engine/status.h"

namespace mabeam {

class Storage {
 public:
  virtual ~Storage() = default;
  virtual Status append(const std::string& file, const Bytes& record) = 0;
  virtual Status sync(const std::string& file) = 0;
  using SyncDone = std::function<void(Status)>;
  virtual void sync_async(const std::string& file, SyncDone done) = 0;
  virtual Result<std::vector<Bytes>> read(const std::string& file) = 0;
  virtual Status rewrite(const std::string& file, const std::vector<Bytes>& records) = 0;
};

}  // namespace mabeam
