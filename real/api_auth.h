// Who may use a real node's HTTP API (DESIGN.md, "Real node endpoints"). /health, /ready and
// /metrics are open: probes and Prometheus scrape them. Every other endpoint needs
// `Authorization: Bearer <token>`, the token of --api-token-file:
// - no token configured: 403, "no API token configured";
// - no or a wrong token: 401; after kFailuresMax failures from one address within
//   kFailureWindow, that address gets 429 for kBlockFor (a request with the right token
//   always passes, also from a blocked address, so a client cannot be locked out by others
//   guessing from its address);
// - the token is compared in constant time (of SHA-256 digests, so not even its length
//   leaks) and is never logged or echoed.
// Time comes in as an argument, so the rules are tested without sleeping. Node thread only.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/time.h"

namespace mabeam::real {

class ApiAuth {
 public:
  static constexpr int kFailuresMax = 5;
  static constexpr DurationUs kFailureWindow = sec(10);
  static constexpr DurationUs kBlockFor = sec(10);
  static constexpr std::size_t kAddressesMax = 4096;  // tracked failing addresses (oldest dropped)

  // No token: every protected endpoint answers 403.
  explicit ApiAuth(std::optional<std::string> token);

  // True for the endpoints that need no token.
  static bool open_path(const std::string& path);

  struct Decision {
    int status = 200;  // 200: serve it; else answer with this status and `why`
    std::string why;
  };
  // `authorization` is the request's Authorization header ("" when absent), `peer` the
  // client's address, `now` a monotonic time.
  Decision check(const std::string& path, const std::string& authorization, const std::string& peer, TimeUs now);

  struct Counters {
    std::uint64_t missing = 0;    // no Authorization header, or not a bearer token
    std::uint64_t wrong = 0;      // a bearer token that is not ours
    std::uint64_t throttled = 0;  // answered 429
    std::uint64_t unconfigured = 0;  // answered 403: no token configured
  };
  const Counters& counters() const { return counters_; }
  bool configured() const { return digest_.has_value(); }

 private:
  struct Failures {
    TimeUs window_start = 0;
    int count = 0;
    TimeUs blocked_until = -1;
    TimeUs last = 0;
  };
  bool matches(const std::string& presented) const;
  void forget_oldest();

  std::optional<std::array<std::uint8_t, 32>> digest_;
  std::map<std::string, Failures> failures_;
  Counters counters_;
};

}  // namespace mabeam::real
