// The port mapper, like Erlang's EPMD: a small registry of node name -> host:port that
// nodes register with and renew, and that nodes ask to find each other.
//
// Protocol: text lines over TCP, each at most 512 bytes, ended by '\n':
//   REGISTER <name> <host:port> <ttl_ms>  -> OK            (host 0.0.0.0: the caller's address)
//   UNREGISTER <name>                     -> OK
//   LOOKUP <name>                         -> FOUND <name> <host:port> | NOTFOUND <name>
//   LIST                                  -> NODE <name> <host:port> ... then END
//   QUIT                                  -> BYE, and the mapper closes
// Anything else, an over-long line, a bad name or address: ERR <why>, and the mapper closes.
// A registration not renewed within its ttl (at most ttl_max) expires. Connections are
// limited in number and closed after an idle timeout.
//
// PortmapTable is the registry without sockets; run_portmap() serves it; PortmapClient is
// what a node runs: every interval it registers itself and lists the others.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/time.h"
#include "real/net_util.h"

namespace boost::asio {
class io_context;
}

namespace mabeam::real {

inline constexpr std::size_t kPortmapLineBytesMax = 512;

struct PortmapConfig {
  HostPort listen;
  std::size_t registrations_max = 4096;
  std::size_t connections_max = 256;
  DurationUs idle_timeout = sec(5);
  DurationUs ttl_max = sec(600);
};

class PortmapTable {
 public:
  explicit PortmapTable(std::size_t registrations_max = 4096, DurationUs ttl_max = sec(600))
      : registrations_max_(registrations_max), ttl_max_(ttl_max) {}
  struct Reply {
    std::string text;  // zero or more lines, each ended by '\n'
    bool close = false;
  };
  // One request line (without its '\n'); `caller_ip` replaces a 0.0.0.0 host on REGISTER.
  Reply handle(std::string_view line, TimeUs now, const std::string& caller_ip);
  void expire(TimeUs now);
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string addr;
    TimeUs expires = 0;
  };
  std::size_t registrations_max_;
  DurationUs ttl_max_;
  std::map<std::string, Entry> entries_;
};

// Serves a port mapper until SIGTERM or SIGINT. Prints "listening on HOST:PORT" on stdout.
// Returns the process exit code (0 clean, 1 cannot listen).
int run_portmap(const PortmapConfig& config);

class PortmapClient {
 public:
  using OnList = std::function<void(const std::vector<std::pair<std::string, std::string>>&)>;
  // Registers `name` at `addr` with `mapper` every `interval` (ttl 3 intervals) and reports
  // every listing to on_list. Runs on `io`'s thread.
  PortmapClient(boost::asio::io_context& io, HostPort mapper, std::string name, std::string addr, DurationUs interval,
                OnList on_list);
  ~PortmapClient();
  void start();
  // Stops renewing and asks the mapper to forget this node (best effort, not awaited).
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mabeam::real
