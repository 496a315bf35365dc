// The transport's send queue is bounded: messages for a peer that does not drain them (here a
// peer that accepts TCP but never answers the handshake) queue up to the limit, and the rest
// are shed, counted and traced as msg_drop with reason "queue_full". A name with no address
// is shed as "no_route". Also: dials to oneself, and a dial reset by a closing listener.
#include <poll.h>

#include <catch2/catch.hpp>
#include <memory>
#include <thread>

#include "process_harness.h"
#include "real/real_node.h"

using namespace mabeam;
using namespace mabeam::real;

namespace {
struct Probe {
  static constexpr MessageType kType{0xFE10, 1, "probe"};
  std::uint64_t n = 0;
  void encode(Writer& w) const { w.varint(n); }
  static bool decode(Reader& r, std::uint8_t, Probe& m) { return r.varint(m.n); }
};

// A TCP listener that never accepts: the kernel completes connections, nobody answers.
struct SilentListener {
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~SilentListener() { ::close(fd); }
  int fd = -1;
  std::uint16_t port = 0;
};
}  // namespace

TEST_CASE("transport: a full send queue sheds messages, counted and traced as queue_full", "[real]") {
  auto dir = testing::temp_dir();
  SilentListener ghost;
  RealNodeConfig cfg;
  cfg.name = "sender";
  cfg.listen = HostPort{"127.0.0.1", 0};
  cfg.cookie = "secret";
  cfg.install_services = false;
  cfg.handle_signals = false;
  cfg.trace_path = dir->file("trace.jsonl");
  cfg.transport.send_queue_frames_max = 8;
  cfg.transport.log_connections = false;
  RealNode node(std::move(cfg));
  REQUIRE(node.open().is_ok());
  std::thread runner([&] { node.run(); });
  node.call([&] {
    node.transport().learn("ghost", "127.0.0.1:" + std::to_string(ghost.port));
    for (std::uint64_t i = 0; i < 20; ++i) node.node().ctx().send_msg("ghost", Probe{i});
    node.node().ctx().send_msg("nobody", Probe{99});
  });
  TransportStats stats;
  node.call([&] { stats = node.transport().stats(); });
  node.request_stop();
  runner.join();
  CHECK(stats.dropped_queue_full == 12);
  CHECK(stats.dropped_no_route == 1);
  CHECK(stats.messages_sent == 8);
  const std::string trace = read_text_file(dir->file("trace.jsonl"));
  CHECK(trace.find(R"("ev":"msg_drop","to":"ghost","type":"probe","reason":"queue_full")") != std::string::npos);
  CHECK(trace.find(R"("ev":"msg_drop","to":"nobody","type":"probe","reason":"no_route")") != std::string::npos);
  CHECK(trace.rfind(R"({"trace":"mabeam","version":1,"source":"real","seed":)", 0) == 0);
}

TEST_CASE("transport: a seed that is the node itself is dialed once and then left alone", "[real]") {
  RealNodeConfig cfg;
  cfg.name = "self-seeded";
  cfg.listen = HostPort{"127.0.0.1", 0};
  cfg.cookie = "secret";
  cfg.install_services = false;
  cfg.handle_signals = false;
  cfg.transport.log_connections = false;
  cfg.transport.reconnect_min = ms(10);
  RealNode node(std::move(cfg));
  REQUIRE(node.open().is_ok());
  std::thread runner([&] { node.run(); });
  node.call([&] { node.transport().add_seed(HostPort{"127.0.0.1", node.listen_port()}); });
  TransportStats stats;
  // Both ends of the self-connection close; give a retry (10ms backoff) ample time to show up.
  wait_until(
      [&] {
        node.call([&] { stats = node.transport().stats(); });
        return stats.connections_closed >= 2;
      },
      Millis(2000));
  CHECK_FALSE(wait_until(
      [&] {
        node.call([&] { stats = node.transport().stats(); });
        return stats.connections_dialed > 1;
      },
      Millis(300)));
  node.request_stop();
  runner.join();
  CHECK(stats.connections_dialed == 1);
  CHECK(stats.handshake_failures == 0);
  CHECK(stats.handshakes_ok == 0);
}

// A peer process dying closes its connections a moment before its listener: a re-dial in
// between is accepted into the dying listener's backlog and then reset, unheard. The
// transport dials once more at once, and that dial's refusal (the failure detector's
// evidence) comes without the backoff; a host that keeps doing it is then backed off from.
TEST_CASE("transport: a dial reset unheard by a closing listener is dialed again at once and its refusal reported", "[real]") {
  auto listener = std::make_unique<SilentListener>();
  const std::uint16_t port = listener->port;
  RealNodeConfig cfg;
  cfg.name = "survivor";
  cfg.listen = HostPort{"127.0.0.1", 0};
  cfg.cookie = "secret";
  cfg.install_services = false;
  cfg.handle_signals = false;
  cfg.transport.log_connections = false;
  cfg.transport.reconnect_min = sec(60);  // any backoff is 30 s or more
  cfg.transport.reconnect_max = sec(120);
  RealNode node(std::move(cfg));
  REQUIRE(node.open().is_ok());
  std::thread runner([&] { node.run(); });
  node.call([&] { node.transport().learn("dying", "127.0.0.1:" + std::to_string(port)); });
  // The kernel completed the connection into the backlog; closing the listener resets it.
  pollfd pending{listener->fd, POLLIN, 0};
  REQUIRE(::poll(&pending, 1, 5000) == 1);
  listener.reset();
  TransportStats stats;
  auto refused = [&] {
    node.call([&] { stats = node.transport().stats(); });
    return stats.dials_refused >= 1;
  };
  CHECK(wait_until(refused, Millis(10000)));
  CHECK(stats.connections_dialed == 2);
  CHECK_FALSE(wait_until(
      [&] {
        node.call([&] { stats = node.transport().stats(); });
        return stats.connections_dialed > 2;
      },
      Millis(500)));
  node.request_stop();
  runner.join();
  CHECK(stats.handshakes_ok == 0);
}
