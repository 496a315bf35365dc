// Accept loops out of file descriptors: a port mapper and a node run with a low
// RLIMIT_NOFILE (set in the forked child only), the test holds connections open until their
// accepts fail with EMFILE, then lets go. The server must survive, log the failure once per
// burst (not once per retry: a loop retrying at once would log thousands), and accept the waiting
// and new connections once descriptors free up. Every wait is bounded; nothing is timed.
#include <catch2/catch.hpp>
#include <algorithm>
#include <memory>
#include <vector>

#include "process_harness.h"
#include "real/cluster_launcher.h"

using mabeam::testing::RawSocket;
using mabeam::testing::spawn;
using mabeam::testing::temp_dir;
using namespace mabeam::real;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

// Appends what `s` has received so far to `got`, without waiting; whether `marker` arrived.
bool answered(RawSocket& s, std::string& got, const std::string& marker) {
  char buf[256];
  for (ssize_t k; (k = ::recv(s.fd(), buf, sizeof buf, MSG_DONTWAIT)) > 0;) got.append(buf, static_cast<std::size_t>(k));
  return got.find(marker) != std::string::npos;
}

// Each "accept failed" line (a burst begins) is followed by an "accepting again" line.
void check_bursts(const std::string& log, const std::string& who) {
  const std::size_t failed = count(log, who + ": accept failed");
  CHECK(failed >= 1);
  CHECK(failed <= 3);  // a loop retrying at once would log once per try: thousands
  CHECK(count(log, who + ": accepting again after") == failed);
}

}  // namespace

TEST_CASE("accept: the port mapper out of descriptors backs off, logs once, and accepts again once they free up", "[real]") {
  auto dir = temp_dir();
  const std::string err = dir->file("portmap.stderr");
  auto mapper = spawn({MABEAM_BINARY, "portmap", "--listen", "127.0.0.1:0"}, err, 32);
  auto line = mapper->wait_line("listening on 127.0.0.1:", Millis(5000));
  INFO("portmap stderr: " << read_text_file(err));
  REQUIRE(line);
  const auto port = static_cast<std::uint16_t>(std::stoi(*line));

  // More connections than the mapper has descriptors: the kernel completes them all (they
  // wait in the listen backlog); the mapper answers those it could accept.
  std::vector<std::unique_ptr<RawSocket>> conns;
  std::vector<std::string> got(48);
  for (std::size_t i = 0; i < got.size(); ++i) {
    conns.push_back(std::make_unique<RawSocket>(port, Millis(300)));
    REQUIRE(conns.back()->connected());
    REQUIRE(conns.back()->send_all(std::string("LIST\n")));
  }
  REQUIRE(wait_until([&] { return read_text_file(err).find("accept failed: Too many open files") != std::string::npos; },
                     Millis(5000)));
  // Those accepted answer at once; give them a moment, then see who is still waiting.
  wait_until(
      [&] {
        for (std::size_t i = 0; i < conns.size(); ++i) answered(*conns[i], got[i], "END\n");
        return false;
      },
      Millis(300), Millis(10));
  std::vector<std::size_t> waiting;
  for (std::size_t i = 0; i < conns.size(); ++i)
    if (!answered(*conns[i], got[i], "END\n")) waiting.push_back(i);
  INFO(waiting.size() << " of " << conns.size() << " connections were left waiting");
  REQUIRE(!waiting.empty());
  REQUIRE(waiting.size() < conns.size());

  // Let go of the answered ones: the waiting ones are accepted and answered.
  for (std::size_t i = 0; i < conns.size(); ++i)
    if (std::find(waiting.begin(), waiting.end(), i) == waiting.end()) conns[i].reset();
  for (std::size_t i : waiting) {
    CHECK(wait_until([&] { return answered(*conns[i], got[i], "END\n"); }, Millis(5000), Millis(5)));
    conns[i].reset();
  }
  RawSocket fresh(port, Millis(3000));
  REQUIRE(fresh.connected());
  REQUIRE(fresh.send_all(std::string("LIST\nQUIT\n")));
  CHECK(fresh.read_to_eof().first.find("END\n") != std::string::npos);

  const std::string log = read_text_file(err);
  INFO("portmap stderr: " << log);
  check_bursts(log, "mabeam portmap: accept on 127.0.0.1:" + *line);
  CHECK_FALSE(mapper->wait_exit(Millis(0)));  // still running
}

TEST_CASE("accept: a node out of descriptors keeps its peer and HTTP listeners, which accept again once they free up", "[real]") {
  auto dir = temp_dir();
  REQUIRE(write_text_file(dir->file("cookie"), "accept-test-cookie\n"));
  const std::string err = dir->file("node.stderr");
  auto node = spawn({MABEAM_BINARY, "node", "--name", "n1", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                     "--cookie-file", dir->file("cookie"), "--handshake-timeout", "60s"},
                    err, 64);
  auto listen = node->wait_line("listening on 127.0.0.1:", Millis(5000));
  auto http = listen ? node->wait_line("http on 127.0.0.1:", Millis(5000)) : std::nullopt;
  INFO("node stderr: " << read_text_file(err));
  REQUIRE(http);
  const auto peer_port = static_cast<std::uint16_t>(std::stoi(*listen));
  const auto http_port = static_cast<std::uint16_t>(std::stoi(*http));
  REQUIRE(http_get(http_port, "/health").status == 200);

  // Handshakes that never finish hold the node's descriptors until it has none left.
  std::vector<std::unique_ptr<RawSocket>> conns;
  for (int i = 0; i < 96; ++i) {
    conns.push_back(std::make_unique<RawSocket>(peer_port, Millis(300)));
    REQUIRE(conns.back()->connected());
  }
  REQUIRE(wait_until([&] { return read_text_file(err).find("peer listener 127.0.0.1:" + *listen + ": accept failed") != std::string::npos; },
                     Millis(5000)));
  // The HTTP listener meets the same wall; this request waits, then gives up.
  CHECK(http_get(http_port, "/health", Millis(300)).status == 0);
  CHECK(wait_until([&] { return read_text_file(err).find("mabeam http 127.0.0.1:" + *http + ": accept failed") != std::string::npos; },
                   Millis(5000)));

  conns.clear();
  CHECK(wait_until([&] { return http_get(http_port, "/health", Millis(500)).status == 200; }, Millis(10000), Millis(50)));
  RawSocket peer(peer_port, Millis(3000));
  REQUIRE(peer.connected());
  std::uint8_t len[4];
  CHECK(peer.read_exact(len, 4));  // the node's hello: a new peer connection was accepted

  const std::string log = read_text_file(err);
  INFO("node stderr: " << log);
  check_bursts(log, "mabeam node n1: peer listener 127.0.0.1:" + *listen);
  check_bursts(log, "mabeam http 127.0.0.1:" + *http);
  CHECK_FALSE(node->wait_exit(Millis(0)));
}
