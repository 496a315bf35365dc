// The viewer's main window: owns the loaded trace, its index and the replay time, and keeps
// the topology, the timeline, the node panel, the charts and the event log on that time.
#pragma once
#include "viz/model/cluster_state.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QString>
#include <memory>

class QTimer;

namespace mabeam::viz {

class ChartsPanel;
class EventLog;
class NodePanel;
class TimelineBar;
class TopologyView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);

  // Reads and indexes a trace. On bad input returns false and sets `error` (the file, the
  // line and the problem); the window keeps what it showed before.
  bool load(const QString& path, QString* error);
  void set_time(std::int64_t t);
  void select_node(int node);
  std::int64_t time() const { return t_; }
  const TraceIndex* index() const { return index_.get(); }

 protected:
  void keyPressEvent(QKeyEvent*) override;
  void dragEnterEvent(QDragEnterEvent*) override;  // a trace file dropped on the window opens
  void dropEvent(QDropEvent*) override;

 private:
  void open_dialog();
  void toggle_play();
  void tick();

  std::shared_ptr<const TraceIndex> index_;
  std::int64_t t_ = 0;
  TopologyView* topology_;
  TimelineBar* timeline_;
  NodePanel* node_panel_;
  ChartsPanel* charts_;
  EventLog* log_;
  QTimer* timer_;
  QElapsedTimer wall_;
  double speed_ = 1.0;
  QString path_;
};

}  // namespace mabeam::viz
