// The timeline: play/pause, speed, step to the previous/next event, a jump-to-time box, and
// a track showing the whole run with fault markers (crash, restart, pause, resume,
// partition, heal), partition periods shaded, and the replay cursor. Clicking or dragging
// on the track seeks. The bar only reports requests; the main window owns the time.
#pragma once
#include "viz/model/trace_index.h"

#include <QWidget>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QToolButton;

namespace mabeam::viz {

class TimelineTrack : public QWidget {
  Q_OBJECT
 public:
  explicit TimelineTrack(QWidget* parent = nullptr);
  void set_index(std::shared_ptr<const TraceIndex> index);
  void set_time(std::int64_t t);
  QSize sizeHint() const override { return {800, 58}; }

 signals:
  void seek(std::int64_t t);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;
  bool event(QEvent*) override;  // tooltips on markers

 private:
  double x_of(std::int64_t t) const;
  std::int64_t t_of(double x) const;
  QRectF track() const;

  std::shared_ptr<const TraceIndex> index_;
  std::int64_t t_ = 0;
};

class TimelineBar : public QWidget {
  Q_OBJECT
 public:
  explicit TimelineBar(QWidget* parent = nullptr);
  void set_index(std::shared_ptr<const TraceIndex> index);
  void set_time(std::int64_t t);
  void set_playing(bool playing);
  double speed() const;  // trace seconds per wall second

 signals:
  void seek(std::int64_t t);
  void toggle_play();
  void step_previous();
  void step_next();
  void speed_changed(double speed);

 private:
  TimelineTrack* track_;
  QToolButton* play_;
  QComboBox* speed_;
  QLineEdit* jump_;
  QLabel* now_;
  std::int64_t end_ = 0;
};

}  // namespace mabeam::viz
