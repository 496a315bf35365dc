// SWIM membership in the simulated world: nodes join through the seed and converge, a crash
// is detected by every live node and nothing live is marked down, a healed partition
// re-learns every node as active, a graceful leave is seen as `left`, and a seed replays
// byte for byte.
#include <catch2/catch.hpp>

#include "engine/membership/membership.h"
#include "sim_test_util.h"

using namespace mabeam;

namespace {

MembershipConfig fast() {
  MembershipConfig c;
  c.probe_interval = ms(200);
  c.probe_timeout = ms(80);
  c.push_pull_interval = sec(2);
  c.join_timeout = sec(2);
  return c;
}

// A world of n SWIM nodes joining through n1; node i starts at i * stagger.
std::unique_ptr<sim::World> swim_world(int n, sim::LinkParams net, DurationUs stagger, std::uint64_t seed = 1,
                                       bool trace = true) {
  NodeSetup setup;
  setup.peers = test::names(n);
  setup.detector = Detector::swim;
  setup.membership = fast();
  sim::WorldOptions wo;
  wo.seed = seed;
  wo.scenario = "swim-test";
  wo.trace = trace;
  wo.trace_messages = false;
  auto w = std::make_unique<sim::World>(setup.peers, net, wo,
                                        [setup](Node& node, std::uint64_t inc) { install_services(node, setup, inc); });
  for (int i = 0; i < n; ++i) {
    sim::World* wp = w.get();
    w->scheduler().at(stagger * i, [wp, i] { wp->start(static_cast<std::uint32_t>(i)); });
  }
  return w;
}

MembershipView& view(sim::World& w, int i) {
  auto* v = w.node(static_cast<std::uint32_t>(i)).node()->find<MembershipView>();
  REQUIRE(v != nullptr);
  return *v;
}

// Every running node's state for `subject`, which must all equal `want`.
void require_all_see(sim::World& w, const std::string& subject, MemberState want) {
  for (std::uint32_t i = 0; i < w.size(); ++i) {
    if (!w.node(i).up() || w.node(i).self() == subject) continue;
    INFO(w.node(i).self() << " sees " << subject << " as " << to_string(view(w, static_cast<int>(i)).state_of(subject)));
    CHECK(view(w, static_cast<int>(i)).state_of(subject) == want);
  }
}

}  // namespace

TEST_CASE("membership sim: 20 staggered nodes join through the seed and all list each other active", "[membership]") {
  auto w = swim_world(20, test::fixed_latency(ms(2)), ms(100));
  w->run_until(sec(12));
  for (int i = 0; i < 20; ++i) {
    auto ms_ = view(*w, i).members();
    REQUIRE(ms_.size() == 20);
    for (const auto& m : ms_) CHECK(m.state == MemberState::active);
  }
  CHECK(test::records_of(w->trace(), "join_failed").empty());
}

TEST_CASE("membership sim: a crashed node is marked down by every live node, and no live node is", "[membership]") {
  sim::LinkParams net = test::fixed_latency(ms(2));
  net.loss = 0.01;
  auto w = swim_world(12, net, ms(50));
  w->run_until(sec(8));
  w->crash(5);
  w->run_until(sec(16));
  require_all_see(*w, "n6", MemberState::down);
  for (const auto& r : test::records_of(w->trace(), "member")) {
    if (r.fields.value("state", "") != "down") continue;
    CHECK(r.fields.value("subject", "") == "n6");
  }
}

TEST_CASE("membership sim: after a partition heals, both sides re-learn each other as active", "[membership]") {
  auto w = swim_world(6, test::fixed_latency(ms(2)), ms(10));
  w->run_until(sec(5));
  w->partition({{"n1", "n2", "n3"}, {"n4", "n5", "n6"}});
  w->run_until(sec(15));
  CHECK(view(*w, 0).state_of("n5") == MemberState::down);
  CHECK(view(*w, 4).state_of("n1") == MemberState::down);
  w->heal();
  w->run_until(sec(25));
  for (int i = 0; i < 6; ++i)
    for (const auto& m : view(*w, i).members()) {
      INFO("n" << i + 1 << " sees " << m.name << " as " << to_string(m.state));
      CHECK(m.state == MemberState::active);
    }
}

TEST_CASE("membership sim: a graceful leave is seen as left, and a rejoin as active with a higher incarnation", "[membership]") {
  auto w = swim_world(6, test::fixed_latency(ms(2)), ms(10));
  w->run_until(sec(5));
  w->leave(3);
  w->run_until(sec(8));
  require_all_see(*w, "n4", MemberState::left);
  w->join(3);
  w->run_until(sec(12));
  require_all_see(*w, "n4", MemberState::active);
  for (const auto& m : view(*w, 0).members())
    if (m.name == "n4") CHECK(m.incarnation >= 2);
}

TEST_CASE("membership sim: a restarted seed is found again by the cluster", "[membership]") {
  auto w = swim_world(5, test::fixed_latency(ms(2)), ms(10));
  w->run_until(sec(5));
  w->crash(0);
  w->run_until(sec(10));
  require_all_see(*w, "n1", MemberState::down);
  w->restart(0);
  w->run_until(sec(20));
  require_all_see(*w, "n1", MemberState::active);
  CHECK(view(*w, 0).members().size() == 5);
}

TEST_CASE("membership sim: the same seed gives the same trace, another seed another", "[membership]") {
  auto run = [](std::uint64_t seed) {
    sim::LinkParams net = test::fixed_latency(ms(2));
    net.loss = 0.02;
    auto w = swim_world(10, net, ms(30), seed);
    w->run_until(sec(4));
    w->crash(3);
    w->run_until(sec(10));
    return w->take_trace();
  };
  const std::string a = run(5), b = run(5), c = run(6);
  CHECK(a == b);
  CHECK(a != c);
}
