// HTTP/1.1 keep-alive load generation and a local etcd cluster, for the benchmarks that
// drive real mabeam nodes beside etcd over loopback (bench_consensus, bench_failover).
// Plain blocking sockets with send/receive timeouts: a load generator thread per client.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/status.h"
#include "real/cluster_launcher.h"

namespace mabeam::real {

// One HTTP/1.1 connection to 127.0.0.1:`port` kept open across requests; a request at a time.
class KeepAlive {
 public:
  explicit KeepAlive(std::uint16_t port, int timeout_ms = 5000) : port_(port), timeout_ms_(timeout_ms) {}
  ~KeepAlive() { drop(); }
  KeepAlive(const KeepAlive&) = delete;
  KeepAlive& operator=(const KeepAlive&) = delete;

  // The status code (0: no answer within the timeout, or not HTTP; the connection is then
  // re-dialled at the next request).
  int request(const std::string& method, const std::string& path, const std::string& body, const std::string& headers);
  // The body of the last response request() read.
  const std::string& body() const { return body_; }

 private:
  bool dial();
  void drop();
  int fail();
  bool fill();
  bool need(std::size_t from, std::size_t n);
  int read_response();

  std::uint16_t port_;
  int timeout_ms_;
  int fd_ = -1;
  std::string buf_;
  std::string body_;
};

std::string base64(const std::string& in);

// Three etcd members on 127.0.0.1 with their data on disk, killed and reaped on destruction.
class EtcdCluster {
 public:
  // `etcd`: the executable; `extra`: more flags for every member (e.g. timers). Waits until
  // every member is healthy. Error: the binary missing, or no healthy cluster within 20 s.
  static Result<std::unique_ptr<EtcdCluster>> start(const std::string& etcd, const std::vector<std::string>& extra = {});
  const std::vector<std::uint16_t>& client_ports() const { return client_; }
  // The member that is the leader now, by asking each (-1 if none answers so).
  int leader();
  void kill(int member);
  // Starts a killed member again on its data directory.
  Status restart(int member);
  // Every live member healthy and one leader, within `timeout`.
  bool healthy(Millis timeout);

 private:
  EtcdCluster() = default;
  Status spawn(int member);
  std::string etcd_;
  std::vector<std::string> extra_;
  std::unique_ptr<TempDir> dir_;
  std::vector<std::uint16_t> client_, peer_;
  std::string initial_;
  std::vector<std::unique_ptr<ChildProcess>> procs_;
};

}  // namespace mabeam::real
