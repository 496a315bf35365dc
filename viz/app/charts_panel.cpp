// The charts panel; see charts_panel.h.
#include "viz/app/charts_panel.h"

#include "viz/app/colors.h"

#include <QChart>
#include <QChartView>
#include <QGraphicsLineItem>
#include <QLineSeries>
#include <QMouseEvent>
#include <QTabWidget>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace mabeam::viz {

// A chart view with a vertical cursor at the replay time; a click reports the time under it.
class CursorChartView : public QChartView {
 public:
  CursorChartView(const ChartData& data, double end_s, std::function<void(std::int64_t)> on_seek)
      : on_seek_(std::move(on_seek)) {
    auto* chart = new QChart;
    chart->setTitle(data.title);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->legend()->setFont(QFont(font().family(), 7));
    QFont title = chart->titleFont();
    title.setBold(true);
    title.setPointSizeF(8.5);
    chart->setTitleFont(title);
    auto* x = new QValueAxis;
    x->setRange(0, std::max(1e-3, end_s));
    x->setLabelFormat(QStringLiteral("%.0fs"));
    x->setLabelsFont(QFont(font().family(), 7));
    // Ticks on round seconds from 0, without stretching the axis past the end of the run.
    double step = 1;
    for (double candidate : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0}) {
      step = candidate;
      if (end_s / candidate <= 8) break;
    }
    x->setTickType(QValueAxis::TicksDynamic);
    x->setTickAnchor(0);
    x->setTickInterval(step);
    auto* y = new QValueAxis;
    double ymax = 1;
    for (const Series& s : data.series)
      for (const QPointF& p : s.points) ymax = std::max(ymax, p.y());
    bool integral = true;
    for (const Series& s : data.series)
      for (const QPointF& p : s.points) integral = integral && p.y() == std::floor(p.y());
    if (integral && ymax <= 10) {
      // Small counts: ticks on whole numbers, at most six of them so the labels fit a short chart.
      double top = std::max(2.0, std::ceil(ymax * 1.1));
      const double step = std::ceil(top / 5);
      top = step * std::ceil(top / step);
      y->setRange(0, top);
      y->setTickCount(static_cast<int>(top / step) + 1);
    } else {
      y->setRange(0, ymax * 1.08);
      y->applyNiceNumbers();
    }
    y->setLabelFormat(QStringLiteral("%g"));
    y->setLabelsFont(QFont(font().family(), 7));
    y->setTitleText(data.y_label);
    y->setTitleFont(QFont(font().family(), 7));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    // Equal lines hide each other: earlier series are drawn wider so they show underneath.
    const auto count = static_cast<double>(data.series.size());
    double width = 1.5 + (count - 1) * 0.6;
    for (const Series& s : data.series) {
      auto* line = new QLineSeries;
      line->setName(s.name);
      line->replace(QList<QPointF>(s.points.begin(), s.points.end()));
      // Without OpenGL, large series stay cheap only as long as they are not re-laid out;
      // they never change after this.
      chart->addSeries(line);
      line->attachAxis(x);
      line->attachAxis(y);
      QPen pen = line->pen();
      pen.setWidthF(width);
      width -= 0.6;
      line->setPen(pen);
    }
    setChart(chart);
    // The cursor is a plain graphics item: moving it repaints a thin strip, not the series.
    cursor_ = new QGraphicsLineItem(chart);
    cursor_->setPen(QPen(colors::kSelected, 1.5, Qt::DashLine));
    cursor_->setZValue(100);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(170);
  }

  void set_time(std::int64_t t) {
    t_ = t;
    place_cursor();
  }

 protected:
  void resizeEvent(QResizeEvent* e) override {
    QChartView::resizeEvent(e);
    place_cursor();
  }

  void place_cursor() {
    const QRectF area = chart()->plotArea();
    const double x = chart()->mapToPosition(QPointF(static_cast<double>(t_) / 1e6, 0)).x();
    cursor_->setLine(x, area.top(), x, area.bottom());
    cursor_->setVisible(area.width() > 0 && x >= area.left() - 0.5 && x <= area.right() + 0.5);
  }

  void mousePressEvent(QMouseEvent* e) override {
    if (e->button() == Qt::LeftButton && on_seek_) {
      const QPointF v = chart()->mapToValue(e->position());
      if (v.x() >= 0) on_seek_(static_cast<std::int64_t>(std::llround(v.x() * 1e6)));
    }
    QChartView::mousePressEvent(e);
  }

 private:
  QGraphicsLineItem* cursor_;
  std::int64_t t_ = 0;
  std::function<void(std::int64_t)> on_seek_;
};

ChartsPanel::ChartsPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  tabs_ = new QTabWidget(this);
  layout->addWidget(tabs_);
  connect(tabs_, &QTabWidget::currentChanged, this, [this] { update_cursors(); });
}

void ChartsPanel::set_charts(const ChartSet& charts, std::int64_t end_t) {
  while (tabs_->count() > 0) {
    QWidget* w = tabs_->widget(0);
    tabs_->removeTab(0);
    delete w;
  }
  pages_.clear();
  const double end_s = static_cast<double>(end_t) / 1e6;
  auto seek = [this](std::int64_t t) { emit this->seek(t); };
  auto page = [&](const QString& name, std::initializer_list<const ChartData*> list) {
    std::vector<CursorChartView*> views;
    auto* w = new QWidget;
    auto* l = new QVBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    for (const ChartData* d : list) {
      if (d->empty()) continue;
      auto* v = new CursorChartView(*d, end_s, seek);
      l->addWidget(v);
      views.push_back(v);
    }
    if (views.empty()) {
      delete w;
      return;
    }
    tabs_->addTab(w, name);
    pages_.push_back(views);
  };
  page(tr("Membership"), {&charts.membership, &charts.suspicion});
  page(tr("Traffic"), {&charts.traffic});
  page(tr("Variables"), {&charts.convergence});
  page(tr("Leader && agents"), {&charts.leader, &charts.agents});
  page(tr("Metrics"), {&charts.metrics});
  update_cursors();
}

void ChartsPanel::set_time(std::int64_t t) {
  t_ = t;
  update_cursors();
}

void ChartsPanel::update_cursors() {
  const int current = tabs_->currentIndex();
  if (current < 0 || current >= static_cast<int>(pages_.size())) return;
  for (CursorChartView* v : pages_[static_cast<std::size_t>(current)]) v->set_time(t_);
}

}  // namespace mabeam::viz
