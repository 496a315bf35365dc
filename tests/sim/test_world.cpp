// The simulated world's fault semantics: crash loses volatile state and timers, restart
// recovers from disk with a new incarnation, pause defers timers and inbound messages,
// partitions cut links (both ways or one way), the disk loses unsynced writes at a crash,
// and clocks drift.
#include <catch2/catch.hpp>

#include "engine/heartbeat.h"
#include "sim/disk.h"
#include "sim/network.h"
#include "sim_test_util.h"

using namespace mabeam;
using test::heartbeat_world;

namespace {
HeartbeatDetector& detector(sim::World& w, int i) { return *w.node(static_cast<std::uint32_t>(i)).node()->find<HeartbeatDetector>(); }
using PS = HeartbeatDetector::PeerState;
}  // namespace

TEST_CASE("world: a crashed node is marked down by all and comes back with a higher incarnation", "[world]") {
  auto w = heartbeat_world(3, test::fixed_latency(ms(1)));
  w->run_until(sec(1));
  CHECK(detector(*w, 0).peer_state("n3") == PS::active);
  w->crash(2);
  CHECK_FALSE(w->node(2).up());
  w->run_until(sec(2));
  CHECK(detector(*w, 0).peer_state("n3") == PS::down);
  CHECK(detector(*w, 1).peer_state("n3") == PS::down);
  w->restart(2);
  w->run_until(sec(3));
  CHECK(detector(*w, 0).peer_state("n3") == PS::active);
  auto restarts = test::records_of(w->trace(), "node_restart");
  REQUIRE(restarts.size() == 1);
  CHECK(restarts[0].fields["incarnation"] == 2);
}

TEST_CASE("world: a paused node's timers and inbound messages wait until it resumes", "[world]") {
  auto w = heartbeat_world(2, test::fixed_latency(ms(1)));
  w->run_until(sec(1));
  w->pause(1, sec(2));
  w->run_until(sec(2));
  // n2 beats nothing while paused: n1 marks it down; n2 itself has not run its timers.
  CHECK(detector(*w, 0).peer_state("n2") == PS::down);
  const auto sends_before = test::records_of(w->trace(), "msg_send").size();
  w->run_until(sec(2) + ms(900));
  CHECK(test::records_of(w->trace(), "msg_send").size() == sends_before + 9);  // only n1 beats, 100ms apart
  w->run_until(sec(4));
  CHECK(detector(*w, 0).peer_state("n2") == PS::active);
  CHECK(test::records_of(w->trace(), "node_resume").size() == 1);
}

TEST_CASE("world: a symmetric partition cuts both ways and a heal restores the links", "[world]") {
  auto w = heartbeat_world(4, test::fixed_latency(ms(1)));
  w->run_until(sec(1));
  w->partition({{"n1", "n2"}, {"n3", "n4"}});
  w->run_until(sec(2));
  CHECK(detector(*w, 0).peer_state("n3") == PS::down);
  CHECK(detector(*w, 2).peer_state("n1") == PS::down);
  CHECK(detector(*w, 0).peer_state("n2") == PS::active);
  w->heal();
  w->run_until(sec(3));
  CHECK(detector(*w, 0).peer_state("n3") == PS::active);
  CHECK(w->counters().dropped_partition > 0);
}

TEST_CASE("world: nodes left out of every partition group form one more group", "[world]") {
  auto w = heartbeat_world(3, test::fixed_latency(ms(1)));
  w->partition({{"n1"}});
  CHECK(w->network().cut(0, 1));
  CHECK_FALSE(w->network().cut(1, 2));
}

TEST_CASE("world: a one-way partition cuts only one direction", "[world]") {
  auto w = heartbeat_world(2, test::fixed_latency(ms(1)));
  w->run_until(sec(1));
  w->partition_oneway({"n1"}, {"n2"});
  w->run_until(sec(2));
  CHECK(detector(*w, 1).peer_state("n1") == PS::down);   // n2 no longer hears n1
  CHECK(detector(*w, 0).peer_state("n2") == PS::active);  // n1 still hears n2
}

TEST_CASE("world: messages to a crashed node are dropped and traced", "[world]") {
  auto w = heartbeat_world(2, test::fixed_latency(ms(1)));
  w->crash(1);
  w->run_until(sec(1));
  auto drops = test::records_of(w->trace(), "msg_drop");
  REQUIRE_FALSE(drops.empty());
  CHECK(drops[0].fields["reason"] == "node_down");
}

TEST_CASE("disk: unsynced appends may vanish at a crash, synced ones never do", "[world]") {
  int lost_some = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::SimDisk d{Rng(seed)};
    for (int i = 0; i < 5; ++i) REQUIRE(d.append("log", Bytes{static_cast<std::uint8_t>(i)}).is_ok());
    REQUIRE(d.sync("log").is_ok());
    for (int i = 5; i < 10; ++i) REQUIRE(d.append("log", Bytes{static_cast<std::uint8_t>(i)}).is_ok());
    d.crash();
    auto recs = d.read("log");
    REQUIRE(recs.is_ok());
    REQUIRE(recs->size() >= 5);
    for (std::size_t i = 0; i < recs->size(); ++i) CHECK((*recs)[i] == Bytes{static_cast<std::uint8_t>(i)});  // a prefix
    lost_some += recs->size() < 10;
  }
  CHECK(lost_some > 0);
}

TEST_CASE("disk: crash modes: lose_unsynced keeps only synced records, keep_unsynced keeps all", "[world]") {
  for (auto mode : {sim::CrashDisk::lose_unsynced, sim::CrashDisk::keep_unsynced}) {
    sim::SimDisk d{Rng(1)};
    REQUIRE(d.append("log", Bytes{1}).is_ok());
    REQUIRE(d.sync("log").is_ok());
    REQUIRE(d.append("log", Bytes{2}).is_ok());
    d.crash(mode);
    CHECK(d.read("log")->size() == (mode == sim::CrashDisk::lose_unsynced ? 1u : 2u));
  }
}

TEST_CASE("disk: an async sync completes after its latency on the node's timers, and a crash first loses it", "[world]") {
  auto w = heartbeat_world(1, test::fixed_latency(ms(1)));
  w->run_until(ms(10));
  sim::SimDisk& d = w->node(0).disk();
  sim::Latency l;
  l.dist = sim::Latency::Dist::fixed;
  l.value = ms(5);
  d.set_sync_latency(l);
  REQUIRE(d.append("log", Bytes{1}).is_ok());
  TimeUs done_at = -1;
  Status outcome = Status::invalid("not run");
  d.sync_async("log", [&](Status s) {
    done_at = w->now();
    outcome = s;
  });
  CHECK(done_at == -1);  // never inside the call
  REQUIRE(d.append("log", Bytes{2}).is_ok());  // after the sync started: not covered by it
  w->run_until(ms(20));
  CHECK(done_at == ms(15));
  CHECK(outcome.is_ok());
  CHECK(d.pending_records() == 1);
  // Started, then the node crashes before it completes: no callback, the record is lost.
  bool ran = false;
  d.sync_async("log", [&](Status) { ran = true; });
  w->crash(0, sim::CrashDisk::lose_unsynced);
  w->run_until(ms(40));
  CHECK_FALSE(ran);
  CHECK(d.read("log")->size() == 1);
}

TEST_CASE("disk: a faulty disk refuses writes with io_error until cleared", "[world]") {
  sim::SimDisk d(Rng(1));
  d.set_faulty(true);
  auto s = d.append("f", Bytes{1});
  CHECK(s.code() == Status::Code::io_error);
  CHECK_FALSE(d.rewrite("f", {}).is_ok());
  Status async = Status::ok();
  d.sync_async("f", [&](Status st) { async = st; });  // no scheduler: completes at once
  CHECK(async.code() == Status::Code::io_error);
  d.set_faulty(false);
  CHECK(d.append("f", Bytes{1}).is_ok());
}

TEST_CASE("world: a drifting clock runs fast or slow and a skew moves only the wall clock", "[world]") {
  auto w = heartbeat_world(2, test::fixed_latency(ms(1)));
  w->clock_skew(0, sec(2), 0.10);
  w->clock_skew(1, 0, -0.10);
  w->run_until(sec(10));
  CHECK(w->node(0).now() == sec(11));
  CHECK(w->node(0).wall_now() == sec(13));
  CHECK(w->node(1).now() == sec(9));
}

TEST_CASE("network: latency distributions stay within their bounds", "[world]") {
  Rng rng(5);
  sim::Latency u;
  u.dist = sim::Latency::Dist::uniform;
  u.min = ms(1);
  u.max = ms(5);
  sim::Latency p;
  p.dist = sim::Latency::Dist::pareto;
  p.scale = ms(2);
  p.shape = 2.0;
  sim::Latency n;
  n.dist = sim::Latency::Dist::normal;
  n.mean = ms(1);
  n.stddev = ms(3);
  for (int i = 0; i < 10000; ++i) {
    const auto a = sim::sample_latency(u, rng);
    CHECK((a >= ms(1) && a <= ms(5)));
    CHECK(sim::sample_latency(p, rng) >= ms(2));
    CHECK(sim::sample_latency(n, rng) >= 0);  // cut at zero
  }
}

TEST_CASE("network: without reordering a link delivers in order, and loss and duplication happen at their rates", "[world]") {
  sim::LinkParams lp;
  lp.latency.dist = sim::Latency::Dist::uniform;
  lp.latency.min = ms(1);
  lp.latency.max = ms(50);
  lp.loss = 0.1;
  lp.duplicate = 0.2;
  sim::Network net(2, lp, 3);
  TimeUs last = 0;
  int lost = 0, dup = 0;
  for (int i = 0; i < 20000; ++i) {
    auto f = net.route(0, 1, i * 10);
    if (f.dropped) {
      ++lost;
      continue;
    }
    CHECK(f.arrive[0] >= last);
    last = f.arrive[0];
    dup += f.copies == 2;
  }
  CHECK(lost == Approx(2000).margin(200));
  CHECK(dup == Approx(3600).margin(300));
}

TEST_CASE("world: a graceful leave is seen as left (not down) and a join brings the node back", "[world]") {
  auto w = heartbeat_world(3, test::fixed_latency(ms(1)));
  w->run_until(sec(1));
  w->leave(1);
  CHECK_FALSE(w->node(1).up());
  w->run_until(sec(3));
  CHECK(detector(*w, 0).peer_state("n2") == PS::left);
  CHECK(detector(*w, 2).peer_state("n2") == PS::left);
  w->join(1);
  w->run_until(sec(4));
  CHECK(detector(*w, 0).peer_state("n2") == PS::active);
  auto restarts = test::records_of(w->trace(), "node_restart");
  REQUIRE(restarts.size() == 1);
  CHECK(restarts[0].fields["incarnation"] == 2);
}

TEST_CASE("world: a pause cut short by a crash does not end a later pause early", "[world]") {
  auto w = heartbeat_world(2, test::fixed_latency(ms(1)));
  w->pause(1, sec(5));   // would resume at 5s
  w->run_until(sec(1));
  w->crash(1);
  w->restart(1);
  w->run_until(sec(2));
  w->pause(1, sec(10));  // must last until 12s
  w->run_until(sec(6));
  CHECK(w->node(1).paused());
  w->run_until(sec(12) + 1);
  CHECK_FALSE(w->node(1).paused());
}
