// The timeline bar and its track; see timeline_bar.h.
#include "viz/app/timeline_bar.h"

#include "viz/app/colors.h"
#include "viz/model/duration_text.h"
#include "viz/model/event_text.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QPainter>
#include <QStyle>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <cmath>

namespace mabeam::viz {

TimelineTrack::TimelineTrack(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(58);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  setCursor(Qt::PointingHandCursor);
}

void TimelineTrack::set_index(std::shared_ptr<const TraceIndex> index) {
  index_ = std::move(index);
  t_ = 0;
  update();
}

void TimelineTrack::set_time(std::int64_t t) {
  t_ = t;
  update();
}

QRectF TimelineTrack::track() const { return QRectF(12, 18, width() - 24, 20); }

double TimelineTrack::x_of(std::int64_t t) const {
  const QRectF r = track();
  const double end = index_ ? std::max<double>(1, static_cast<double>(index_->end_t())) : 1;
  return r.left() + r.width() * static_cast<double>(t) / end;
}

std::int64_t TimelineTrack::t_of(double x) const {
  const QRectF r = track();
  const double end = index_ ? static_cast<double>(index_->end_t()) : 0;
  return static_cast<std::int64_t>(std::llround(std::clamp((x - r.left()) / r.width(), 0.0, 1.0) * end));
}

void TimelineTrack::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  const QRectF r = track();
  p.fillRect(rect(), palette().window());
  p.setPen(QPen(QColor(206, 212, 218), 1));
  p.setBrush(Qt::white);
  p.drawRoundedRect(r, 4, 4);
  if (!index_) return;
  const std::int64_t end = index_->end_t();

  // Shade network cuts: from a partition (or one-way cut) to the next heal.
  const auto& net = index_->net();
  for (std::size_t k = 0; k < net.size(); ++k) {
    if (net[k].partition < 0 && net[k].oneway.empty()) continue;
    const std::int64_t until = k + 1 < net.size() ? net[k + 1].t : end;
    QColor c = colors::kCut;
    c.setAlpha(net[k].partition >= 0 ? 50 : 28);
    const QRectF band(x_of(net[k].t), r.top() + 1, std::max(1.0, x_of(until) - x_of(net[k].t)), r.height() - 2);
    p.fillRect(band, c);
    if (band.width() > 80) {
      p.setPen(colors::kCut.darker(110));
      p.drawText(band, Qt::AlignCenter, net[k].partition >= 0 ? tr("partitioned") : tr("one-way cut"));
    }
  }

  // Ticks: a round step giving about 10 labels.
  QFont f = font();
  f.setPointSizeF(std::max(6.5, f.pointSizeF() * 0.8));
  p.setFont(f);
  static constexpr std::int64_t kSteps[] = {1'000, 10'000, 100'000, 500'000, 1'000'000, 2'000'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000, 300'000'000, 600'000'000, 3'600'000'000};
  std::int64_t step = kSteps[std::size(kSteps) - 1];
  for (std::int64_t s : kSteps)
    if (end / s <= 12) {
      step = s;
      break;
    }
  p.setPen(colors::kMuted);
  for (std::int64_t t = 0; t <= end; t += step) {
    const double x = x_of(t);
    p.drawLine(QPointF(x, r.bottom()), QPointF(x, r.bottom() + 4));
    const QString label = t % 1'000'000 == 0 ? QStringLiteral("%1s").arg(t / 1'000'000) : format_time_us(t);
    p.drawText(QRectF(x - 40, r.bottom() + 4, 80, 14), Qt::AlignHCenter | Qt::AlignTop, label);
  }

  // Fault markers: a coloured tick through the track and a letter above it.
  QFont mf = f;
  mf.setBold(true);
  p.setFont(mf);
  for (const FaultMarker& m : index_->faults()) {
    const double x = x_of(m.t);
    const QColor c = colors::fault(m.kind);
    p.setPen(QPen(c, 2));
    p.drawLine(QPointF(x, r.top() - 2), QPointF(x, r.bottom()));
    QString letter;
    switch (m.kind) {
      case Kind::NodeCrash: letter = QStringLiteral("✕"); break;
      case Kind::NodeRestart: letter = QStringLiteral("↑"); break;
      case Kind::NodePause: letter = QStringLiteral("‖"); break;
      case Kind::NodeResume: letter = QStringLiteral("▶"); break;
      case Kind::Partition: letter = QStringLiteral("P"); break;
      case Kind::PartitionOneway: letter = QStringLiteral("→"); break;
      case Kind::Heal: letter = QStringLiteral("H"); break;
      default: break;
    }
    p.drawText(QRectF(x - 10, 0, 20, r.top() - 1), Qt::AlignCenter, letter);
  }

  // Cursor.
  const double x = x_of(t_);
  p.setPen(QPen(colors::kSelected, 2));
  p.drawLine(QPointF(x, r.top() - 4), QPointF(x, r.bottom() + 4));
  p.setBrush(colors::kSelected);
  const QPointF tri[3] = {QPointF(x - 5, r.top() - 6), QPointF(x + 5, r.top() - 6), QPointF(x, r.top())};
  p.drawPolygon(tri, 3);
}

void TimelineTrack::mousePressEvent(QMouseEvent* e) {
  if (index_ && e->button() == Qt::LeftButton) emit seek(t_of(e->position().x()));
}

void TimelineTrack::mouseMoveEvent(QMouseEvent* e) {
  if (index_ && (e->buttons() & Qt::LeftButton)) emit seek(t_of(e->position().x()));
}

bool TimelineTrack::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip && index_) {
    auto* help = static_cast<QHelpEvent*>(e);
    QStringList lines;
    for (const FaultMarker& m : index_->faults()) {
      if (std::fabs(x_of(m.t) - help->pos().x()) > 4) continue;
      const Trace& trace = index_->trace();
      const Event& ev = trace.events[static_cast<std::size_t>(m.event)];
      lines << QStringLiteral("%1  %2 %3 %4").arg(format_time_us(m.t), m.node >= 0 ? trace.node_name(m.node) : QString(),
                                                  QLatin1String(kind_name(m.kind)), event_details(trace, ev));
    }
    lines << format_time_us(t_of(help->pos().x()));
    QToolTip::showText(help->globalPos(), lines.join(QLatin1Char('\n')), this);
    return true;
  }
  return QWidget::event(e);
}

TimelineBar::TimelineBar(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(6, 2, 6, 2);
  outer->setSpacing(0);
  auto* row = new QHBoxLayout;
  auto button = [&](QStyle::StandardPixmap icon, const QString& tip) {
    auto* b = new QToolButton(this);
    b->setIcon(style()->standardIcon(icon));
    b->setToolTip(tip);
    b->setMinimumWidth(34);
    row->addWidget(b);
    return b;
  };
  QToolButton* prev = button(QStyle::SP_MediaSkipBackward, tr("Previous event in the event log's filter (Left)"));
  play_ = button(QStyle::SP_MediaPlay, tr("Play / pause (Space)"));
  QToolButton* next = button(QStyle::SP_MediaSkipForward, tr("Next event in the event log's filter (Right)"));
  row->addSpacing(8);
  row->addWidget(new QLabel(tr("speed"), this));
  speed_ = new QComboBox(this);
  for (const char* s : {"0.01x", "0.05x", "0.1x", "0.25x", "0.5x", "1x", "2x", "5x", "10x", "50x", "200x", "1000x"}) speed_->addItem(QString::fromLatin1(s));
  speed_->setCurrentText(QStringLiteral("1x"));
  speed_->setToolTip(tr("Trace seconds per wall-clock second"));
  row->addWidget(speed_);
  row->addSpacing(8);
  row->addWidget(new QLabel(tr("jump to"), this));
  jump_ = new QLineEdit(this);
  jump_->setPlaceholderText(QStringLiteral("12s, 1500ms"));
  jump_->setMaximumWidth(110);
  row->addWidget(jump_);
  row->addStretch(1);
  auto* key = new QLabel(this);
  key->setTextFormat(Qt::RichText);
  key->setText(QStringLiteral("<span style='color:%1'><b>P</b> partition &nbsp;<b>→</b> one-way cut</span> &nbsp; <span style='color:%2'><b>H</b> heal</span> &nbsp; "
                              "<span style='color:%3'><b>✕</b> crash</span> &nbsp; <span style='color:%4'><b>↑</b> restart &nbsp;<b>▶</b> resume</span> &nbsp; "
                              "<span style='color:%5'><b>‖</b> pause</span> &nbsp;&nbsp;")
                   .arg(colors::kCut.name(), colors::fault(Kind::Heal).name(), colors::fault(Kind::NodeCrash).name(),
                        colors::fault(Kind::NodeRestart).name(), colors::fault(Kind::NodePause).name()));
  row->addWidget(key);
  now_ = new QLabel(this);
  QFont f = now_->font();
  f.setBold(true);
  now_->setFont(f);
  row->addWidget(now_);
  outer->addLayout(row);
  track_ = new TimelineTrack(this);
  outer->addWidget(track_);

  connect(prev, &QToolButton::clicked, this, &TimelineBar::step_previous);
  connect(next, &QToolButton::clicked, this, &TimelineBar::step_next);
  connect(play_, &QToolButton::clicked, this, &TimelineBar::toggle_play);
  connect(track_, &TimelineTrack::seek, this, &TimelineBar::seek);
  connect(speed_, &QComboBox::currentIndexChanged, this, [this] { emit speed_changed(speed()); });
  connect(jump_, &QLineEdit::returnPressed, this, [this] {
    const auto t = parse_duration_us(jump_->text());
    if (!t) {
      jump_->setStyleSheet(QStringLiteral("background:#ffe3e3"));
      jump_->setToolTip(tr("Not a duration: write e.g. 12s, 1500ms, 2m"));
      return;
    }
    jump_->setStyleSheet(QString());
    emit seek(*t);
  });
}

void TimelineBar::set_index(std::shared_ptr<const TraceIndex> index) {
  end_ = index ? index->end_t() : 0;
  track_->set_index(std::move(index));
  set_time(0);
}

void TimelineBar::set_time(std::int64_t t) {
  track_->set_time(t);
  now_->setText(QStringLiteral("%1 / %2").arg(format_time_us(t), format_time_us(end_)));
}

void TimelineBar::set_playing(bool playing) { play_->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay)); }

double TimelineBar::speed() const {
  QString s = speed_->currentText();
  s.chop(1);
  return s.toDouble();
}

}  // namespace mabeam::viz
