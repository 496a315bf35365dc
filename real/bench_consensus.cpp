// mabeam's strong variables against etcd on loopback (see bench_consensus.h).
#include "real/bench_consensus.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "real/cluster_launcher.h"

namespace mabeam::real {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::size_t kResponseBytesMax = 1 << 20;
constexpr int kSocketTimeoutMs = 5000;
const Millis kLeaderTimeout(20000);

// One HTTP/1.1 connection kept open across requests; a request at a time.
class KeepAlive {
 public:
  explicit KeepAlive(std::uint16_t port) : port_(port) {}
  ~KeepAlive() { drop(); }
  KeepAlive(const KeepAlive&) = delete;
  KeepAlive& operator=(const KeepAlive&) = delete;

  // The status code (0: no answer; the connection is then re-dialled at the next request).
  int request(const std::string& method, const std::string& path, const std::string& body, const std::string& headers) {
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

 private:
  bool dial() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    timeval tv{kSocketTimeoutMs / 1000, (kSocketTimeoutMs % 1000) * 1000};
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
  void drop() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fail() {
    drop();
    return 0;
  }
  bool fill() {
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0 || buf_.size() > kResponseBytesMax) return false;
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  // Reads until `buf_` holds `n` bytes from `from`.
  bool need(std::size_t from, std::size_t n) {
    while (buf_.size() < from + n)
      if (!fill()) return false;
    return true;
  }
  int read_response() {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return fail();
    std::string head = buf_.substr(0, end);
    for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (head.rfind("http/1.1 ", 0) != 0 || head.size() < 12) return fail();
    const int status = std::atoi(head.c_str() + 9);
    const bool close_after = head.find("\r\nconnection: close") != std::string::npos;
    std::size_t at = end + 4;
    if (auto cl = head.find("\r\ncontent-length:"); cl != std::string::npos) {
      const std::size_t len = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
      if (len > kResponseBytesMax || !need(at, len)) return fail();
      at += len;
    } else if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
      for (;;) {  // size line, data, CRLF; a zero size ends it (no trailers expected)
        std::size_t eol;
        while ((eol = buf_.find("\r\n", at)) == std::string::npos)
          if (!fill()) return fail();
        const std::size_t len = std::strtoull(buf_.c_str() + at, nullptr, 16);
        if (len > kResponseBytesMax || !need(eol + 2, len + 2)) return fail();
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

  std::uint16_t port_;
  int fd_ = -1;
  std::string buf_;
};

struct Target {
  std::vector<std::uint16_t> ports;  // client k uses ports[k % size]
  std::string headers;               // extra request headers, each ending in \r\n
  std::string method, write_path, write_body, read_method, read_path, read_body;
};

struct Run {
  double ops_per_s = 0, p50_us = 0, p99_us = 0;
  std::uint64_t errors = 0;
};

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

double median(std::vector<double> v) { return percentile(v, 0.5); }

// `clients` threads, each with its own connection, one request open at a time, for `seconds`.
Run load(const Target& t, bool writes, int clients, double seconds) {
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::atomic<std::uint64_t> errors{0};
  const auto stop = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto begin = Clock::now();
  std::vector<std::thread> threads;
  for (int k = 0; k < clients; ++k) {
    threads.emplace_back([&, k] {
      KeepAlive conn(t.ports[static_cast<std::size_t>(k) % t.ports.size()]);
      auto& mine = lat[static_cast<std::size_t>(k)];
      while (Clock::now() < stop) {
        const auto t0 = Clock::now();
        const int status = writes ? conn.request(t.method, t.write_path, t.write_body, t.headers)
                                  : conn.request(t.read_method, t.read_path, t.read_body, t.headers);
        if (status == 200)
          mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        else
          errors.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  std::vector<double> all;
  for (const auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  Run r;
  r.ops_per_s = static_cast<double>(all.size()) / elapsed;
  r.p50_us = percentile(all, 0.5);
  r.p99_us = percentile(all, 0.99);
  r.errors = errors.load();
  return r;
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

// A port nothing listens on now (bound, then released; etcd binds it a moment later).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

// Writes and reads against one system: figures named consensus_<system>_...
void measure(const std::string& system, const Target& t, const ConsensusBenchOptions& o,
             std::vector<std::pair<std::string, double>>& out, std::map<std::string, double>& by_name) {
  auto put = [&](const std::string& name, double v) {
    out.emplace_back(name, v);
    by_name[name] = v;
  };
  load(t, true, 1, 0.3);  // warm up: connections, the leader's first entries
  std::uint64_t errors = 0;
  for (int c : o.clients) {
    std::vector<double> rate, p50, p99;
    for (int i = 0; i < o.repeats; ++i) {
      const Run r = load(t, true, c, o.seconds_per_figure);
      errors += r.errors;
      rate.push_back(r.ops_per_s);
      p50.push_back(r.p50_us);
      p99.push_back(r.p99_us);
    }
    const std::string cs = "c" + std::to_string(c);
    put("consensus_" + system + "_writes_" + cs + "_per_s", median(rate));
    put("consensus_" + system + "_write_p50_" + cs + "_us", median(p50));
    put("consensus_" + system + "_write_p99_" + cs + "_us", median(p99));
  }
  std::vector<double> p50, p99;
  for (int i = 0; i < o.repeats; ++i) {
    const Run r = load(t, false, 1, o.seconds_per_figure);
    errors += r.errors;
    p50.push_back(r.p50_us);
    p99.push_back(r.p99_us);
  }
  put("consensus_" + system + "_read_p50_us", median(p50));
  put("consensus_" + system + "_read_p99_us", median(p99));
  put("consensus_" + system + "_errors", static_cast<double>(errors));  // requests not answered 200, all runs
}

Status bench_mabeam(const ConsensusBenchOptions& o, const std::string& value, std::vector<std::pair<std::string, double>>& out,
                    std::map<std::string, double>& by_name) {
  auto cluster = LocalCluster::create(o.binary, R"({"variables": [{"name": "x", "consistency": "strong"}],
    "config": {"consensus": {"voters": ["n1", "n2", "n3"]}}})");
  if (!cluster) return cluster.status();
  LocalCluster& c = **cluster;
  for (const char* n : {"n1", "n2", "n3"})
    if (auto s = c.start(n, std::string(n) == "n1" ? "" : c.addr("n1")); !s) return s;
  const bool led = wait_until(
      [&] {
        for (const char* n : {"n1", "n2", "n3"}) {
          auto j = json::parse(c.request(n, "GET", "/status").body, nullptr, false);
          if (!j.is_object() || j.value("leader", std::string()).empty()) return false;
        }
        return true;
      },
      kLeaderTimeout, Millis(50));
  if (!led) return Status::unavailable("mabeam: no leader known on all three nodes within 20 s");
  Target t;
  for (const char* n : {"n1", "n2", "n3"}) t.ports.push_back(c.node(n)->http);
  t.headers = std::string("Authorization: Bearer ") + LocalCluster::kApiToken + "\r\n";
  t.method = "PUT";
  t.write_path = "/variables/x";
  t.write_body = json(value).dump();
  t.read_method = "GET";
  t.read_path = "/variables/x";
  measure("mabeam", t, o, out, by_name);
  return Status::ok();
}

Status bench_etcd(const ConsensusBenchOptions& o, const std::string& value, std::vector<std::pair<std::string, double>>& out,
                  std::map<std::string, double>& by_name) {
  if (::access(o.etcd.c_str(), X_OK) != 0)
    return Status::not_found("etcd: expected an executable at " + o.etcd + " (apt-get install etcd-server), found none");
  auto dir = TempDir::create();
  if (!dir) return dir.status();
  std::vector<std::uint16_t> client(3), peer(3);
  std::string initial;
  for (std::size_t i = 0; i < 3; ++i) {
    client[i] = free_port();
    peer[i] = free_port();
    initial += (i ? "," : "") + ("e" + std::to_string(i + 1)) + "=http://127.0.0.1:" + std::to_string(peer[i]);
  }
  std::vector<std::unique_ptr<ChildProcess>> procs;
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string name = "e" + std::to_string(i + 1);
    const std::string c = "http://127.0.0.1:" + std::to_string(client[i]), p = "http://127.0.0.1:" + std::to_string(peer[i]);
    auto child = ChildProcess::spawn({o.etcd, "--name", name, "--data-dir", (*dir)->file(name), "--listen-client-urls", c,
                                      "--advertise-client-urls", c, "--listen-peer-urls", p, "--initial-advertise-peer-urls", p,
                                      "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token",
                                      "mabeam-bench", "--log-level", "error"},
                                     SpawnOptions{(*dir)->file(name + ".stderr"), std::nullopt});
    if (!child) return child.status();
    procs.push_back(std::move(*child));
  }
  const bool healthy = wait_until(
      [&] {
        for (auto port : client) {
          auto j = json::parse(http_get(port, "/health").body, nullptr, false);
          if (!j.is_object() || j.value("health", std::string()) != "true") return false;
        }
        return true;
      },
      kLeaderTimeout, Millis(50));
  if (!healthy) return Status::unavailable("etcd: the three members were not all healthy within 20 s");
  Target t;
  t.ports = client;
  t.headers = "Content-Type: application/json\r\n";
  t.method = "POST";
  t.write_path = "/v3/kv/put";
  t.write_body = json{{"key", base64("x")}, {"value", base64(value)}}.dump();
  t.read_method = "POST";
  t.read_path = "/v3/kv/range";
  t.read_body = json{{"key", base64("x")}}.dump();
  measure("etcd", t, o, out, by_name);
  return Status::ok();
}

}  // namespace

Status run_consensus_benchmarks(std::vector<std::pair<std::string, double>>& out, const ConsensusBenchOptions& options) {
  const std::string value(options.value_bytes, 'v');
  std::map<std::string, double> f;
  if (auto s = bench_mabeam(options, value, out, f); !s) return s;
  if (auto s = bench_etcd(options, value, out, f); !s) return s;
  for (int c : options.clients) {
    const std::string cs = "c" + std::to_string(c);
    const double e = f["consensus_etcd_writes_" + cs + "_per_s"];
    if (e > 0) out.emplace_back("consensus_write_ratio_" + cs, f["consensus_mabeam_writes_" + cs + "_per_s"] / e);
  }
  if (f["consensus_mabeam_read_p50_us"] > 0)
    out.emplace_back("consensus_read_p50_ratio", f["consensus_etcd_read_p50_us"] / f["consensus_mabeam_read_p50_us"]);
  return Status::ok();
}

}  // namespace mabeam::real
