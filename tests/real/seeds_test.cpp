// Multi-process tests of joining through seeds with SWIM membership on real nodes: a
// `name@mapper` seed and a `host:port` seed both reach membership as seeds to join through
// (a Join is sent and served, as in the simulator), and a seed that does not answer gives
// `join_failed` after join_timeout while the node keeps retrying with backoff. Processes are
// started by real/cluster_launcher (127.0.0.1, ephemeral ports, every wait bounded, every
// child killed and reaped).

#include <catch2/catch.hpp>
#include <sstream>

#include "real/cluster_launcher.h"

using namespace mabeam;
using namespace mabeam::real;

namespace {

constexpr const char* kSwimFast =
    R"({"config":{"membership":{"probe_interval":"100ms","probe_timeout":"50ms","join_timeout":"300ms"}}})";
constexpr Millis kForm{8000};

std::unique_ptr<LocalCluster> make_cluster() {
  auto c = LocalCluster::create(MABEAM_BINARY, kSwimFast);
  INFO((c ? std::string() : c.status().message()));
  REQUIRE(c);
  return std::move(*c);
}

// The value of one Prometheus series on `name`'s /metrics (-1 if absent).
double metric(LocalCluster& c, const std::string& name, const std::string& series) {
  const HttpReply r = http_get(c.node(name)->http, "/metrics");
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return -1;
}

std::string trace_of(LocalCluster& c, const std::string& name) { return read_text_file(c.dir().file(name + ".jsonl")); }

void start(LocalCluster& c, const std::string& name, const std::string& seeds, std::uint16_t port = 0) {
  const Status s = c.start(name, seeds, {"--portmap-interval", "100ms"}, port);
  INFO(s.message());
  REQUIRE(s);
}

// A port that was free a moment ago.
std::uint16_t unused_port() {
  const std::uint16_t port = real::free_port();
  REQUIRE(port != 0);
  return port;
}

}  // namespace

TEST_CASE("seeds: a node whose only seed is name@mapper joins through that name and SWIM shows it active", "[real]") {
  auto c = make_cluster();
  auto mapper = c->start_portmap();
  REQUIRE(mapper);
  start(*c, "n1", "n1@" + *mapper);  // registers itself; its own name as seed: it forms the cluster
  REQUIRE(c->formed({"n1"}, kForm));
  start(*c, "n2", "n1@" + *mapper);
  start(*c, "n3", "n1@" + *mapper);
  REQUIRE(c->formed({"n1", "n2", "n3"}, kForm));
  // n2 and n3 joined (a Join sent, served by a member), not formed clusters of their own.
  CHECK(metric(*c, "n2", "mabeam_membership_join_attempts_total") >= 1);
  CHECK(metric(*c, "n3", "mabeam_membership_join_attempts_total") >= 1);
  CHECK(metric(*c, "n1", "mabeam_membership_joins_served_total") >= 1);
  CHECK(metric(*c, "n1", "mabeam_membership_join_attempts_total") <= 0);  // n1 formed it
  const std::string t2 = trace_of(*c, "n2");
  CHECK(t2.find(R"("ev":"member","subject":"n2","state":"joining")") != std::string::npos);
  CHECK(t2.find(R"("ev":"join_failed")") == std::string::npos);
}

TEST_CASE("seeds: a host:port seed is joined through the name its handshake gives", "[real]") {
  auto c = make_cluster();
  start(*c, "n1", "");
  start(*c, "n2", c->addr("n1"));
  start(*c, "n3", c->addr("n2"));
  REQUIRE(c->formed({"n1", "n2", "n3"}, kForm));
  CHECK(metric(*c, "n2", "mabeam_membership_join_attempts_total") >= 1);
  CHECK(metric(*c, "n3", "mabeam_membership_join_attempts_total") >= 1);
  CHECK(metric(*c, "n1", "mabeam_membership_joins_served_total") + metric(*c, "n2", "mabeam_membership_joins_served_total") >= 2);
  CHECK(trace_of(*c, "n3").find(R"("ev":"join_failed")") == std::string::npos);
}

TEST_CASE("seeds: a seed that does not answer gives join_failed, and the node keeps trying until it joins", "[real]") {
  auto c = make_cluster();
  auto mapper = c->start_portmap();
  REQUIRE(mapper);

  SECTION("name@mapper naming a node not started yet") {
    start(*c, "n2", "ghost@" + *mapper);
    CHECK(wait_until([&] { return trace_of(*c, "n2").find(R"("ev":"join_failed","seeds":["ghost"])") != std::string::npos; },
                     Millis(5000)));
    CHECK(c->view("n2", "n2").first == "joining");
    CHECK(wait_until([&] { return metric(*c, "n2", "mabeam_membership_join_attempts_total") >= 3; }, Millis(5000)));
    start(*c, "ghost", "ghost@" + *mapper);
    CHECK(c->formed({"n2", "ghost"}, kForm));
  }

  SECTION("host:port with nothing listening yet") {
    start(*c, "n1", "");
    const std::uint16_t port1 = c->node("n1")->port;
    const std::string addr1 = c->addr("n1");
    c->node("n1")->process->kill_and_reap();
    start(*c, "n2", addr1);
    const std::string expected = R"("ev":"join_failed","seeds":[")" + addr1 + R"("])";
    CHECK(wait_until([&] { return trace_of(*c, "n2").find(expected) != std::string::npos; }, Millis(5000)));
    CHECK(c->view("n2", "n2").first == "joining");
    start(*c, "n1", "", port1);  // back on the same port: the transport's redial finds it
    CHECK(c->formed({"n1", "n2"}, kForm));
    CHECK(metric(*c, "n1", "mabeam_membership_joins_served_total") >= 1);
  }
}

TEST_CASE("seeds: nodes sharing one seed list that names each of them form one cluster", "[real]") {
  auto c = make_cluster();
  const std::vector<std::string> names = {"n1", "n2", "n3"};
  std::vector<std::uint16_t> ports;
  std::string seeds;
  for (std::size_t i = 0; i < names.size(); ++i) {
    ports.push_back(unused_port());
    seeds += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(ports.back());
  }
  SECTION("a node whose only seed is itself forms the cluster") {
    start(*c, "n1", "127.0.0.1:" + std::to_string(ports[0]), ports[0]);
    CHECK(wait_until([&] { return c->view("n1", "n1").first == "active"; }, Millis(3000)));
    CHECK(metric(*c, "n1", "mabeam_membership_join_attempts_total") <= 0);
  }
  SECTION("all three, one after the other, each seeded with all three") {
    for (std::size_t i = 0; i < names.size(); ++i) start(*c, names[i], seeds, ports[i]);
    CHECK(c->formed(names, kForm));
    for (const auto& n : names) CHECK(metric(*c, n, "mabeam_membership_join_attempts_total") >= 1);  // none formed alone
  }
}
