// Charts tied to the timeline (Qt Charts): traffic, membership size per observer,
// suspect/down counts, variable convergence, leader term, agents per node and metrics.
// The data is computed once per trace (chart_series.h); moving the replay time only moves
// a cursor line, and only on the charts that are visible. Clicking a chart seeks there.
#pragma once
#include "viz/model/chart_series.h"

#include <QWidget>
#include <memory>
#include <vector>

class QTabWidget;

namespace mabeam::viz {

class CursorChartView;

class ChartsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ChartsPanel(QWidget* parent = nullptr);
  void set_charts(const ChartSet& charts, std::int64_t end_t);
  void set_time(std::int64_t t);

 signals:
  void seek(std::int64_t t);

 private:
  void update_cursors();

  QTabWidget* tabs_;
  std::vector<std::vector<CursorChartView*>> pages_;
  std::int64_t t_ = 0;
};

}  // namespace mabeam::viz
