// Load-time check: a synthetic trace of 10^6 events (generated into a temporary directory)
// is read, indexed and charted in seconds, and any replay time is answered in well under a
// frame. Prints the measured times.
#include "viz/model/chart_series.h"
#include "viz/model/cluster_state.h"
#include "viz/model/trace_reader.h"
#include "synthetic_trace.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <catch2/catch.hpp>
#include <cstdio>

using namespace mabeam::viz;

TEST_CASE("a 10^6-event trace of 50 nodes opens (read + index + charts) in seconds and scrubs in milliseconds") {
  QTemporaryDir dir;
  // VIZ_LARGE_TRACE=path keeps the generated trace there (to try it in the viewer).
  const QString keep = qEnvironmentVariable("VIZ_LARGE_TRACE");
  const QString path = keep.isEmpty() ? dir.filePath(QStringLiteral("large.jsonl")) : keep;
  REQUIRE(test::write_synthetic_trace(path, 50, 1'000'000));

  QElapsedTimer clock;
  clock.start();
  ReadResult r = read_trace_file(path);
  REQUIRE(r.ok);
  const qint64 read_ms = clock.elapsed();
  REQUIRE(r.trace->events.size() == 1'000'000);
  const auto index = std::make_shared<const TraceIndex>(std::shared_ptr<const Trace>(std::move(r.trace)));
  const qint64 index_ms = clock.elapsed() - read_ms;
  const ChartSet charts = compute_charts(*index);
  const qint64 total_ms = clock.elapsed();
  std::printf("viz: 10^6 events: read %lld ms, index %lld ms, read+index+charts %lld ms\n", static_cast<long long>(read_ms),
              static_cast<long long>(index_ms), static_cast<long long>(total_ms));
  CHECK(total_ms < 30'000);  // generous for sanitizer builds; a release build takes a few seconds

  clock.restart();
  const std::int64_t end = index->end_t();
  int partitioned = 0;
  for (int k = 0; k < 200; ++k) {
    const ClusterState s = state_at(*index, end * k / 200);
    partitioned += s.partition >= 0;
  }
  const double per_frame_ms = static_cast<double>(clock.elapsed()) / 200.0;
  std::printf("viz: state_at on 10^6 events: %.2f ms per frame\n", per_frame_ms);
  CHECK(partitioned > 0);
  CHECK(per_frame_ms < 100);
}
