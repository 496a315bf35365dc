// Tests of the trace index and the cluster state at time T, on the 5-node sample
// (tests/data/cluster5.jsonl, written by make_sample_trace.py): who is crashed, paused,
// partitioned, suspect or down in whose view, who is read-only, who leads; which messages
// are in flight; where agents are. Also: the state is a pure function of T.
#include "viz/model/cluster_state.h"
#include "viz/model/trace_reader.h"

#include <catch2/catch.hpp>

using namespace mabeam::viz;

namespace {

constexpr std::int64_t S = 1'000'000;
constexpr std::int64_t MS = 1'000;
enum { n1, n2, n3, n4, n5 };

const TraceIndex& sample() {
  static const std::shared_ptr<const TraceIndex> index = [] {
    ReadResult r = read_trace_file(QStringLiteral(VIZ_TEST_DATA "/cluster5.jsonl"));
    REQUIRE(r.ok);
    return std::make_shared<const TraceIndex>(std::shared_ptr<const Trace>(std::move(r.trace)));
  }();
  return *index;
}

std::shared_ptr<const TraceIndex> index_of(const char* text) {
  ReadResult r = read_trace_bytes(QByteArray(text), QStringLiteral("inline"));
  REQUIRE(r.ok);
  return std::make_shared<const TraceIndex>(std::shared_ptr<const Trace>(std::move(r.trace)));
}

MemberState seen(const TraceIndex& index, int observer, int subject, std::int64_t t) {
  const MemberChange* c = last_at(index.view(observer, subject), t);
  return c ? c->state : MemberState::Unknown;
}

NodeStatus status(const ClusterState& s, int node) { return s.nodes[static_cast<std::size_t>(node)].status; }

}  // namespace

TEST_CASE("state at 5s: all five nodes up, network whole, n1 leads term 1") {
  const ClusterState s = state_at(sample(), 5 * S);
  for (int i = n1; i <= n5; ++i) {
    CHECK(status(s, i) == NodeStatus::Up);
    CHECK_FALSE(s.nodes[static_cast<std::size_t>(i)].readonly);
  }
  CHECK(s.partition == -1);
  CHECK_FALSE(s.any_cut());
  CHECK(s.leader == n1);
  CHECK(s.leader_term == 1);
  CHECK_FALSE(s.links.empty());
}

TEST_CASE("state at 12.5s: partition {n1,n2}|{n3,n4,n5}, n4 crashed, minority read-only, n3 leads term 2") {
  const ClusterState s = state_at(sample(), 12'500 * MS);
  REQUIRE(s.partition >= 0);
  CHECK(s.nodes[n1].group == s.nodes[n2].group);
  CHECK(s.nodes[n3].group == s.nodes[n5].group);
  CHECK(s.nodes[n1].group != s.nodes[n3].group);
  CHECK(s.is_cut(n1, n3));
  CHECK(s.is_cut(n5, n2));
  CHECK_FALSE(s.is_cut(n1, n2));
  CHECK(status(s, n4) == NodeStatus::Crashed);
  CHECK(s.nodes[n4].life == Life::Crashed);
  CHECK(s.nodes[n1].readonly);
  CHECK(s.nodes[n2].readonly);
  CHECK_FALSE(s.nodes[n3].readonly);
  CHECK(s.leader == n3);
  CHECK(s.leader_term == 2);
  // Across the cut each side marks the other down, but on its own side a node is fine.
  CHECK(seen(sample(), n1, n3, 12'500 * MS) == MemberState::Down);
  CHECK(s.nodes[n3].seen_down_across > 0);
  CHECK(status(s, n3) == NodeStatus::Up);
}

TEST_CASE("state at 13s: n4's own side suspects it, and at 13.8s they see it down") {
  const ClusterState at13 = state_at(sample(), 13 * S);
  CHECK(seen(sample(), n3, n4, 13 * S) == MemberState::Suspect);
  CHECK(status(at13, n4) == NodeStatus::Crashed);  // ground truth wins over views
  CHECK(seen(sample(), n5, n4, 13'800 * MS) == MemberState::Down);
  // After the restart, n4 is up again but still marked down until its side re-admits it.
  const ClusterState restarted = state_at(sample(), 14'200 * MS);
  CHECK(restarted.nodes[n4].life == Life::Up);
  CHECK(status(restarted, n4) == NodeStatus::Down);
  CHECK(restarted.nodes[n4].seen_down_by == std::vector<int>{n3, n5});
  CHECK(status(state_at(sample(), 15 * S), n4) == NodeStatus::Up);
}

TEST_CASE("state at 25s: healed, every node up and active in every view, modes normal") {
  const ClusterState s = state_at(sample(), 25 * S);
  CHECK(s.partition == -1);
  CHECK_FALSE(s.any_cut());
  for (int o = n1; o <= n5; ++o) {
    CHECK(status(s, o) == NodeStatus::Up);
    CHECK_FALSE(s.nodes[static_cast<std::size_t>(o)].readonly);
    for (int x = n1; x <= n5; ++x) CHECK(seen(sample(), o, x, 25 * S) == MemberState::Active);
  }
}

TEST_CASE("state at 27s: n5 paused, and suspected by the others") {
  const ClusterState s = state_at(sample(), 27 * S);
  CHECK(status(s, n5) == NodeStatus::Paused);
  CHECK(seen(sample(), n1, n5, 27 * S) == MemberState::Suspect);
  const ClusterState resumed = state_at(sample(), 29'100 * MS);
  CHECK(status(resumed, n5) == NodeStatus::Suspect);
  CHECK(status(state_at(sample(), 30 * S), n5) == NodeStatus::Up);
}

TEST_CASE("view_at lists what a node believes about every member at T") {
  const auto view = view_at(sample(), n1, 15 * S);
  REQUIRE(view.size() == 5);
  CHECK(view[n1].state == MemberState::Active);
  CHECK(view[n3].state == MemberState::Down);
  CHECK(view[n4].state == MemberState::Down);
}

TEST_CASE("messages: sends pair with receives by id, and sends across the cut are drops") {
  const auto& msgs = sample().messages();
  REQUIRE_FALSE(msgs.empty());
  int received = 0, dropped = 0;
  for (const Message& m : msgs) {
    if (m.dropped) {
      ++dropped;
      const bool across = (m.from <= n2) != (m.to <= n2);
      CHECK(across);
      CHECK(m.send_t >= 10 * S);
      CHECK(m.send_t < 20 * S);
    } else if (m.end_t >= 0) {
      ++received;
      CHECK(m.end_t - m.send_t >= 1 * MS);
      CHECK(m.end_t - m.send_t <= 5 * MS);
    }
  }
  CHECK(received > 100);
  CHECK(dropped > 10);
}

TEST_CASE("messages in flight at T are exactly those sent at or before T and not yet received") {
  const TraceIndex& idx = sample();
  for (std::int64_t t : {1 * S + 3 * MS, 7 * S + 101 * MS, 33 * S + 2 * MS}) {
    std::vector<int> got;
    idx.messages_in_flight(t, got);
    std::vector<int> want;
    for (std::size_t i = 0; i < idx.messages().size(); ++i) {
      const Message& m = idx.messages()[i];
      if (m.send_t <= t && t < idx.drawn_end(m)) want.push_back(static_cast<int>(i));
    }
    CHECK(got == want);
  }
}

TEST_CASE("messages without ids pair FIFO per (from, to, type)") {
  const auto idx = index_of(
      "{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[\"a\",\"b\"]}\n"
      "{\"t\":10,\"node\":\"a\",\"ev\":\"msg_send\",\"to\":\"b\",\"type\":\"ping\"}\n"
      "{\"t\":11,\"node\":\"a\",\"ev\":\"msg_send\",\"to\":\"b\",\"type\":\"data\"}\n"
      "{\"t\":12,\"node\":\"a\",\"ev\":\"msg_send\",\"to\":\"b\",\"type\":\"ping\"}\n"
      "{\"t\":20,\"node\":\"b\",\"ev\":\"msg_recv\",\"from\":\"a\",\"type\":\"ping\"}\n"
      "{\"t\":25,\"node\":\"b\",\"ev\":\"msg_drop\",\"from\":\"a\",\"type\":\"ping\",\"reason\":\"full\"}\n"
      "{\"t\":30,\"node\":\"b\",\"ev\":\"msg_recv\",\"from\":\"a\",\"type\":\"data\"}\n");
  const auto& m = idx->messages();
  REQUIRE(m.size() == 3);
  CHECK(m[0].end_t == 20);
  CHECK_FALSE(m[0].dropped);
  CHECK(m[1].end_t == 30);
  CHECK(m[2].end_t == 25);
  CHECK(m[2].dropped);
  const ClusterState s = state_at(*idx, 15);
  CHECK(s.in_flight_total == 3);
}

TEST_CASE("sampling keeps at most in_flight_max messages and reports the total") {
  StateOptions o;
  o.in_flight_max = 1;
  std::int64_t busiest = 0;
  int most = 0;
  for (std::int64_t t = 0; t < 40 * S; t += 7 * MS) {
    std::vector<int> f;
    sample().messages_in_flight(t, f);
    if (static_cast<int>(f.size()) > most) most = static_cast<int>(f.size()), busiest = t;
  }
  REQUIRE(most >= 2);
  const ClusterState s = state_at(sample(), busiest, o);
  CHECK(s.in_flight_total == most);
  CHECK(s.in_flight.size() <= 1);
}

TEST_CASE("agents: a2 migrates n2 -> n4 (half way at 6.2s), dies with n4, fails over to n5") {
  const auto find = [](const ClusterState& s, const char* name) -> const AgentPlace* {
    for (const AgentPlace& a : s.agents)
      if (sample().trace().str(a.agent) == QLatin1String(name)) return &a;
    return nullptr;
  };
  const ClusterState moving = state_at(sample(), 6'200 * MS);
  const AgentPlace* a2 = find(moving, "a2");
  REQUIRE(a2);
  CHECK(a2->migrating);
  CHECK(a2->from == n2);
  CHECK(a2->node == n4);
  CHECK(a2->progress == Approx(0.5));
  const ClusterState at7 = state_at(sample(), 7 * S);
  const AgentPlace* landed = find(at7, "a2");
  REQUIRE(landed);
  CHECK_FALSE(landed->migrating);
  CHECK(landed->node == n4);
  CHECK(find(state_at(sample(), 13 * S), "a2") == nullptr);
  const ClusterState at14 = state_at(sample(), 14 * S);
  const AgentPlace* failed_over = find(at14, "a2");
  REQUIRE(failed_over);
  CHECK(failed_over->node == n5);
}

TEST_CASE("state_at is a pure function of T: the same T gives the same state in any query order") {
  auto digest = [](const ClusterState& s) {
    QString d;
    for (const NodeState& n : s.nodes) d += QStringLiteral("%1%2%3%4|").arg(int(n.status)).arg(n.readonly).arg(n.leader).arg(n.group);
    d += QStringLiteral("%1/%2/%3/%4").arg(s.partition).arg(s.in_flight_total).arg(s.links.size()).arg(s.agents.size());
    return d;
  };
  const QString first = digest(state_at(sample(), 12'345 * MS));
  state_at(sample(), 39 * S);
  state_at(sample(), 0);
  CHECK(digest(state_at(sample(), 12'345 * MS)) == first);
}

TEST_CASE("a node whose first event is a late node_start is 'not started' before it") {
  const auto idx = index_of(
      "{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[\"a\",\"b\"]}\n"
      "{\"t\":0,\"node\":\"a\",\"ev\":\"node_start\"}\n"
      "{\"t\":500,\"node\":\"b\",\"ev\":\"node_start\"}\n"
      "{\"t\":600,\"node\":\"sim\",\"ev\":\"partition_oneway\",\"from\":[\"a\"],\"to\":[\"b\"]}\n");
  CHECK(state_at(*idx, 100).nodes[1].status == NodeStatus::NotStarted);
  CHECK(state_at(*idx, 500).nodes[1].status == NodeStatus::Up);
  const ClusterState s = state_at(*idx, 700);
  CHECK(s.is_cut(0, 1));
  CHECK_FALSE(s.is_cut(1, 0));
  CHECK(s.partition == -1);
}

TEST_CASE("a node that leaves is 'left', and one marked down by a single peer on its side is 'down'") {
  const auto idx = index_of(
      "{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[\"a\",\"b\",\"c\"]}\n"
      "{\"t\":10,\"node\":\"c\",\"ev\":\"member\",\"subject\":\"c\",\"state\":\"leaving\",\"incarnation\":1}\n"
      "{\"t\":20,\"node\":\"a\",\"ev\":\"member\",\"subject\":\"c\",\"state\":\"left\",\"incarnation\":1}\n"
      "{\"t\":30,\"node\":\"a\",\"ev\":\"member\",\"subject\":\"b\",\"state\":\"down\",\"incarnation\":0}\n"
      "{\"t\":40,\"node\":\"c\",\"ev\":\"member\",\"subject\":\"b\",\"state\":\"suspect\",\"incarnation\":0}\n");
  CHECK(state_at(*idx, 5).nodes[2].status == NodeStatus::Up);
  CHECK(state_at(*idx, 15).nodes[2].status == NodeStatus::Left);
  const ClusterState s = state_at(*idx, 35);
  CHECK(s.nodes[1].status == NodeStatus::Down);
  CHECK(s.nodes[1].seen_down_by == std::vector<int>{0});
  CHECK(state_at(*idx, 45).nodes[1].seen_suspect_by == std::vector<int>{2});
}
