// The viewer never crashes on odd input: corrupted and truncated copies of the sample either
// fail with a line-numbered error or load and answer every query; edge-case traces (no
// events, global agent events, self-messages, unmatched receives) load and index.
#include "viz/model/chart_series.h"
#include "viz/model/cluster_state.h"
#include "viz/model/layout.h"
#include "viz/model/trace_reader.h"

#include <QFile>
#include <catch2/catch.hpp>

using namespace mabeam::viz;

namespace {

// Loads, indexes and queries; returns whether the trace was accepted.
bool exercise(const QByteArray& bytes) {
  ReadResult r = read_trace_bytes(bytes, QStringLiteral("fuzz"));
  if (!r.ok) {
    CHECK(r.error.line >= 1);
    CHECK_FALSE(r.error.message.isEmpty());
    return false;
  }
  const auto index = std::make_shared<const TraceIndex>(std::shared_ptr<const Trace>(std::move(r.trace)));
  const std::int64_t end = index->end_t();
  for (int k = 0; k <= 4; ++k) {
    const ClusterState s = state_at(*index, end * k / 4);
    for (int n = 0; n < index->node_count(); ++n) {
      view_at(*index, n, s.t);
      vars_at(*index, n, s.t);
    }
  }
  compute_charts(*index);
  base_layout(*index);
  return true;
}

}  // namespace

TEST_CASE("corrupted and truncated copies of the sample never crash the reader, the index or the queries") {
  QFile f(QStringLiteral(VIZ_TEST_DATA "/cluster5.jsonl"));
  REQUIRE(f.open(QIODevice::ReadOnly));
  const QByteArray sample = f.readAll();
  std::uint64_t s = 12345;
  auto rnd = [&](std::uint64_t n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<qsizetype>((s >> 33) % n);
  };
  int accepted = 0, rejected = 0;
  const char noise[] = "{}[]\",:0-9e\\ntrufalsn\n x";
  for (int round = 0; round < 150; ++round) {
    QByteArray b = sample;
    if (round % 3 == 0) {
      b.truncate(rnd(static_cast<std::uint64_t>(b.size())));
    } else {
      for (int k = 0; k < 1 + round % 5; ++k) b[rnd(static_cast<std::uint64_t>(b.size()))] = noise[rnd(sizeof noise - 1)];
    }
    (exercise(b) ? accepted : rejected) += 1;
  }
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}

TEST_CASE("edge-case traces load: no events, global agent events, self-messages, receives without sends") {
  CHECK(exercise("{\"trace\":\"mabeam\",\"version\":1,\"source\":\"real\",\"nodes\":[]}\n"));
  CHECK(exercise("{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[\"a\"]}\n"));
  CHECK(exercise(
      "{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[\"a\",\"b\"]}\n"
      "{\"t\":1,\"node\":\"sim\",\"ev\":\"agent_spawn\",\"agent\":\"x\"}\n"
      "{\"t\":2,\"node\":\"sim\",\"ev\":\"agent_migrate_begin\",\"agent\":\"x\",\"to\":\"b\"}\n"
      "{\"t\":3,\"node\":\"*\",\"ev\":\"agent_stop\",\"agent\":\"x\"}\n"
      "{\"t\":4,\"node\":\"a\",\"ev\":\"msg_send\",\"to\":\"a\",\"type\":\"self\",\"id\":\"s-1\"}\n"
      "{\"t\":5,\"node\":\"b\",\"ev\":\"msg_recv\",\"from\":\"a\",\"type\":\"ghost\",\"id\":9}\n"
      "{\"t\":6,\"node\":\"a\",\"ev\":\"msg_drop\",\"type\":\"nowhere\",\"reason\":\"?\"}\n"
      "{\"t\":7,\"node\":\"sim\",\"ev\":\"partition\",\"groups\":[]}\n"
      "{\"t\":8,\"node\":\"a\",\"ev\":\"leader\",\"term\":1e300}\n"
      "{\"t\":9,\"node\":\"a\",\"ev\":\"var_write\",\"var\":\"v\",\"value\":{\"nested\":[1,2,{\"k\":\"\\u00e9\"}]},\"ok\":false}\n"
      "{\"t\":10,\"node\":\"newcomer\",\"ev\":\"member\",\"subject\":\"a\",\"state\":\"left\",\"incarnation\":3}\n"));
}

TEST_CASE("a trace naming more nodes than the viewer draws is rejected with the line") {
  QByteArray b = "{\"trace\":\"mabeam\",\"version\":1,\"nodes\":[]}\n";
  for (int i = 0; i < 1001; ++i) b += "{\"t\":" + QByteArray::number(i) + ",\"node\":\"n" + QByteArray::number(i) + "\",\"ev\":\"node_start\"}\n";
  const ReadResult r = read_trace_bytes(b, QStringLiteral("many"));
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.line == 1002);
  CHECK(r.error.message.contains("1000"));
}
