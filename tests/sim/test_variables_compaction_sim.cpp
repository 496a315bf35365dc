// The variables service's bounds in the simulated world: a replica partitioned away while
// its peers write more than they keep (log_keep_writes) converges after the heal through
// state transfers; the durable logs stay compacted (log_compact_records), a node restarted
// from a compacted log comes back with the same values, and a crashed one catches up. Two
// runs give the same trace.
#include <catch2/catch.hpp>

#include "engine/variables/variables.h"
#include "tests/sim/sim_test_util.h"

using namespace mabeam;

namespace {

const std::vector<vars::VariableSpec> kSpecs{
    {"x", vars::Consistency::causal, vars::Resolve::lww, "", 3, true},
    {"y", vars::Consistency::causal, vars::Resolve::or_set, "", 3, true},
    {"c", vars::Consistency::eventual, vars::Resolve::pn_counter, "", 3, true},
    {"s", vars::Consistency::session, vars::Resolve::or_set, "", 3, true}};
constexpr std::size_t kKeep = 20;
constexpr std::size_t kCompact = 60;

std::unique_ptr<sim::World> variables_world(std::uint64_t seed) {
  NodeSetup setup;
  setup.peers = test::names(3);
  setup.heartbeat = HeartbeatConfig{ms(100), ms(500)};
  setup.variables.variables = kSpecs;
  setup.variables.cluster = setup.peers;
  setup.variables.config.anti_entropy_interval = ms(200);
  setup.variables.config.log_keep_writes = kKeep;
  setup.variables.config.log_compact_records = kCompact;
  sim::WorldOptions wo;
  wo.seed = seed;
  wo.scenario = "variables-transfer";
  wo.trace_messages = false;
  auto w = std::make_unique<sim::World>(setup.peers, test::fixed_latency(ms(2)), wo,
                                        [setup](Node& node, std::uint64_t inc) { install_services(node, setup, inc); });
  for (std::uint32_t i = 0; i < 3; ++i) w->start(i);
  return w;
}

vars::VariablesService& svc(sim::World& w, std::uint32_t i) { return *w.node(i).node()->find<vars::VariablesService>(); }
double counter(sim::World& w, std::uint32_t i, const std::string& name) { return w.node(i).node()->metrics().counter(name); }

// n3 is cut off from 0.5s to 7s while n1 and n2 write every 10ms, far more than they keep.
void partitioned_writes(sim::World& w) {
  w.run_until(ms(500));
  w.partition({{"n1", "n2"}, {"n3"}});
  Rng rng(5);
  for (TimeUs t = sec(1); t < sec(6); t += ms(10)) {
    w.run_until(t);
    const std::uint32_t at = static_cast<std::uint32_t>(rng.below(2));
    const std::string e = "\"e" + std::to_string(rng.below(8)) + "\"";
    vars::ClientOp op;
    switch (rng.below(4)) {
      case 0: op = {"x", "set", std::to_string(t / 1000), ""}; break;
      case 1: op = {"y", rng.chance(0.6) ? "add" : "remove", e, ""}; break;
      case 2: op = {"c", "incr", std::to_string(rng.below(5)), ""}; break;
      default: op = {"s", rng.chance(0.6) ? "add" : "remove", e, "alice"}; break;
    }
    bool ok = false;
    svc(w, at).submit(op, {}, [&ok](const vars::OpOutcome& o) { ok = o.ok; });
    REQUIRE(ok);
  }
  w.run_until(sec(7));
  w.heal();
}

void converged(sim::World& w) {
  for (const auto& s : kSpecs) {
    INFO(s.name);
    for (std::uint32_t i = 1; i < 3; ++i) {
      CHECK(svc(w, i).value_of(s.name) == svc(w, 0).value_of(s.name));
      CHECK(svc(w, i).version_of(s.name) == svc(w, 0).version_of(s.name));
    }
    CHECK(svc(w, 0).value_of(s.name) != "null");
  }
}

}  // namespace

TEST_CASE("variables sim: a replica partitioned past the kept writes converges by state transfer", "[variables][sim]") {
  auto w = variables_world(3);
  partitioned_writes(*w);
  const auto before = svc(*w, 2).version_of("c");
  w->run_until(sec(12));
  converged(*w);
  // n3 lacked hundreds of writes per writer and got them as states, not one by one.
  std::uint64_t lacked = 0;
  for (const auto& [node, n] : svc(*w, 0).version_of("c")) {
    auto it = before.find(node);
    lacked += n - (it == before.end() ? 0 : it->second);
  }
  CHECK(lacked > 4 * kKeep);
  CHECK(counter(*w, 0, "var_state_transfers_sent_total") + counter(*w, 1, "var_state_transfers_sent_total") >= 1);
  CHECK(counter(*w, 2, "var_states_merged_total") >= 1);
  bool traced = false;
  for (const auto& r : test::records_of(w->trace(), "var_state"))
    traced = traced || (r.node == "n3" && r.fields.value("source", "") == "transfer");
  CHECK(traced);
  // Memory and disk stay bounded on every node.
  for (std::uint32_t i = 0; i < 3; ++i) {
    for (const auto& s : kSpecs) CHECK(svc(*w, i).kept_writes(s.name) <= 2 * kKeep);
    CHECK(svc(*w, i).log_records() <= kCompact + kSpecs.size() + 1);
  }
  CHECK(counter(*w, 0, "var_log_compactions_total") >= 1);

  // n1 stops cleanly and starts again: its compacted log gives back exactly what it held.
  w->leave(0);
  w->join(0);
  for (const auto& s : kSpecs) {
    CHECK(svc(*w, 0).version_of(s.name) == svc(*w, 1).version_of(s.name));
    CHECK(svc(*w, 0).value_of(s.name) == svc(*w, 1).value_of(s.name));
  }
  bool from_snapshot = false;
  for (const auto& r : test::records_of(w->trace(), "var_state"))
    from_snapshot = from_snapshot || (r.node == "n1" && r.fields.value("source", "") == "log");
  CHECK(from_snapshot);
  // n3 crashes (losing what it had not synced) and restarts; anti-entropy brings it back.
  w->crash(2);
  w->restart(2);
  w->run_until(sec(16));
  converged(*w);
}

TEST_CASE("variables sim: state transfers and compaction replay byte for byte", "[variables][sim]") {
  auto a = variables_world(9), b = variables_world(9);
  partitioned_writes(*a);
  partitioned_writes(*b);
  a->run_until(sec(10));
  b->run_until(sec(10));
  CHECK(test::records_of(a->trace(), "var_state").size() > 0);
  CHECK(a->trace() == b->trace());
}
