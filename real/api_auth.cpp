// The HTTP API's bearer-token rules (see api_auth.h).
#include "real/api_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace mabeam::real {

namespace {
std::array<std::uint8_t, 32> sha256(const std::string& text) {
  std::array<std::uint8_t, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}
}  // namespace

ApiAuth::ApiAuth(std::optional<std::string> token) {
  if (token) digest_ = sha256(*token);
}

bool ApiAuth::open_path(const std::string& path) { return path == "/health" || path == "/ready" || path == "/metrics"; }

bool ApiAuth::matches(const std::string& presented) const {
  const auto d = sha256(presented);
  return CRYPTO_memcmp(d.data(), digest_->data(), d.size()) == 0;
}

void ApiAuth::forget_oldest() {
  auto oldest = failures_.begin();
  for (auto it = failures_.begin(); it != failures_.end(); ++it)
    if (it->second.last < oldest->second.last) oldest = it;
  failures_.erase(oldest);
}

ApiAuth::Decision ApiAuth::check(const std::string& path, const std::string& authorization, const std::string& peer,
                                 TimeUs now) {
  if (open_path(path)) return {};
  if (!digest_) {
    ++counters_.unconfigured;
    return {403, "no API token configured: start the node with --api-token-file to use " + path};
  }
  static const std::string kBearer = "Bearer ";
  const bool bearer = authorization.size() > kBearer.size() && authorization.compare(0, kBearer.size(), kBearer) == 0;
  if (bearer && matches(authorization.substr(kBearer.size()))) return {};

  // A failure: count it against the address, and block the address past the limit.
  if (failures_.size() >= kAddressesMax && !failures_.count(peer)) forget_oldest();
  Failures& f = failures_[peer];
  f.last = now;
  if (f.blocked_until >= 0 && now < f.blocked_until) {
    ++counters_.throttled;
    return {429, "too many failed attempts from " + peer + ": try again later"};
  }
  if (f.count == 0 || now - f.window_start > kFailureWindow) {
    f.window_start = now;
    f.count = 0;
    f.blocked_until = -1;
  }
  ++f.count;
  if (bearer) ++counters_.wrong;
  else ++counters_.missing;
  if (f.count >= kFailuresMax) {
    f.blocked_until = now + kBlockFor;
    f.count = 0;
  }
  return {401, bearer ? "wrong API token" : "this endpoint needs \"Authorization: Bearer <token>\" (the node's --api-token-file)"};
}

}  // namespace mabeam::real
