// Durable storage as a node sees it: named files of records. The contract mirrors a real
// disk: append() is buffered and may be lost at a crash until sync() returns ok; rewrite()
// replaces a file atomically and durably. A record torn by a crash is never returned: read()
// gives the records that survived, in order. Errors come back as Status (io_error when the
// disk fails), never as exceptions.
#pragma once
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
  virtual Result<std::vector<Bytes>> read(const std::string& file) = 0;
  virtual Status rewrite(const std::string& file, const std::vector<Bytes>& records) = 0;
};

}  // namespace mabeam
