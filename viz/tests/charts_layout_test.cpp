// Tests of the layouts (stable, inside the canvas, partitions visibly apart) and of the
// chart data computed from the 5-node sample.
#include "viz/model/chart_series.h"
#include "viz/model/layout.h"
#include "viz/model/trace_reader.h"
#include "synthetic_trace.h"

#include <QTemporaryDir>
#include <catch2/catch.hpp>
#include <cmath>

using namespace mabeam::viz;

namespace {

std::shared_ptr<const TraceIndex> load(const QString& path) {
  ReadResult r = read_trace_file(path);
  REQUIRE(r.ok);
  return std::make_shared<const TraceIndex>(std::shared_ptr<const Trace>(std::move(r.trace)));
}

const TraceIndex& sample() {
  static const auto index = load(QStringLiteral(VIZ_TEST_DATA "/cluster5.jsonl"));
  return *index;
}

double dist(QPointF a, QPointF b) { return std::hypot(a.x() - b.x(), a.y() - b.y()); }

// y of a step series at x (the last point at or before x).
double at(const Series& s, double x) {
  double y = 0;
  for (const QPointF& p : s.points)
    if (p.x() <= x) y = p.y();
  return y;
}

const Series& named(const ChartData& c, const char* name) {
  for (const Series& s : c.series)
    if (s.name == QLatin1String(name)) return s;
  FAIL("no series " << name);
  return c.series.front();
}

}  // namespace

TEST_CASE("layout: 5 nodes sit on a circle inside the canvas, the same every time") {
  const auto a = base_layout(sample());
  const auto b = base_layout(sample());
  REQUIRE(a.size() == 5);
  CHECK(a == b);
  for (const QPointF& p : a) {
    CHECK(p.x() > 0.05);
    CHECK(p.x() < 0.95);
    CHECK(dist(p, {0.5, 0.5}) == Approx(0.38));
  }
}

TEST_CASE("layout: a 40-node cluster gets a seeded force layout: deterministic, spread out, in the canvas") {
  QTemporaryDir dir;
  const QString path = dir.filePath(QStringLiteral("forty.jsonl"));
  REQUIRE(test::write_synthetic_trace(path, 40, 20'000));
  const auto idx = load(path);
  const auto a = base_layout(*idx, 3);
  CHECK(a == base_layout(*idx, 3));
  double closest = 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].x() >= 0.0);
    CHECK(a[i].x() <= 1.0);
    CHECK(a[i].y() >= 0.0);
    CHECK(a[i].y() <= 1.0);
    for (std::size_t j = i + 1; j < a.size(); ++j) closest = std::min(closest, dist(a[i], a[j]));
  }
  CHECK(closest > 0.01);  // no two nodes on top of each other
}

TEST_CASE("layout: during a partition every group is closer together than to any other group") {
  const auto base = base_layout(sample());
  const PartitionSpec& spec = sample().trace().partitions[0];
  const auto p = partition_layout(base, spec);
  double within = 0, across = 10;
  for (std::size_t g = 0; g < spec.groups.size(); ++g)
    for (int a : spec.groups[g]) {
      for (int b : spec.groups[g]) within = std::max(within, dist(p[static_cast<std::size_t>(a)], p[static_cast<std::size_t>(b)]));
      for (std::size_t h = 0; h < spec.groups.size(); ++h)
        if (h != g)
          for (int b : spec.groups[h]) across = std::min(across, dist(p[static_cast<std::size_t>(a)], p[static_cast<std::size_t>(b)]));
    }
  CHECK(across > within);
}

TEST_CASE("charts: n1's membership shrinks from 5 to 2 during the partition and returns to 5 after the heal") {
  const ChartSet c = compute_charts(sample());
  const Series& n1 = named(c.membership, "n1");
  CHECK(at(n1, 5) == 5);
  CHECK(at(n1, 15) == 2);
  CHECK(at(n1, 25) == 5);
  const Series& n3 = named(c.membership, "n3");
  CHECK(at(n3, 15) == 3);  // n1, n2 gone; n4 back after its restart
  CHECK(at(named(c.membership, "n4"), 13) == 0);  // crashed: sees nobody
}

TEST_CASE("charts: suspect and down counts rise with the partition and fall after the heal") {
  const ChartSet c = compute_charts(sample());
  CHECK(at(named(c.suspicion, "suspect"), 5) == 0);
  CHECK(at(named(c.suspicion, "down"), 13) == 5);
  CHECK(at(named(c.suspicion, "down"), 25) == 0);
  CHECK(at(named(c.suspicion, "suspect"), 27.5) == 1);
}

TEST_CASE("charts: variable x has 2 distinct replica values in the partition and 1 after the heal merge") {
  const ChartSet c = compute_charts(sample());
  const Series& x = named(c.convergence, "x");
  CHECK(at(x, 18) == 2);
  CHECK(at(x, 20.95) == 1);
}

TEST_CASE("charts: leader term steps from 1 to 2, and traffic and agents charts have data") {
  const ChartSet c = compute_charts(sample());
  REQUIRE(c.leader.series.size() == 1);
  CHECK(at(c.leader.series[0], 5) == 1);
  CHECK(at(c.leader.series[0], 15) == 2);
  CHECK(c.traffic.series.size() == 5);
  CHECK_FALSE(c.agents.empty());
  CHECK(at(named(c.agents, "n5"), 15) == 2);  // a4, and a2 failed over
  CHECK_FALSE(c.metrics.empty());
}
