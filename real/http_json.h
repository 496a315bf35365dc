// Helpers the HTTP handlers of real nodes share (variables, consensus, agents): a query
// parameter of a request target, and a stored JSON text as JSON for a response body.
#pragma once
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

namespace mabeam::real {

// The value of query parameter `key` in "PATH?a=b&c=d" ("" if absent). Values are plain words here.
inline std::string query_param(const std::string& target, const std::string& key) {
  const auto q = target.find('?');
  if (q == std::string::npos) return "";
  std::size_t at = q + 1;
  while (at < target.size()) {
    const auto amp = std::min(target.find('&', at), target.size());
    const std::string pair = target.substr(at, amp - at);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string::npos ? "" : pair.substr(eq + 1);
    at = amp + 1;
  }
  return "";
}

// JSON text as JSON: empty is null, text that does not parse stays a string.
inline nlohmann::json json_or_text(const std::string& text) {
  if (text.empty()) return nullptr;
  nlohmann::json v = nlohmann::json::parse(text, nullptr, false);
  return v.is_discarded() ? nlohmann::json(text) : v;
}

}  // namespace mabeam::real
