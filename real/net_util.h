// Small parsing helpers of the real backend that touch no socket: `host:port` addresses,
// seed lists (`host:port` or `name@mapper-host:port`), node names, the cookie and API token files.
// Errors are values with a message a person can act on (they end up on the command line).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace mabeam::real {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
};

// "127.0.0.1:4370", "node-0.mabeam:4370", "[::1]:4370". Port 0 is allowed (ephemeral).
Result<HostPort> parse_host_port(std::string_view text);

// One entry of --seeds: a node's address, or `name@host:port` where host:port is a port
// mapper that resolves `name`.
struct Seed {
  std::string name;  // empty for a plain address
  HostPort addr;
};
// A comma-separated list; blanks around entries are ignored; an empty text gives no seeds.
Result<std::vector<Seed>> parse_seeds(std::string_view text);

// Node names: 1..64 characters of [A-Za-z0-9._-]. Keeps names safe in logs, the port
// mapper's line protocol and trace files.
bool valid_node_name(std::string_view name);

// Reads a secret from a file that must exist, be a regular file and not be readable or
// writable by group or others (chmod 600). `what` names it in errors ("cookie file").
// With first_line_only the secret is the file's first line; surrounding whitespace is never
// part of it. Errors say what is wrong and how to fix it, and never show the secret.
struct SecretRules {
  bool first_line_only = false;
  std::size_t bytes_min = 1;
  std::size_t bytes_max = 4096;
};
Result<std::string> read_secret_file(const std::string& path, const std::string& what, SecretRules rules);

// Reads the shared cookie. Like Erlang's .erlang.cookie the file must exist, be a regular
// file, be non-empty and not be readable or writable by group or others. Surrounding
// whitespace (a trailing newline) is not part of the cookie.
Result<std::string> read_cookie_file(const std::string& path);

// Reads the HTTP API token (DESIGN.md, "Real node endpoints"): the first line of the file,
// surrounding whitespace dropped, at least 16 bytes; mode 600 like the cookie.
Result<std::string> read_api_token_file(const std::string& path);

}  // namespace mabeam::real
