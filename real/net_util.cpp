// Address, seed, name and cookie parsing (see net_util.h).
#include "real/net_util.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mabeam::real {

Result<HostPort> parse_host_port(std::string_view text) {
  const std::string shown(text);
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return Status::invalid("expected HOST:PORT, found \"" + shown + "\"");
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return Status::invalid("expected HOST:PORT, found \"" + shown + "\" (empty host)");
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535)
    return Status::invalid("expected a port 0..65535 in \"" + shown + "\"");
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace

Result<std::vector<Seed>> parse_seeds(std::string_view text) {
  std::vector<Seed> out;
  while (!trim(text).empty()) {
    const auto comma = text.find(',');
    std::string_view entry = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (entry.empty()) continue;
    Seed seed;
    if (const auto at = entry.find('@'); at != std::string_view::npos) {
      seed.name = std::string(entry.substr(0, at));
      if (!valid_node_name(seed.name))
        return Status::invalid("seed \"" + std::string(entry) + "\": \"" + seed.name + "\" is not a valid node name");
      entry = entry.substr(at + 1);
    }
    auto addr = parse_host_port(entry);
    if (!addr) return Status::invalid("seed: " + addr.status().message());
    if (addr->port == 0) return Status::invalid("seed \"" + std::string(entry) + "\": port 0 cannot be dialed");
    seed.addr = *addr;
    out.push_back(std::move(seed));
  }
  return out;
}

bool valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> read_secret_file(const std::string& path, const std::string& what, SecretRules rules) {
  const std::string where = what + " " + path + ": ";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::invalid(where + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::invalid(where + "not a regular file");
  if ((st.st_mode & 077) != 0)
    return Status::invalid(where + "must not be accessible by group or others (run: chmod 600 " + path + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid(where + "cannot open (" + std::strerror(errno) + ")");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::invalid(where + "cannot read");
  std::string text = buf.str();
  if (rules.first_line_only) text = text.substr(0, text.find('\n'));
  std::string secret(trim(text));
  if (secret.empty()) return Status::invalid(where + (rules.first_line_only ? "the first line is empty" : "empty"));
  if (secret.size() < rules.bytes_min)
    return Status::invalid(where + "shorter than " + std::to_string(rules.bytes_min) + " bytes (found " +
                           std::to_string(secret.size()) + "; make one with: head -c 32 /dev/urandom | base64)");
  if (secret.size() > rules.bytes_max)
    return Status::invalid(where + "longer than " + std::to_string(rules.bytes_max) + " bytes");
  return secret;
}

Result<std::string> read_cookie_file(const std::string& path) { return read_secret_file(path, "cookie file", {}); }

Result<std::string> read_api_token_file(const std::string& path) {
  return read_secret_file(path, "API token file", SecretRules{true, 16, 4096});
}

}  // namespace mabeam::real
