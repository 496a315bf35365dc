// What an accept loop does after a failed accept (EMFILE/ENFILE "too many open files",
// ENOBUFS, ...). Retrying at once would spin at full CPU for as long as the error lasts, and
// log a line per try; instead the loop waits on a timer, 100 ms after the first failure and
// twice as long after each further one, up to 1 s, and logs only the first failure of a
// burst and the first success after it. The pending connections stay in the kernel's
// backlog meanwhile and are accepted once descriptors free up.
//
// Used by the transport's peer listener, the HTTP endpoints and the port mapper. It holds
// no socket or timer: each loop arms its own timer with the delay it is given.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "engine/time.h"

namespace mabeam::real {

class AcceptBackoff {
 public:
  // `who` starts each log line, e.g. "mabeam node n1: peer listener 127.0.0.1:4370".
  explicit AcceptBackoff(std::string who, DurationUs first = ms(100), DurationUs max = sec(1));

  // After a failed accept: the delay before the next one. Logs the first failure of a burst.
  DurationUs failed(const std::string& error);
  // After a successful accept: ends a burst (logged with its count) and resets the delay.
  void succeeded();

  void set_who(std::string who) { who_ = std::move(who); }
  std::uint64_t failures_total() const { return total_; }
  bool in_burst() const { return burst_ > 0; }

 private:
  std::string who_;
  DurationUs first_;
  DurationUs max_;
  DurationUs next_ = 0;
  std::uint64_t burst_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace mabeam::real
