// Test-only helpers for the real backend's tests, on top of real/cluster_launcher.h (which
// has the child processes, bounded waits, HTTP requests and temporary directories): a raw TCP
// client for sending garbage and half-finished frames, and Catch-asserting shorthands for
// creating a temporary directory and spawning a child process (killed and reaped by its
// destructor, even when an assertion throws).
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "real/cluster_launcher.h"

namespace mabeam::testing {

using real::Millis;

// A private temporary directory, removed with everything in it at the end.
inline std::unique_ptr<real::TempDir> temp_dir() {
  auto d = real::TempDir::create();
  INFO((d ? std::string() : d.status().message()));
  REQUIRE(d);
  return std::move(*d);
}

// Forks and execs args[0] with stderr appended to `stderr_path` (and RLIMIT_NOFILE set to
// `open_files_max`, if given).
inline std::unique_ptr<real::ChildProcess> spawn(const std::vector<std::string>& args, const std::string& stderr_path,
                                                 std::optional<std::uint64_t> open_files_max = std::nullopt) {
  auto c = real::ChildProcess::spawn(args, real::SpawnOptions{stderr_path, open_files_max});
  INFO((c ? std::string() : c.status().message()));
  REQUIRE(c);
  return std::move(*c);
}

// A blocking TCP client to 127.0.0.1 with receive and send timeouts.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port, Millis timeout = Millis(2000)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  bool connected() const { return connected_; }
  bool send_all(const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t k = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (k <= 0) return false;
      p += k;
      n -= static_cast<std::size_t>(k);
    }
    return true;
  }
  bool send_all(const std::string& s) { return send_all(s.data(), s.size()); }
  bool send_all(const std::vector<std::uint8_t>& b) { return send_all(b.data(), b.size()); }
  // Reads exactly n bytes; false on EOF, error or timeout.
  bool read_exact(void* data, std::size_t n) {
    char* p = static_cast<char*>(data);
    while (n > 0) {
      const ssize_t k = ::recv(fd_, p, n, 0);
      if (k <= 0) return false;
      p += k;
      n -= static_cast<std::size_t>(k);
    }
    return true;
  }
  // Reads until EOF or timeout; returns (bytes, whether EOF was seen).
  std::pair<std::string, bool> read_to_eof() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t k = ::recv(fd_, buf, sizeof buf, 0);
      if (k == 0) return {out, true};
      if (k < 0) return {out, errno == ECONNRESET};
      out.append(buf, static_cast<std::size_t>(k));
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace mabeam::testing
