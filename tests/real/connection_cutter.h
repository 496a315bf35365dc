// Test-only: closes a live TCP connection between two local processes from outside, as a
// network fault (a NAT or a firewall dropping the flow, a peer's kernel resetting it) would,
// without any hook in the product. The sockets of process A that are connected to a socket
// of process B are found through /proc/net/tcp (connection -> socket inode) and
// /proc/PID/fd (inode -> descriptor); each is duplicated into this process with
// pidfd_getfd(2) (Linux 5.6+, needs ptrace permission over A: a parent over its child) and
// shut down in both directions, which ends that TCP connection for both processes at once
// (A reads EOF, B gets A's FIN). Loopback IPv4 only, which is all the multi-process tests use.
#pragma once
#include <dirent.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace mabeam::testing {

namespace detail {

// Socket inode -> file descriptor number, for every socket process `pid` holds.
inline std::map<unsigned long, int> socket_fds(pid_t pid) {
  std::map<unsigned long, int> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[128] = {};
    const ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    unsigned long inode = 0;
    if (n > 0 && std::sscanf(target, "socket:[%lu]", &inode) == 1) out[inode] = std::atoi(e->d_name);
  }
  ::closedir(d);
  return out;
}

struct TcpRow {
  unsigned local_port = 0, remote_port = 0;
  unsigned long inode = 0;
};

// The established IPv4 connections of the whole network namespace.
inline std::vector<TcpRow> established_tcp() {
  std::vector<TcpRow> out;
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the column titles
  while (std::getline(in, line)) {
    unsigned slot = 0, lip = 0, lport = 0, rip = 0, rport = 0, state = 0;
    unsigned long inode = 0;
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
    if (std::sscanf(line.c_str(), " %u: %8X:%4X %8X:%4X %2X %*X:%*X %*X:%*X %*X %*u %*u %lu", &slot, &lip, &lport, &rip,
                    &rport, &state, &inode) != 7)
      continue;
    if (state == 0x01 && inode != 0) out.push_back({lport, rport, inode});
  }
  return out;
}

}  // namespace detail

// Shuts down every TCP connection between processes `a` and `b` (in both directions), from
// `a`'s side. Returns how many it shut down; an error if a socket could not be taken from
// `a` (no pidfd_getfd, no permission).
inline Result<int> cut_connections(pid_t a, pid_t b) {
  const auto fds_a = detail::socket_fds(a);
  const auto fds_b = detail::socket_fds(b);
  const auto rows = detail::established_tcp();
  std::set<std::pair<unsigned, unsigned>> ends_b;  // (local, remote) ports of b's connections
  for (const auto& r : rows)
    if (fds_b.count(r.inode)) ends_b.insert({r.local_port, r.remote_port});
  std::vector<int> victims;  // a's ends of them
  for (const auto& r : rows) {
    auto it = fds_a.find(r.inode);
    if (it != fds_a.end() && ends_b.count({r.remote_port, r.local_port})) victims.push_back(it->second);
  }
  if (victims.empty()) return 0;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, a, 0));
  if (pidfd < 0) return Status::unavailable(std::string("pidfd_open: ") + std::strerror(errno));
  int cut = 0;
  Status failed = Status::ok();
  for (const int fd : victims) {
    const int mine = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0));
    if (mine < 0) {
      failed = Status::unavailable(std::string("pidfd_getfd: ") + std::strerror(errno) +
                                   " (the test needs Linux 5.6+ and ptrace permission over its child)");
      break;
    }
    if (::shutdown(mine, SHUT_RDWR) == 0) ++cut;
    ::close(mine);
  }
  ::close(pidfd);
  if (!failed) return failed;
  return cut;
}

}  // namespace mabeam::testing
