// The shapes of what names an endpoint (DESIGN.md, "Agents"):
// - an agent id `<node>.<serial>` ("n1.17"): the node that minted it, then a decimal serial;
// - a client id `<node>:<boot>:<label>` ("n1:3:http"): a client of one life of a node;
// - a registered name `[A-Za-z_][A-Za-z0-9_-]*`, never id-shaped (no '.', no ':'), at most
//   kNameBytesMax bytes.
#pragma once
#include <cstdint>
#include <string>

namespace mabeam::agents {

inline constexpr std::size_t kNameBytesMax = 128;

inline bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > kNameBytesMax) return false;
  const char c0 = n[0];
  if (!((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z') || c0 == '_')) return false;
  for (char c : n)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

// An agent id: a non-empty node, a '.', and a serial of digits (at most 19, no leading zero).
inline bool is_agent_id(const std::string& id) {
  const auto dot = id.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= id.size() || id.size() - dot - 1 > 19) return false;
  if (id[dot + 1] == '0') return false;
  for (std::size_t i = dot + 1; i < id.size(); ++i)
    if (id[i] < '0' || id[i] > '9') return false;
  return id.find(':') == std::string::npos;
}

inline bool is_client_endpoint(const std::string& id) {
  const auto a = id.find(':');
  return a != std::string::npos && a > 0 && id.find(':', a + 1) != std::string::npos;
}

// The node in an agent id or a client id ("" for anything else).
inline std::string node_in_id(const std::string& id) {
  if (is_client_endpoint(id)) return id.substr(0, id.find(':'));
  if (is_agent_id(id)) return id.substr(0, id.rfind('.'));
  return "";
}

// The serial of an agent id (0 if it is not one).
inline std::uint64_t serial_in_id(const std::string& id) {
  if (!is_agent_id(id)) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = id.rfind('.') + 1; i < id.size(); ++i) {
    const std::uint64_t d = static_cast<std::uint64_t>(id[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace mabeam::agents
