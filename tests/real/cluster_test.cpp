// Multi-process tests: real `mabeam node` processes (the NodeCluster fixture of
// node_cluster.h) on 127.0.0.1 with ephemeral ports, running SWIM membership with its
// default timers as deployed (the config file has no membership block): forming through
// seeds and the port mapper, peers that fail the handshake or send garbage, the endpoints
// and the configuration precedence. Failure detection is failure_test.cpp's. Every wait is
// bounded and polls /status, /metrics or stdout; every child is killed and reaped by its
// destructor.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "node_cluster.h"
#include "process_harness.h"
#include "real/framing.h"
#include "real/handshake.h"

using namespace mabeam;
using namespace mabeam::testing;
using real::http_get;
using real::read_text_file;
using real::wait_until;
using nlohmann::json;

namespace {

constexpr auto kStart = Millis(5000);
constexpr const char* kSwimDefaults = "{}";

// A cluster of nodes with SWIM's default timers.
struct Cluster : NodeCluster {
  Cluster() : NodeCluster(kSwimDefaults) {}
};

}  // namespace

static std::vector<std::string> node_names(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("n" + std::to_string(i));
  return out;
}

TEST_CASE("cluster: 3 and 5 nodes form a full mesh through static seeds and report ready", "[real]") {
  const int size = GENERATE(3, 5);
  INFO(size << " nodes");
  Cluster c;
  const auto names = node_names(size);
  c.start("n1", "");
  for (std::size_t i = 1; i < names.size(); ++i) c.start(names[i], c.addr("n1"));
  REQUIRE(c.formed(names));
  for (const auto& n : names) {
    CHECK(http_get(c.node(n).http, "/health").status == 200);
    CHECK(wait_until([&] { return http_get(c.node(n).http, "/ready").status == 200; }, Millis(2000)));
    json s = c.status(n);
    CHECK(s["node"] == n);
    CHECK(s["mode"] == "normal");
    REQUIRE(s["members"].size() == names.size());
    for (const auto& m : s["members"]) {
      CHECK(m["incarnation"] == 1);
      CHECK(m["addr"] == c.addr(m["name"].get<std::string>()));
    }
  }
  // n2.. only knew n1: they found each other through the exchanged address books.
  // The trace has the simulator's header and member lines.
  std::istringstream trace(read_text_file(c.dir().file("n2.jsonl")));
  std::string header;
  std::getline(trace, header);
  json h = json::parse(header);
  CHECK(h["trace"] == "mabeam");
  CHECK(h["source"] == "real");
  CHECK(h["nodes"] == json::array({"n2"}));
  CHECK(h["seed"].is_number_integer());
  CHECK(read_text_file(c.dir().file("n2.jsonl")).find(R"("ev":"member","subject":"n3","state":"active")") != std::string::npos);
}

TEST_CASE("cluster: 3 and 5 nodes form through the port mapper", "[real]") {
  const int size = GENERATE(3, 5);
  INFO(size << " nodes");
  Cluster c;
  const std::string mapper = c.start_portmap();
  const auto names = node_names(size);
  for (const auto& n : names) c.start(n, "n1@" + mapper, {"--portmap-interval", "200ms"});
  REQUIRE(c.formed(names));
  // The mapper lists every node.
  RawSocket s(static_cast<std::uint16_t>(std::stoi(mapper.substr(mapper.rfind(':') + 1))));
  REQUIRE(s.send_all(std::string("LIST\nQUIT\n")));
  auto [listing, eof] = s.read_to_eof();
  CHECK(eof);
  for (const auto& n : names) CHECK(listing.find("NODE " + n + " " + c.addr(n) + "\n") != std::string::npos);
}

TEST_CASE("cluster: a node with the wrong cookie is refused and logged, and the cluster is unaffected", "[real]") {
  Cluster c;
  c.start("n1", "");
  c.start("n2", c.addr("n1"));
  REQUIRE(c.formed({"n1", "n2"}));
  const std::string good_cookie = c.local().cookie_path();
  REQUIRE(real::write_text_file(c.dir().file("bad-cookie"), "not-the-cookie\n"));
  c.local().set_cookie_path(c.dir().file("bad-cookie"));
  c.start("mallory", c.addr("n1") + "," + c.addr("n2"));
  c.local().set_cookie_path(good_cookie);
  CHECK(wait_until([&] { return read_text_file(c.node("n1").stderr_path).find("does not match") != std::string::npos; },
                   Millis(3000)));
  CHECK(read_text_file(c.node("n1").stderr_path).find("handshake with") != std::string::npos);
  CHECK(c.metric("n1", "mabeam_transport_handshake_failures_total") >= 1);
  CHECK(c.view("n1", "mallory").first.empty());
  CHECK(c.view("n2", "mallory").first.empty());
  CHECK(c.view("n1", "n2").first == "active");
  CHECK(c.view("n2", "n1").first == "active");
  CHECK(c.metric("n1", "mabeam_membership_marked_down_total") == 0);
  CHECK(c.metric("n2", "mabeam_membership_marked_down_total") == 0);
  json m = c.status("mallory");
  REQUIRE(m["members"].size() == 1);  // only itself
  CHECK(http_get(c.node("mallory").http, "/ready").status == 503);
}

TEST_CASE("cluster: garbage, a truncated frame and an oversized frame drop only that connection", "[real]") {
  Cluster c;
  c.start("n1", "", {"--handshake-timeout", "300ms", "--frame-bytes-max", "65536"});
  c.start("n2", c.addr("n1"));
  REQUIRE(c.formed({"n1", "n2"}));
  const std::uint16_t port = c.node("n1").port;
  auto dropped = [&](const std::vector<std::uint8_t>& bytes) {
    RawSocket s(port, Millis(3000));
    if (!s.connected() || !s.send_all(bytes)) return false;
    return s.read_to_eof().second;  // the node's hello, then it closes on us
  };
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(dropped(std::vector<std::uint8_t>(http.begin(), http.end())));           // garbage: a huge length
  CHECK(dropped({0, 0, 0, 100, 16, 1, 2, 3}));                                    // truncated: times out
  CHECK(dropped({0x00, 0x01, 0x00, 0x01, 16}));                                   // 65537 > the 64 KiB limit
  CHECK(dropped({0, 0, 0, 5, 0, 0xde, 0xad, 0xbe, 0xef}));                        // a message before any handshake
  std::vector<std::uint8_t> noise(2048);
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 131 + 7);
  CHECK(dropped(noise));

  // After a valid handshake, an undecodable message drops the connection too.
  {
    RawSocket s(port, Millis(3000));
    REQUIRE(s.connected());
    real::Hello me;
    me.name = "prober";
    me.listen = "127.0.0.1:1";
    me.session = 42;
    me.nonce = real::random_nonce();
    real::Handshake hs(real::LocalCluster::kCookie, me, true);
    auto send_payload = [&](const Bytes& payload) {
      std::vector<std::uint8_t> f;
      real::append_frame_header(f, payload.size());
      f.insert(f.end(), payload.begin(), payload.end());
      return s.send_all(f);
    };
    auto read_payload = [&](Bytes& payload) {
      std::uint8_t len[4];
      if (!s.read_exact(len, 4)) return false;
      const std::size_t n = static_cast<std::size_t>(len[0]) << 24 | len[1] << 16 | len[2] << 8 | len[3];
      payload.resize(n);
      return n < 65536 && s.read_exact(payload.data(), n);
    };
    REQUIRE(send_payload(hs.hello_frame()));
    Bytes frame;
    REQUIRE(read_payload(frame));
    auto step = hs.on_frame(frame.data(), frame.size());
    REQUIRE(step.status.is_ok());
    REQUIRE(send_payload(step.reply));
    REQUIRE(read_payload(frame));
    REQUIRE(hs.on_frame(frame.data(), frame.size()).done);
    // A swim.ping (type 10, version 2) whose sequence number's varint never ends.
    REQUIRE(send_payload(Bytes{0, 10, 0, 2, 0x80}));
    CHECK(s.read_to_eof().second);
  }
  CHECK(c.metric("n1", "mabeam_transport_corrupt_connections_total") >= 1);
  CHECK(c.metric("n1", "mabeam_transport_oversized_frames_total") >= 2);
  CHECK(c.metric("n1", "mabeam_transport_handshake_failures_total") >= 4);
  CHECK(http_get(c.node("n1").http, "/health").status == 200);
  CHECK(c.view("n1", "n2").first == "active");
  CHECK(c.view("n2", "n1").first == "active");
  CHECK(c.metric("n2", "mabeam_membership_marked_down_total") == 0);
}

TEST_CASE("endpoints: /metrics passes promtool, /status and /ready answer, unknown paths 404", "[real]") {
  Cluster c;
  c.start("solo", "");
  CHECK(wait_until([&] { return http_get(c.node("solo").http, "/ready").status == 200; }, Millis(2000)));
  CHECK(c.request("solo", "GET", "/nope").status == 404);
  auto metrics = http_get(c.node("solo").http, "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("# TYPE mabeam_transport_frames_sent_total counter") != std::string::npos);
  CHECK(metrics.body.find("mabeam_transport_dropped_messages_total{reason=\"queue_full\"} 0") != std::string::npos);
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    WARN("promtool not found: skipping `promtool check metrics` (apt-get install prometheus)");
    return;
  }
  REQUIRE(real::write_text_file(c.dir().file("metrics.txt"), metrics.body));
  const std::string cmd = "promtool check metrics < " + c.dir().file("metrics.txt") + " > " + c.dir().file("promtool.out") + " 2>&1";
  const int rc = std::system(cmd.c_str());
  INFO("promtool said: " << read_text_file(c.dir().file("promtool.out")) << "\nmetrics:\n" << metrics.body);
  CHECK(rc == 0);
}

TEST_CASE("node: the cookie file must exist, be non-empty and private, or the node exits 2", "[real]") {
  auto dir = temp_dir();
  auto run = [&](const std::string& cookie_path) {
    auto ch = spawn({MABEAM_BINARY, "node", "--name", "x", "--listen", "127.0.0.1:0", "--cookie-file", cookie_path}, dir->file("err"));
    return ch->wait_exit(Millis(5000));
  };
  REQUIRE(real::write_text_file(dir->file("open"), "cookie\n", 0644));
  CHECK(run(dir->file("open")) == 2);
  CHECK(read_text_file(dir->file("err")).find("chmod 600") != std::string::npos);
  REQUIRE(real::write_text_file(dir->file("empty"), "\n", 0600));
  CHECK(run(dir->file("empty")) == 2);
  CHECK(run(dir->file("missing")) == 2);
}

TEST_CASE("node: flags override MABEAM_* variables, which override the config file", "[real]") {
  Cluster c;
  REQUIRE(real::write_text_file(c.dir().file("named.json"), R"({"name":"from-file","listen":"127.0.0.1:0","http":"127.0.0.1:0"})"));
  auto name_of = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {MABEAM_BINARY, "node", "--config", c.dir().file("named.json"), "--api-token-file",
                                    c.local().api_token_path()};
    all.insert(all.end(), args.begin(), args.end());
    auto ch = spawn(all, c.dir().file("prec.stderr"));
    auto http = ch->wait_line("http on 127.0.0.1:", kStart);
    if (!http) return std::string("no http line: ") + read_text_file(c.dir().file("prec.stderr"));
    return http_get(static_cast<std::uint16_t>(std::stoi(*http)), "/status", Millis(2000), real::LocalCluster::kApiToken).body;
  };
  ::setenv("MABEAM_COOKIE_FILE", c.local().cookie_path().c_str(), 1);
  CHECK(json::parse(name_of({}))["node"] == "from-file");
  ::setenv("MABEAM_NAME", "from-env", 1);
  CHECK(json::parse(name_of({}))["node"] == "from-env");
  CHECK(json::parse(name_of({"--name", "from-flag"}))["node"] == "from-flag");
  ::unsetenv("MABEAM_NAME");
  ::unsetenv("MABEAM_COOKIE_FILE");
}
