// A real node you can expose (DESIGN.md, "Real node endpoints", `mabeam node`): the API token
// guards every endpoint but /health, /ready and /metrics, failures are counted and never
// log the token, a bad token file stops the node at start; --cluster-size keeps a node alone
// (its seeds down) read-only and unready. Real `mabeam node` processes on 127.0.0.1 with
// ephemeral ports; every wait is bounded; every child is killed and reaped.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "node_cluster.h"
#include "process_harness.h"

using namespace mabeam;
using namespace mabeam::testing;
using real::http_get;
using real::http_request;
using real::read_text_file;
using real::wait_until;
using nlohmann::json;

namespace {
constexpr auto kStart = Millis(5000);
constexpr const char* kConfig = R"({"variables": [{"name": "x", "resolve": "lww", "replicas": 3}],
  "config": {"membership": {"probe_interval": "100ms", "probe_timeout": "50ms"}}})";
// A port nothing listens on: bound, then closed (reusing it races only with other tests'
// ephemeral ports, and a node there would still not be this cluster's: the cookie differs).
std::uint16_t dead_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}
}  // namespace

TEST_CASE("api: every endpoint but /health, /ready and /metrics needs the bearer token", "[real]") {
  NodeCluster c(kConfig);
  auto& n = c.start("solo", "");
  const std::string token = real::LocalCluster::kApiToken;
  CHECK(http_get(n.http, "/health").status == 200);
  CHECK(wait_until([&] { return http_get(n.http, "/ready").status == 200; }, kStart));
  CHECK(http_get(n.http, "/metrics").status == 200);
  CHECK(http_get(n.http, "/status").status == 401);
  CHECK(http_get(n.http, "/status", Millis(2000), "wrong-token-0123456789").status == 401);
  CHECK(http_get(n.http, "/status", Millis(2000), token).status == 200);
  CHECK(http_request(n.http, "PUT", "/variables/x", "1").status == 401);
  CHECK(http_request(n.http, "PUT", "/variables/x", "1", Millis(2000), token).status == 200);
  CHECK(http_get(n.http, "/variables/x", Millis(2000), token).body.find("\"value\":1") != std::string::npos);
  CHECK(c.metric("solo", "mabeam_http_auth_failures_total{reason=\"missing\"}") == 2);
  CHECK(c.metric("solo", "mabeam_http_auth_failures_total{reason=\"wrong\"}") == 1);
  // The token never reaches a log or a trace.
  CHECK(read_text_file(c.dir().file("solo.stderr")).find(token) == std::string::npos);
  CHECK(read_text_file(c.dir().file("solo.jsonl")).find(token) == std::string::npos);
}

TEST_CASE("api: repeated failures from one address get 429, and the right token still passes", "[real]") {
  NodeCluster c(kConfig);
  auto& n = c.start("solo", "");
  for (int i = 0; i < 5; ++i) CHECK(http_get(n.http, "/status", Millis(2000), "guess-" + std::to_string(i)).status == 401);
  CHECK(http_get(n.http, "/status", Millis(2000), "guess-5").status == 429);
  CHECK(http_get(n.http, "/status", Millis(2000), real::LocalCluster::kApiToken).status == 200);
  CHECK(c.metric("solo", "mabeam_http_auth_throttled_total") == 1);
}

TEST_CASE("api: a node without --api-token-file answers 403 on its API, and /health still", "[real]") {
  auto dir = temp_dir();
  REQUIRE(real::write_text_file(dir->file("cookie"), "cookie-0123456789\n"));
  auto ch = spawn({MABEAM_BINARY, "node", "--name", "open", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                   "--cookie-file", dir->file("cookie")},
                  dir->file("err"));
  REQUIRE(ch->wait_line("listening on", kStart));
  auto http = ch->wait_line("http on 127.0.0.1:", kStart);
  REQUIRE(http);
  const auto port = static_cast<std::uint16_t>(std::stoi(*http));
  CHECK(http_get(port, "/health").status == 200);
  const auto r = http_get(port, "/status", Millis(2000), "any-token-0123456789");
  CHECK(r.status == 403);
  CHECK_THAT(r.body, Catch::Contains("no API token configured"));
}

TEST_CASE("api: a missing, too open or too short token file stops the node at start (exit 2, with why)", "[real]") {
  auto dir = temp_dir();
  REQUIRE(real::write_text_file(dir->file("cookie"), "cookie-0123456789\n"));
  auto run = [&](const std::string& token_path) {
    auto ch = spawn({MABEAM_BINARY, "node", "--name", "x", "--listen", "127.0.0.1:0", "--cookie-file", dir->file("cookie"),
                     "--api-token-file", token_path},
                    dir->file("err"));
    return ch->wait_exit(kStart);
  };
  REQUIRE(real::write_text_file(dir->file("open"), "token-0123456789abcdef\n", 0644));
  CHECK(run(dir->file("open")) == 2);
  CHECK_THAT(read_text_file(dir->file("err")), Catch::Contains("chmod 600"));
  REQUIRE(real::write_text_file(dir->file("short"), "tiny\n", 0600));
  CHECK(run(dir->file("short")) == 2);
  CHECK_THAT(read_text_file(dir->file("err")), Catch::Contains("shorter than 16 bytes"));
  CHECK(run(dir->file("missing")) == 2);
  CHECK_THAT(read_text_file(dir->file("err")), Catch::Contains("API token file"));
}

TEST_CASE("cluster size: a node alone with its seeds down is read-only, unready, and refuses writes", "[real]") {
  NodeCluster c(kConfig);
  const std::string seeds = "127.0.0.1:" + std::to_string(dead_port()) + ",127.0.0.1:" + std::to_string(dead_port());
  auto& n = c.start("lone", seeds, {"--cluster-size", "3"});
  CHECK_FALSE(wait_until([&] { return http_get(n.http, "/ready").status == 200; }, Millis(1500)));
  CHECK(http_get(n.http, "/ready").status == 503);
  const json s = c.status("lone");
  CHECK(s["mode"] == "readonly");
  CHECK(s["quorum"]["cluster"] == 3);
  CHECK(s["quorum"]["reachable"] == 1);
  const auto w = c.request("lone", "PUT", "/variables/x", "1");
  CHECK(w.status == 503);
  CHECK_THAT(w.body, Catch::Contains("read-only") && Catch::Contains("\"outcome\":\"fail\""));
  CHECK(c.metric("lone", "mabeam_readonly") == 1);
}

TEST_CASE("cluster size: with --cluster-size 3, two of three nodes are a majority and the first alone is not", "[real]") {
  NodeCluster c(kConfig);
  auto& n1 = c.start("n1", "", {"--cluster-size", "3"});
  CHECK(c.status("n1")["mode"] == "readonly");  // 1 of 3, although it knows of no one else
  CHECK(http_get(n1.http, "/ready").status == 503);
  c.start("n2", c.addr("n1"), {"--cluster-size", "3"});
  REQUIRE(c.formed({"n1", "n2"}));
  CHECK(wait_until([&] { return http_get(n1.http, "/ready").status == 200; }, kStart));
  CHECK(c.writable({"n2"}));  // its guard's first answered pull may come a round after n1's
  CHECK(c.request("n2", "PUT", "/variables/x", "2").status == 200);
}

TEST_CASE("cluster size: without --cluster-size the node warns that it counts only the members it has seen", "[real]") {
  NodeCluster c(kConfig);
  c.start("solo", "");
  CHECK(wait_until([&] { return read_text_file(c.dir().file("solo.stderr")).find("no --cluster-size") != std::string::npos; },
                   kStart));
  c.start("sized", "", {"--cluster-size", "1"});
  CHECK(read_text_file(c.dir().file("sized.stderr")).find("no --cluster-size") == std::string::npos);
}

TEST_CASE("cluster size: a bad --cluster-size is refused at start", "[real]") {
  auto dir = temp_dir();
  REQUIRE(real::write_text_file(dir->file("cookie"), "cookie-0123456789\n"));
  for (const char* bad : {"0", "-1", "three", "3x", "100000"}) {
    INFO(bad);
    auto ch = spawn({MABEAM_BINARY, "node", "--name", "x", "--listen", "127.0.0.1:0", "--cookie-file", dir->file("cookie"),
                     "--cluster-size", bad},
                    dir->file("err"));
    CHECK(ch->wait_exit(kStart) == 2);
    CHECK_THAT(read_text_file(dir->file("err")), Catch::Contains("--cluster-size"));
  }
}
