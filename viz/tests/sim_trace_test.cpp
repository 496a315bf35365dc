// A trace written by the simulator itself (`mabeam sim scenarios/crash-restart.json
// --trace`, seed 7, kept in tests/data/crash-restart.sim.jsonl) reads and replays: n4 crashes
// at 10s, every other node marks it down, it restarts at 20s and is active again everywhere.
#include "viz/model/cluster_state.h"
#include "viz/model/trace_reader.h"

#include <catch2/catch.hpp>

using namespace mabeam::viz;

TEST_CASE("a crash-restart trace from mabeam sim: n4 crashed at 12.5s and down in every view, active again at 21s") {
  ReadResult r = read_trace_file(QStringLiteral(VIZ_TEST_DATA "/crash-restart.sim.jsonl"));
  REQUIRE(r.ok);
  CHECK(r.trace->source == "sim");
  const TraceIndex index(std::shared_ptr<const Trace>(std::move(r.trace)));
  const int n4 = 3;
  REQUIRE(index.trace().node_name(n4) == "n4");

  const ClusterState before = state_at(index, 9'000'000);
  CHECK(before.nodes[n4].status == NodeStatus::Up);

  const ClusterState crashed = state_at(index, 12'500'000);
  CHECK(crashed.nodes[n4].status == NodeStatus::Crashed);
  for (int o = 0; o < 5; ++o) {
    if (o == n4) continue;
    const MemberChange* v = last_at(index.view(o, n4), 12'500'000);
    REQUIRE(v);
    CHECK(v->state == MemberState::Down);
  }
  CHECK(crashed.in_flight_total >= 0);

  const ClusterState back = state_at(index, 21'000'000);
  for (int o = 0; o < 5; ++o) CHECK(back.nodes[static_cast<std::size_t>(o)].status == NodeStatus::Up);
  CHECK(back.nodes[n4].life == Life::Up);
}
