// Accept-loop backoff after accept errors (see accept_backoff.h).
#include "real/accept_backoff.h"

#include <algorithm>
#include <cstdio>

namespace mabeam::real {

AcceptBackoff::AcceptBackoff(std::string who, DurationUs first, DurationUs max)
    : who_(std::move(who)), first_(first), max_(std::max(first, max)) {}

DurationUs AcceptBackoff::failed(const std::string& error) {
  ++total_;
  if (burst_++ == 0) {
    next_ = first_;
    std::fprintf(stderr, "%s: accept failed: %s; pausing accepts (%lldms, growing to %lldms) until one succeeds\n",
                 who_.c_str(), error.c_str(), static_cast<long long>(first_ / 1000), static_cast<long long>(max_ / 1000));
    return next_;
  }
  next_ = std::min(max_, next_ * 2);
  return next_;
}

void AcceptBackoff::succeeded() {
  if (burst_ == 0) return;
  std::fprintf(stderr, "%s: accepting again after %llu failed accepts\n", who_.c_str(),
               static_cast<unsigned long long>(burst_));
  burst_ = 0;
  next_ = 0;
}

}  // namespace mabeam::real
