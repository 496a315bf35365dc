// The viewer's window driven offscreen, as a person would use it: open a trace (and be told
// which line is wrong in a bad one), play and pause, step between events, jump to a time,
// click a node, choose an event in the log.
#include "viz/app/event_log.h"
#include "viz/app/main_window.h"
#include "viz/app/node_panel.h"
#include "viz/app/topology_view.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMouseEvent>
#include <QTableView>
#include <catch2/catch.hpp>
#include <memory>

using namespace mabeam::viz;

namespace {

// One application per test case, created first and destroyed last (after the window), so
// Qt and fontconfig release everything they hold and leak checkers stay quiet.
class App {
 public:
  App() {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    app_ = std::make_unique<QApplication>(argc_, argv_);
  }

 private:
  int argc_ = 1;
  char name_[20] = "mabeam_viz_ui_tests";
  char* argv_[2] = {name_, nullptr};
  std::unique_ptr<QApplication> app_;
};

void pump(int ms) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < ms) QApplication::processEvents(QEventLoop::AllEvents, 10);
}

void key(QWidget* w, int k) {
  QKeyEvent press(QEvent::KeyPress, k, Qt::NoModifier);
  QApplication::sendEvent(w, &press);
}

const QString kSample = QStringLiteral(VIZ_TEST_DATA "/cluster5.jsonl");

}  // namespace

TEST_CASE("a malformed trace is refused with its line, and the window keeps the trace it showed") {
  App app;
  MainWindow w;
  QString error;
  REQUIRE(w.load(kSample, &error));
  REQUIRE(w.index()->node_count() == 5);
  CHECK_FALSE(w.load(QStringLiteral(VIZ_TEST_DATA "/bad_time.jsonl"), &error));
  CHECK(error.contains(QStringLiteral("bad_time.jsonl:4:")));
  REQUIRE(w.index());
  CHECK(w.index()->node_count() == 5);
}

TEST_CASE("Space plays (time advances with the wall clock) and Space pauses") {
  App app;
  MainWindow w;
  w.resize(1200, 800);
  w.show();
  REQUIRE(w.load(kSample, nullptr));
  CHECK(w.time() == 0);
  key(&w, Qt::Key_Space);
  pump(400);
  key(&w, Qt::Key_Space);
  const std::int64_t paused_at = w.time();
  CHECK(paused_at > 150'000);    // about 400 ms at 1x
  CHECK(paused_at < 2'000'000);
  pump(200);
  CHECK(w.time() == paused_at);
}

TEST_CASE("Right and Left step to the next and previous event of the log's filter") {
  App app;
  MainWindow w;
  REQUIRE(w.load(kSample, nullptr));
  w.set_time(12'000'000 - 1);
  key(&w, Qt::Key_Right);
  CHECK(w.time() == 12'000'000);  // n4's crash (messages are filtered out by default)
  key(&w, Qt::Key_Right);
  const std::int64_t next = w.time();
  CHECK(next > 12'000'000);
  key(&w, Qt::Key_Left);
  CHECK(w.time() == 12'000'000);
  key(&w, Qt::Key_End);
  CHECK(w.time() == w.index()->end_t());
  key(&w, Qt::Key_Home);
  CHECK(w.time() == 0);
}

TEST_CASE("typing 12s in the jump box and pressing Enter moves the replay time there") {
  App app;
  MainWindow w;
  REQUIRE(w.load(kSample, nullptr));
  QLineEdit* jump = nullptr;
  for (QLineEdit* e : w.findChildren<QLineEdit*>())
    if (e->placeholderText().contains(QStringLiteral("1500ms"))) jump = e;
  REQUIRE(jump);
  jump->setText(QStringLiteral("12s"));
  key(jump, Qt::Key_Return);
  CHECK(w.time() == 12'000'000);
  jump->setText(QStringLiteral("later"));
  key(jump, Qt::Key_Return);
  CHECK(w.time() == 12'000'000);
}

TEST_CASE("clicking a node in the topology shows it in the node panel") {
  App app;
  MainWindow w;
  w.resize(1400, 900);
  w.show();
  REQUIRE(w.load(kSample, nullptr));
  pump(50);
  auto* topology = w.findChild<TopologyView*>();
  auto* panel = w.findChild<NodePanel*>();
  REQUIRE(topology);
  REQUIRE(panel);
  topology->repaint();
  const QPointF n3 = topology->node_position(2);
  REQUIRE(n3.x() > 0);
  QMouseEvent click(QEvent::MouseButtonPress, n3, topology->mapToGlobal(n3), Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(topology, &click);
  CHECK(panel->node() == 2);
}

TEST_CASE("choosing a row in the event log moves the replay time to that event") {
  App app;
  MainWindow w;
  REQUIRE(w.load(kSample, nullptr));
  auto* log = w.findChild<EventLog*>();
  REQUIRE(log);
  auto* table = log->findChild<QTableView*>();
  REQUIRE(table);
  auto* model = static_cast<EventTableModel*>(table->model());
  REQUIRE(model->rowCount() > 100);
  const int row = 100;
  table->setCurrentIndex(model->index(row, 0));
  const Event& e = w.index()->trace().events[static_cast<std::size_t>(model->event_at(row))];
  CHECK(w.time() == e.t);
  CHECK(table->currentIndex().row() == row);  // the chosen row stays chosen
}
