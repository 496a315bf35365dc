// Multi-process tests of failure detection on real `mabeam node` processes running SWIM
// membership with its default timers, as deployed (the nodes' config file has no membership
// block): kill -9, a restart on the same port, SIGSTOP, SIGTERM, and a connection that
// flaps between live nodes. The bounds are generous (shared, noisy machines): how fast is
// `mabeam bench --only detect`'s business; what is checked here is what happens, and by
// which path (a refused reconnect decides a kill, suspicion a hang, a close alone nothing).
// 127.0.0.1 and ephemeral ports only; every wait is bounded; every process is reaped.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "connection_cutter.h"
#include "node_cluster.h"

using namespace mabeam;
using namespace mabeam::testing;
using nlohmann::json;
using real::http_get;
using real::Millis;
using real::read_text_file;
using real::wait_until;

namespace {

constexpr const char* kSwimDefaults = "{}";
constexpr Millis kDown{2000};   // a killed node, seen down (the refusal path takes milliseconds)
constexpr Millis kSeen{10000};  // anything else: suspicion, refutation, a rejoin

struct Cluster : NodeCluster {
  Cluster() : NodeCluster(kSwimDefaults) {}

  // n1.. nN, n2.. seeded with n1, all with --cluster-size N; formed.
  std::vector<std::string> start_all(int n) {
    std::vector<std::string> names;
    for (int i = 1; i <= n; ++i) names.push_back("n" + std::to_string(i));
    for (const auto& name : names) start(name, name == "n1" ? "" : addr("n1"), size_flag(n));
    REQUIRE(formed(names));
    return names;
  }
  static std::vector<std::string> size_flag(int n) { return {"--cluster-size", std::to_string(n)}; }

  // The `member` lines of `observer`'s trace about `subject`, in order.
  std::vector<json> member_events(const std::string& observer, const std::string& subject) {
    std::vector<json> out;
    std::istringstream in(read_text_file(dir().file(observer + ".jsonl")));
    for (std::string line; std::getline(in, line);) {
      const json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("ev", "") == "member" && j.value("subject", "") == subject) out.push_back(j);
    }
    return out;
  }
  // How many times `observer` marked anyone down (its membership_marked_down_total).
  double marked_down(const std::string& observer) { return metric(observer, "mabeam_membership_marked_down_total"); }
};

// The first down mark of `subject` in these events, or null.
json first_down(const std::vector<json>& events) {
  for (const auto& e : events)
    if (e.value("state", "") == "down") return e;
  return json();
}

}  // namespace

TEST_CASE("failure: kill -9 is seen down by every other node, decided by a refused reconnect", "[real]") {
  Cluster c;
  c.start_all(3);
  c.node("n3").process->signal(SIGKILL);
  CHECK(c.node("n3").process->wait_exit(Millis(2000)) == -SIGKILL);
  CHECK(c.sees("n1", "n3", "down", kDown));
  CHECK(c.sees("n2", "n3", "down", kDown));
  // One of them decided it from refusals (its own and a helper's); the other may have
  // decided the same way or heard it from the first. Nobody waited out a suspicion.
  int refused = 0;
  for (const auto* observer : {"n1", "n2"}) {
    const json down = first_down(c.member_events(observer, "n3"));
    INFO(observer << "'s down mark: " << down.dump());
    REQUIRE(down.is_object());
    if (down.value("why", "") == "refused") ++refused;
  }
  CHECK(refused >= 1);
  CHECK(wait_until([&] { return http_get(c.node("n1").http, "/ready").status == 200; }, kSeen));  // 2 of 3
}

TEST_CASE("failure: a node killed and started again on its port rejoins at once with a higher incarnation", "[real]") {
  const bool seen_down_first = GENERATE(true, false);
  INFO((seen_down_first ? "restarted once seen down" : "restarted at once, before anyone may have noticed"));
  Cluster c;
  const auto names = c.start_all(3);
  const std::uint16_t port = c.node("n3").port;
  c.node("n3").process->signal(SIGKILL);
  REQUIRE(c.node("n3").process->wait_exit(Millis(2000)) == -SIGKILL);
  if (seen_down_first) {
    REQUIRE(c.sees("n1", "n3", "down", kDown));
    REQUIRE(c.sees("n2", "n3", "down", kDown));
  }
  c.start("n3", c.addr("n1"), Cluster::size_flag(3), port);  // the same data dir: boot 2
  CHECK(c.formed(names, kSeen));
  for (const auto& observer : names) {
    INFO(observer << " on n3");
    CHECK(c.view(observer, "n3") == std::make_pair(std::string("active"), std::int64_t{2}));
  }
}

TEST_CASE("failure: SIGSTOP shorter than the suspicion is never down, longer goes through suspicion, SIGCONT refutes", "[real]") {
  Cluster c;
  const auto names = c.start_all(3);
  // 250 ms: a probe may fail and n3 may be suspected, but the suspicion lasts at least
  // 750 ms (3 probe intervals) and n3 refutes as soon as it runs again.
  c.node("n3").process->signal(SIGSTOP);
  std::this_thread::sleep_for(Millis(250));  // the length of the fault, not a wait for an outcome
  c.node("n3").process->signal(SIGCONT);
  CHECK_FALSE(wait_until([&] { return c.marked_down("n1") + c.marked_down("n2") + c.marked_down("n3") > 0; }, Millis(3000),
                         Millis(100)));
  CHECK(c.formed(names, kSeen));

  c.node("n3").process->signal(SIGSTOP);
  CHECK(c.sees("n1", "n3", "down", kSeen));
  CHECK(c.sees("n2", "n3", "down", kSeen));
  // A hung process still has its listener: nothing refuses, so silence had to go through
  // suspicion (a suspect mark first, a down mark without "why":"refused").
  for (const auto* observer : {"n1", "n2"}) {
    const auto events = c.member_events(observer, "n3");
    const json down = first_down(events);
    INFO(observer << ": " << json(events).dump());
    REQUIRE(down.is_object());
    CHECK(down.value("why", "") != "refused");
    bool suspected_first = false;
    for (const auto& e : events) {
      if (e == down) break;
      suspected_first = suspected_first || e.value("state", "") == "suspect";
    }
    CHECK(suspected_first);
  }
  c.node("n3").process->signal(SIGCONT);
  CHECK(c.formed(names, kSeen));
  CHECK(c.view("n1", "n3").second > 1);  // n3 refuted its death with a higher incarnation
}

TEST_CASE("failure: SIGTERM makes a node leave, peers see left and never down, and it exits 0", "[real]") {
  Cluster c;
  c.start_all(3);
  c.node("n3").process->signal(SIGTERM);
  CHECK(c.node("n3").process->wait_exit(Millis(5000)) == 0);
  CHECK(c.sees("n1", "n3", "left", Millis(2000)));
  CHECK(c.sees("n2", "n3", "left", Millis(2000)));
  // Well past a suspicion it is still `left`, never `down`.
  CHECK_FALSE(wait_until([&] { return c.view("n1", "n3").first != "left" || c.view("n2", "n3").first != "left"; },
                         Millis(3000), Millis(50)));
  CHECK(c.marked_down("n1") == 0);
  CHECK(c.marked_down("n2") == 0);
  CHECK(read_text_file(c.dir().file("n1.jsonl")).find(R"("subject":"n3","state":"left")") != std::string::npos);
}

// The connection between n1 and n2 is shut down from outside (connection_cutter.h) again
// and again, at uneven intervals, for several seconds: each side sees it close and re-dials,
// and membership probes the other at once (a close is a hint). Nobody is marked down. With
// two nodes there is no helper to probe through: a probe that falls into a gap can only
// suspect, and the suspect refutes once the connection is back.
TEST_CASE("failure: a connection that flaps between live nodes never marks one down", "[real]") {
  const int size = GENERATE(2, 3);
  INFO(size << " nodes");
  Cluster c;
  const auto names = c.start_all(size);
  const double closed_before = c.metric("n1", "mabeam_transport_connections_closed_total");
  int cuts = 0;
  std::uint32_t gap_ms = 0;
  for (int i = 0; i < 40; ++i) {
    auto cut = cut_connections(c.node("n1").process->pid(), c.node("n2").process->pid());
    INFO((cut ? std::string() : cut.status().message()));
    REQUIRE(cut);
    cuts += *cut > 0 ? 1 : 0;
    gap_ms = (gap_ms * 1103515245u + 12345u) % 251u;  // 0-250 ms, uneven
    std::this_thread::sleep_for(Millis(30 + gap_ms));  // the flapping's rhythm
  }
  INFO(cuts << " cuts");
  REQUIRE(cuts >= 10);  // it did flap
  CHECK(c.metric("n1", "mabeam_transport_connections_closed_total") - closed_before >= cuts);
  CHECK(c.metric("n1", "mabeam_membership_hint_probes_total") + c.metric("n2", "mabeam_membership_hint_probes_total") > 0);
  CHECK(c.formed(names, kSeen));
  for (const auto& n : names) {
    INFO(n);
    CHECK(c.marked_down(n) == 0);
  }
}
