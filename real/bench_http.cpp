// The benchmarks' HTTP client and local etcd cluster (see bench_http.h).
#include "real/bench_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace mabeam::real {

namespace {
constexpr std::size_t kResponseBytesMax = 1 << 20;
const Millis kHealthyTimeout(20000);
}  // namespace

int KeepAlive::request(const std::string& method, const std::string& path, const std::string& body, const std::string& headers) {
  if (fd_ < 0 && !dial()) return 0;
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n" + headers + "\r\n" + body;
  for (std::size_t sent = 0; sent < req.size();) {
    const ssize_t n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return fail();
    sent += static_cast<std::size_t>(n);
  }
  return read_response();
}

bool KeepAlive::dial() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return false;
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    drop();
    return false;
  }
  buf_.clear();
  return true;
}

void KeepAlive::drop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int KeepAlive::fail() {
  drop();
  return 0;
}

bool KeepAlive::fill() {
  char chunk[16384];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0 || buf_.size() > kResponseBytesMax) return false;
  buf_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

bool KeepAlive::need(std::size_t from, std::size_t n) {
  while (buf_.size() < from + n)
    if (!fill()) return false;
  return true;
}

int KeepAlive::read_response() {
  std::size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return fail();
  std::string head = buf_.substr(0, end);
  for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (head.rfind("http/1.1 ", 0) != 0 || head.size() < 12) return fail();
  const int status = std::atoi(head.c_str() + 9);
  const bool close_after = head.find("\r\nconnection: close") != std::string::npos;
  std::size_t at = end + 4;
  body_.clear();
  if (auto cl = head.find("\r\ncontent-length:"); cl != std::string::npos) {
    const std::size_t len = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
    if (len > kResponseBytesMax || !need(at, len)) return fail();
    body_ = buf_.substr(at, len);
    at += len;
  } else if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    for (;;) {  // size line, data, CRLF; a zero size ends it (no trailers expected)
      std::size_t eol;
      while ((eol = buf_.find("\r\n", at)) == std::string::npos)
        if (!fill()) return fail();
      const std::size_t len = std::strtoull(buf_.c_str() + at, nullptr, 16);
      if (len > kResponseBytesMax || !need(eol + 2, len + 2)) return fail();
      body_.append(buf_, eol + 2, len);
      at = eol + 2 + len + 2;
      if (len == 0) break;
    }
  } else {
    return fail();  // a body delimited by the close: not what a keep-alive server sends
  }
  buf_.erase(0, at);
  if (close_after) drop();
  return status;
}

std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < in.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::unique_ptr<EtcdCluster>> EtcdCluster::start(const std::string& etcd, const std::vector<std::string>& extra) {
  if (::access(etcd.c_str(), X_OK) != 0)
    return Status::not_found("etcd: expected an executable at " + etcd + " (apt-get install etcd-server), found none");
  auto dir = TempDir::create();
  if (!dir) return dir.status();
  std::unique_ptr<EtcdCluster> c(new EtcdCluster());
  c->etcd_ = etcd;
  c->extra_ = extra;
  c->dir_ = std::move(*dir);
  for (int i = 0; i < 3; ++i) {
    c->client_.push_back(free_port());
    c->peer_.push_back(free_port());
    c->initial_ += (i ? "," : "") + ("e" + std::to_string(i + 1)) + "=http://127.0.0.1:" + std::to_string(c->peer_.back());
  }
  c->procs_.resize(3);
  for (int i = 0; i < 3; ++i)
    if (auto s = c->spawn(i); !s) return s;
  if (!c->healthy(kHealthyTimeout)) {
    std::string logs;
    for (int i = 1; i <= 3; ++i) {
      const std::string text = read_text_file(c->dir_->file("e" + std::to_string(i) + ".stderr"));
      logs += "; e" + std::to_string(i) + " stderr: " + (text.size() > 400 ? "..." + text.substr(text.size() - 400) : text);
    }
    return Status::unavailable("etcd: the three members were not all healthy and agreeing on a leader within 20 s" + logs);
  }
  return c;
}

Status EtcdCluster::spawn(int i) {
  const std::string name = "e" + std::to_string(i + 1);
  const auto at = static_cast<std::size_t>(i);
  const std::string c = "http://127.0.0.1:" + std::to_string(client_[at]), p = "http://127.0.0.1:" + std::to_string(peer_[at]);
  std::vector<std::string> args = {etcd_, "--name", name, "--data-dir", dir_->file(name), "--listen-client-urls", c,
                                   "--advertise-client-urls", c, "--listen-peer-urls", p, "--initial-advertise-peer-urls", p,
                                   "--initial-cluster", initial_, "--initial-cluster-state", "new", "--initial-cluster-token",
                                   "mabeam-bench", "--log-level", "error"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  auto child = ChildProcess::spawn(args, SpawnOptions{dir_->file(name + ".stderr"), std::nullopt});
  if (!child) return child.status();
  procs_[at] = std::move(*child);
  return Status::ok();
}

int EtcdCluster::leader() {
  for (std::size_t i = 0; i < client_.size(); ++i) {
    if (!procs_[i] || procs_[i]->reaped()) continue;
    KeepAlive conn(client_[i], 1000);
    // The gateway answers the member's own id and the leader's id (as decimal strings).
    if (conn.request("POST", "/v3/maintenance/status", "{}", "Content-Type: application/json\r\n") != 200) continue;
    const std::string reply = conn.body();
    auto j = nlohmann::json::parse(reply, nullptr, false);
    if (!j.is_object() || !j.contains("header") || !j.contains("leader")) continue;
    if (j["header"].value("member_id", std::string()) == j.value("leader", std::string())) return static_cast<int>(i);
  }
  return -1;
}

void EtcdCluster::kill(int member) {
  if (auto& p = procs_[static_cast<std::size_t>(member)]) p->kill_and_reap();
}

Status EtcdCluster::restart(int member) { return spawn(member); }

bool EtcdCluster::healthy(Millis timeout) {
  return wait_until(
      [&] {
        for (std::size_t i = 0; i < client_.size(); ++i) {
          if (!procs_[i] || procs_[i]->reaped()) continue;
          auto j = nlohmann::json::parse(http_get(client_[i], "/health").body, nullptr, false);
          if (!j.is_object() || j.value("health", std::string()) != "true") return false;
        }
        return leader() >= 0;
      },
      timeout, Millis(50));
}

}  // namespace mabeam::real
