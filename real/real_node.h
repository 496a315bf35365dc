// One real node: the daemon behind `mabeam node`. It owns an io_context and runs, on one
// thread, the node's services (engine/), their Context (AsioContext), the TCP transport,
// discovery (static seeds, port mappers) and the HTTP endpoints.
//
// Lifecycle: construct with a config, open() (storage, boot count = incarnation, sockets,
// trace, services), optionally add more services through node(), then run() on the thread
// that will be the node's thread; it returns after a graceful stop: request_stop() from any
// thread, or SIGTERM/SIGINT when handle_signals is set. A graceful stop runs node.stop()
// (the detector sends Leave, so peers mark this node `left`), waits for send queues to drain
// (bounded), then closes everything.
//
// Endpoints: /health 200 while serving; /ready 200 once joined (a seed answered, or no seeds
// and so alone by configuration) and read-write by the partition guard (a majority of
// max(--cluster-size, members known and not left)), 503 with the reason otherwise; /metrics
// in Prometheus text format 0.0.4; /status as JSON. Those three are open; every other
// endpoint needs the API token (api_auth.h).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/node.h"
#include "engine/node_setup.h"
#include "real/net_util.h"
#include "real/transport.h"

namespace mabeam::real {

struct RealNodeConfig {
  std::string name;
  HostPort listen;
  std::vector<Seed> seeds;  // name@host:port entries name port mappers
  std::string cookie;
  std::optional<HostPort> http;
  std::optional<std::string> api_token;  // none: the protected endpoints answer 403
  std::size_t cluster_size = 0;          // --cluster-size; 0: count only the members seen
  std::string data_dir;  // empty: in-memory storage (incarnation from the wall clock)
  std::string trace_path;
  bool trace_messages = false;
  std::optional<std::uint64_t> seed;
  NodeSetup setup;
  TransportConfig transport;  // name, cookie and listen are filled from the fields above
  DurationUs portmap_interval = sec(1);
  DurationUs leave_flush_timeout = sec(2);
  bool install_services = true;
  bool handle_signals = true;
};

class RealNode {
 public:
  explicit RealNode(RealNodeConfig config);
  ~RealNode();
  RealNode(const RealNode&) = delete;
  RealNode& operator=(const RealNode&) = delete;

  Status open();
  std::uint16_t listen_port() const;
  std::uint16_t http_port() const;  // 0 without --http
  std::string advertised() const;
  std::uint64_t incarnation() const;
  std::uint64_t seed() const;

  Node& node();
  Transport& transport();

  // Runs the node on the calling thread until a graceful stop completes.
  void run();
  // Thread-safe: asks for a graceful stop.
  void request_stop();
  // Thread-safe: runs fn on the node's thread (while run() runs) and waits for it.
  void call(const std::function<void()>& fn);

  // Node thread only.
  std::string status_json();
  std::string metrics_text();
  // 200 and "ready", or 503 and why not.
  std::pair<int, std::string> readiness();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mabeam::real
