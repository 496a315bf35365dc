// The data behind the viewer's charts, computed once per trace: x is seconds since the
// start, y the measure. The charts panel only turns these into Qt Charts series; keeping
// the computation here (QtCore only) lets the tests check it.
#pragma once
#include "viz/model/trace_index.h"

#include <QPointF>
#include <QString>
#include <vector>

namespace mabeam::viz {

struct Series {
  QString name;
  std::vector<QPointF> points;  // step series already carry both corners of each step
};

struct ChartData {
  QString title;
  QString y_label;
  std::vector<Series> series;
  bool empty() const;
};

struct ChartSet {
  ChartData traffic;      // messages sent per second, per node
  ChartData membership;   // members (joining/active/suspect) in each observer's view
  ChartData suspicion;    // nodes seen suspect / down by at least one observer
  ChartData convergence;  // distinct values across replicas, per variable
  ChartData leader;       // greatest leader term claimed so far
  ChartData agents;       // agents per node
  ChartData metrics;      // `metric` events, per name (summed over nodes)
};

inline constexpr int kSeriesPerChartMax = 10;  // more nodes are folded into summary series

ChartSet compute_charts(const TraceIndex& index);

}  // namespace mabeam::viz
