// The main window; see main_window.h. Layout: topology (top left) over the event log,
// node panel (top right) over the charts, the timeline across the bottom.
#include "viz/app/main_window.h"

#include "viz/app/charts_panel.h"
#include "viz/app/event_log.h"
#include "viz/app/node_panel.h"
#include "viz/app/timeline_bar.h"
#include "viz/app/topology_view.h"
#include "viz/model/chart_series.h"
#include "viz/model/duration_text.h"
#include "viz/model/trace_reader.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QKeyEvent>
#include <QMimeData>
#include <QMenuBar>
#include <QMessageBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>

namespace mabeam::viz {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(QStringLiteral("mabeam-viz"));
  topology_ = new TopologyView;
  timeline_ = new TimelineBar;
  node_panel_ = new NodePanel;
  charts_ = new ChartsPanel;
  log_ = new EventLog;
  timer_ = new QTimer(this);
  timer_->setInterval(33);

  auto* left = new QSplitter(Qt::Vertical);
  left->addWidget(topology_);
  left->addWidget(log_);
  left->setStretchFactor(0, 3);
  left->setStretchFactor(1, 1);
  auto* right = new QSplitter(Qt::Vertical);
  right->addWidget(node_panel_);
  right->addWidget(charts_);
  right->setStretchFactor(0, 2);
  right->setStretchFactor(1, 3);
  auto* main = new QSplitter(Qt::Horizontal);
  main->addWidget(left);
  main->addWidget(right);
  main->setStretchFactor(0, 3);
  main->setStretchFactor(1, 2);
  auto* central = new QWidget;
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->addWidget(main, 1);
  layout->addWidget(timeline_);
  setCentralWidget(central);
  main->setSizes({870, 530});
  left->setSizes({600, 200});
  right->setSizes({300, 500});

  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open trace..."), QKeySequence::Open, this, &MainWindow::open_dialog);
  file->addAction(tr("&Reload"), QKeySequence::Refresh, this, [this] {
    QString error;
    if (!path_.isEmpty() && !load(path_, &error)) QMessageBox::critical(this, tr("Cannot reload trace"), error);
  });
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
  // Playback keys work wherever the focus is, except in the jump-to box, which keeps them.
  QMenu* play = menuBar()->addMenu(tr("&Playback"));
  play->addAction(tr("Play / pause"), QKeySequence(Qt::Key_Space), this, &MainWindow::toggle_play);
  play->addAction(tr("Previous event"), QKeySequence(Qt::Key_Left), this, [this] { set_time(log_->previous_time(t_)); });
  play->addAction(tr("Next event"), QKeySequence(Qt::Key_Right), this, [this] { set_time(log_->next_time(t_)); });
  play->addAction(tr("Start"), QKeySequence(Qt::Key_Home), this, [this] { set_time(0); });
  play->addAction(tr("End"), QKeySequence(Qt::Key_End), this, [this] {
    if (index_) set_time(index_->end_t());
  });

  connect(timeline_, &TimelineBar::seek, this, &MainWindow::set_time);
  connect(timeline_, &TimelineBar::toggle_play, this, &MainWindow::toggle_play);
  connect(timeline_, &TimelineBar::step_previous, this, [this] { set_time(log_->previous_time(t_)); });
  connect(timeline_, &TimelineBar::step_next, this, [this] { set_time(log_->next_time(t_)); });
  connect(timeline_, &TimelineBar::speed_changed, this, [this](double s) { speed_ = s; });
  connect(log_, &EventLog::event_chosen, this, &MainWindow::set_time);
  connect(charts_, &ChartsPanel::seek, this, &MainWindow::set_time);
  connect(topology_, &TopologyView::node_clicked, this, &MainWindow::select_node);
  connect(node_panel_, &NodePanel::node_chosen, this, &MainWindow::select_node);
  connect(timer_, &QTimer::timeout, this, &MainWindow::tick);
  setAcceptDrops(true);
  statusBar()->showMessage(tr("Open a trace with File > Open, or drop one on the window"));
}

bool MainWindow::load(const QString& path, QString* error) {
  QElapsedTimer clock;
  clock.start();
  QApplication::setOverrideCursor(Qt::WaitCursor);
  ReadResult r = read_trace_file(path);
  if (!r.ok) {
    QApplication::restoreOverrideCursor();
    if (error) *error = r.error.text(path);
    return false;
  }
  const qint64 read_ms = clock.elapsed();
  auto index = std::make_shared<const TraceIndex>(std::shared_ptr<const Trace>(std::move(r.trace)));
  const ChartSet charts = compute_charts(*index);
  timer_->stop();
  timeline_->set_playing(false);
  index_ = index;
  path_ = path;
  topology_->set_index(index_);
  timeline_->set_index(index_);
  node_panel_->set_index(index_);
  charts_->set_charts(charts, index_->end_t());
  log_->set_index(index_);
  QApplication::restoreOverrideCursor();
  setWindowTitle(QStringLiteral("mabeam-viz — %1").arg(QFileInfo(path).fileName()));
  t_ = -1;
  set_time(0);
  select_node(0);
  QString msg = tr("%1: %2 events, %3 nodes, %4 long; read in %5 ms, ready in %6 ms")
                    .arg(QFileInfo(path).fileName())
                    .arg(index_->trace().events.size())
                    .arg(index_->node_count())
                    .arg(format_time_us(index_->end_t()))
                    .arg(read_ms)
                    .arg(clock.elapsed());
  if (!r.warnings.isEmpty()) msg += QStringLiteral("  (") + r.warnings.join(QStringLiteral("; ")) + QLatin1Char(')');
  statusBar()->showMessage(msg);
  return true;
}

void MainWindow::set_time(std::int64_t t) {
  if (!index_) return;
  t = std::clamp<std::int64_t>(t, 0, index_->end_t());
  if (t == t_) return;
  t_ = t;
  const ClusterState state = state_at(*index_, t_);
  topology_->set_state(state);
  node_panel_->set_state(state);
  timeline_->set_time(t_);
  charts_->set_time(t_);
  log_->set_time(t_);
}

void MainWindow::select_node(int node) {
  if (!index_ || node < 0 || node >= index_->node_count()) return;
  topology_->set_selected(node);
  node_panel_->set_node(node);
}

void MainWindow::open_dialog() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open a mabeam trace"), QString(), tr("Traces (*.jsonl *.json);;All files (*)"));
  if (path.isEmpty()) return;
  QString error;
  if (!load(path, &error)) QMessageBox::critical(this, tr("Cannot open trace"), error);
}

void MainWindow::toggle_play() {
  if (!index_) return;
  if (timer_->isActive()) {
    timer_->stop();
    timeline_->set_playing(false);
    return;
  }
  if (t_ >= index_->end_t()) set_time(0);
  wall_.start();
  timer_->start();
  timeline_->set_playing(true);
}

void MainWindow::tick() {
  // Advance by the wall time actually elapsed, so a slow frame does not slow the replay.
  const qint64 wall_us = wall_.nsecsElapsed() / 1000;
  wall_.restart();
  const auto step = static_cast<std::int64_t>(static_cast<double>(wall_us) * speed_);
  set_time(t_ + std::max<std::int64_t>(1, step));
  if (t_ >= index_->end_t()) {
    timer_->stop();
    timeline_->set_playing(false);
  }
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls() && e->mimeData()->urls().first().isLocalFile()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
  const QString path = e->mimeData()->urls().first().toLocalFile();
  QString error;
  if (!load(path, &error)) QMessageBox::critical(this, tr("Cannot open trace"), error);
}

void MainWindow::keyPressEvent(QKeyEvent* e) {
  switch (e->key()) {
    case Qt::Key_Space: toggle_play(); return;
    case Qt::Key_Left: set_time(log_->previous_time(t_)); return;
    case Qt::Key_Right: set_time(log_->next_time(t_)); return;
    case Qt::Key_Home: set_time(0); return;
    case Qt::Key_End: if (index_) set_time(index_->end_t()); return;
    default: QMainWindow::keyPressEvent(e);
  }
}

}  // namespace mabeam::viz
