// Node layouts: circle, seeded Fruchterman-Reingold force layout, and partition clusters.
#include "viz/model/layout.h"

#include <algorithm>
#include <cmath>

namespace mabeam::viz {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<QPointF> circle(int n, QPointF centre, double radius, double start_angle) {
  std::vector<QPointF> out;
  for (int i = 0; i < n; ++i) {
    const double a = start_angle + 2 * kPi * i / std::max(1, n);
    out.emplace_back(centre.x() + radius * std::cos(a), centre.y() + radius * std::sin(a));
  }
  return out;
}

// A tiny deterministic generator (splitmix64): the same seed gives the same layout on every
// platform, which std:: distributions do not promise.
struct SplitMix {
  std::uint64_t s;
  double next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) / 9007199254740992.0;
  }
};

std::vector<QPointF> force_layout(const TraceIndex& index, std::uint64_t seed) {
  const int n = index.node_count();
  SplitMix rng{seed};
  std::vector<QPointF> p = circle(n, {0.5, 0.5}, 0.4, -kPi / 2);
  for (auto& q : p) q += QPointF((rng.next() - 0.5) * 0.05, (rng.next() - 0.5) * 0.05);
  struct Edge {
    int a, b;
    double w;
  };
  std::vector<Edge> edges;
  double wmax = 0;
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) {
      const int c = index.sends_total(a, b) + index.sends_total(b, a);
      if (c == 0) continue;
      const double w = std::log1p(c);
      edges.push_back({a, b, w});
      wmax = std::max(wmax, w);
    }
  const double k = 0.8 / std::sqrt(static_cast<double>(n));  // ideal edge length
  const int iterations = std::clamp(40'000'000 / std::max(1, n * n), 30, 300);
  double temperature = 0.1;
  std::vector<QPointF> disp(static_cast<std::size_t>(n));
  for (int it = 0; it < iterations; ++it) {
    std::fill(disp.begin(), disp.end(), QPointF(0, 0));
    for (int a = 0; a < n; ++a)
      for (int b = a + 1; b < n; ++b) {
        QPointF d = p[static_cast<std::size_t>(a)] - p[static_cast<std::size_t>(b)];
        double dist = std::hypot(d.x(), d.y());
        if (dist < 1e-6) {
          d = QPointF(1e-3 * (a - b), 1e-3);
          dist = std::hypot(d.x(), d.y());
        }
        const QPointF f = d / dist * (k * k / dist);
        disp[static_cast<std::size_t>(a)] += f;
        disp[static_cast<std::size_t>(b)] -= f;
      }
    for (const Edge& e : edges) {
      const QPointF d = p[static_cast<std::size_t>(e.a)] - p[static_cast<std::size_t>(e.b)];
      const double dist = std::max(1e-6, std::hypot(d.x(), d.y()));
      const QPointF f = d / dist * (dist * dist / k) * (0.2 + 0.8 * e.w / std::max(1e-9, wmax));
      disp[static_cast<std::size_t>(e.a)] -= f;
      disp[static_cast<std::size_t>(e.b)] += f;
    }
    for (int a = 0; a < n; ++a) {
      QPointF& d = disp[static_cast<std::size_t>(a)];
      // A weak pull to the centre keeps unconnected nodes on the canvas.
      d += (QPointF(0.5, 0.5) - p[static_cast<std::size_t>(a)]) * (k * 2);
      const double len = std::hypot(d.x(), d.y());
      if (len > 0) p[static_cast<std::size_t>(a)] += d / len * std::min(len, temperature);
    }
    temperature = std::max(0.002, temperature * 0.97);
  }
  // Fit into [0.08, 0.92]^2 keeping the aspect ratio.
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  for (const auto& q : p) {
    x0 = std::min(x0, q.x()), x1 = std::max(x1, q.x());
    y0 = std::min(y0, q.y()), y1 = std::max(y1, q.y());
  }
  const double span = std::max({x1 - x0, y1 - y0, 1e-6});
  for (auto& q : p)
    q = QPointF(0.5 + (q.x() - (x0 + x1) / 2) / span * 0.84, 0.5 + (q.y() - (y0 + y1) / 2) / span * 0.84);
  return p;
}

}  // namespace

std::vector<QPointF> base_layout(const TraceIndex& index, std::uint64_t seed) {
  const int n = index.node_count();
  if (n <= kCircleLayoutMax) return circle(n, {0.5, 0.5}, 0.38, -kPi / 2);
  return force_layout(index, seed);
}

std::vector<QPointF> partition_layout(const std::vector<QPointF>& base, const PartitionSpec& spec) {
  std::vector<QPointF> out = base;
  const auto groups = static_cast<int>(spec.groups.size());
  if (spec.oneway || groups < 2) return out;
  // Group centres: two groups side by side; more around a circle, starting on the left.
  const double ring = groups == 2 ? 0.25 : 0.3;
  const std::vector<QPointF> centres = circle(groups, {0.5, 0.5}, ring, kPi);
  for (int g = 0; g < groups; ++g) {
    const std::vector<int>& members = spec.groups[static_cast<std::size_t>(g)];
    const auto m = static_cast<int>(members.size());
    const double radius = std::min(groups == 2 ? 0.17 : 0.13, 0.05 + 0.0375 * std::sqrt(static_cast<double>(m)));
    const QPointF c = centres[static_cast<std::size_t>(g)];
    if (m == 1) {
      out[static_cast<std::size_t>(members[0])] = c;
      continue;
    }
    if (m <= kCircleLayoutMax) {
      // Keep the members' order around the original circle.
      std::vector<int> order = members;
      auto angle = [&](int x) {
        const QPointF d = base[static_cast<std::size_t>(x)] - QPointF(0.5, 0.5);
        return std::atan2(d.y(), d.x());
      };
      std::sort(order.begin(), order.end(), [&](int a, int b) { return angle(a) < angle(b); });
      const std::vector<QPointF> ring_pts = circle(m, c, radius, -kPi / 2);
      for (int i = 0; i < m; ++i) out[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = ring_pts[static_cast<std::size_t>(i)];
      continue;
    }
    QPointF centroid(0, 0);
    for (int x : members) centroid += base[static_cast<std::size_t>(x)];
    centroid /= m;
    double far = 1e-6;
    for (int x : members) {
      const QPointF d = base[static_cast<std::size_t>(x)] - centroid;
      far = std::max(far, std::hypot(d.x(), d.y()));
    }
    for (int x : members) out[static_cast<std::size_t>(x)] = c + (base[static_cast<std::size_t>(x)] - centroid) * (radius / far);
  }
  return out;
}

}  // namespace mabeam::viz
