// The event log; see event_log.h.
#include "viz/app/event_log.h"

#include "viz/app/colors.h"
#include "viz/model/duration_text.h"
#include "viz/model/event_text.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

namespace mabeam::viz {
namespace {

std::uint32_t bit(Kind k) { return 1u << static_cast<unsigned>(k); }
constexpr std::uint32_t kAllKinds = (1u << kKindCount) - 1;
const std::uint32_t kMessageKinds = bit(Kind::MsgSend) | bit(Kind::MsgRecv);
const std::uint32_t kFaultKinds = bit(Kind::NodeStart) | bit(Kind::NodeCrash) | bit(Kind::NodeRestart) | bit(Kind::NodePause) |
                                  bit(Kind::NodeResume) | bit(Kind::Partition) | bit(Kind::PartitionOneway) | bit(Kind::Heal);
const std::uint32_t kMembershipKinds = bit(Kind::Member) | bit(Kind::Mode) | bit(Kind::Leader);
const std::uint32_t kVarKinds = bit(Kind::VarWrite) | bit(Kind::VarRead);
const std::uint32_t kAgentKinds = bit(Kind::AgentSpawn) | bit(Kind::AgentMigrateBegin) | bit(Kind::AgentMigrateEnd) | bit(Kind::AgentStop);

}  // namespace

void EventTableModel::reset(std::shared_ptr<const TraceIndex> index, std::vector<int> rows) {
  beginResetModel();
  index_ = std::move(index);
  rows_ = std::move(rows);
  endResetModel();
}

int EventTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(rows_.size()); }
int EventTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : 5; }

QVariant EventTableModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* names[] = {"time", "node", "event", "details", "line"};
  return QString::fromLatin1(names[section]);
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const {
  if (!index_ || !index.isValid()) return {};
  const Trace& trace = index_->trace();
  const Event& e = trace.events[static_cast<std::size_t>(rows_[static_cast<std::size_t>(index.row())])];
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case 0: return format_time_us(e.t);
      case 1: return e.node >= 0 ? trace.node_name(e.node) : QStringLiteral("*");
      case 2: return e.kind == Kind::Other ? trace.str(e.str_a) : QString::fromLatin1(kind_name(e.kind));
      case 3: return event_details(trace, e);
      case 4: return e.line;
    }
  }
  if (role == Qt::ForegroundRole && index.column() == 2) {
    if (bit(e.kind) & (kFaultKinds & ~bit(Kind::NodeStart))) return colors::fault(e.kind).darker(110);
    if (e.kind == Kind::MsgDrop) return colors::kCut;
    if (e.kind == Kind::Mode && (e.flags & kReadonly)) return colors::kReadonly.darker(110);
  }
  if (role == Qt::ForegroundRole && index.column() == 3 && (e.kind == Kind::VarWrite || e.kind == Kind::VarRead) && !(e.flags & kOk))
    return colors::kCut;
  return {};
}

EventLog::EventLog(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  auto* filters = new QHBoxLayout;
  filters->addWidget(new QLabel(tr("Events  node:"), this));
  node_filter_ = new QComboBox(this);
  node_filter_->setToolTip(tr("Events emitted by this node or about it (plus global ones)"));
  filters->addWidget(node_filter_);
  filters->addWidget(new QLabel(tr("kind:"), this));
  kind_filter_ = new QComboBox(this);
  kind_filter_->setMinimumContentsLength(18);
  filters->addWidget(kind_filter_);
  filters->addStretch(1);
  count_ = new QLabel(this);
  filters->addWidget(count_);
  layout->addLayout(filters);
  model_ = new EventTableModel(this);
  table_ = new QTableView(this);
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->verticalHeader()->setVisible(false);
  // Fixed row heights: the view never measures a million rows.
  table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
  table_->horizontalHeader()->setStretchLastSection(false);
  table_->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
  table_->setColumnWidth(0, 90);
  table_->setColumnWidth(1, 60);
  table_->setColumnWidth(2, 140);
  table_->setColumnWidth(4, 60);
  table_->setAlternatingRowColors(true);
  layout->addWidget(table_, 1);

  connect(node_filter_, &QComboBox::currentIndexChanged, this, [this] { apply_filter(); });
  connect(kind_filter_, &QComboBox::currentIndexChanged, this, [this] { apply_filter(); });
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
    if (syncing_ || !current.isValid() || !index_) return;
    emit event_chosen(index_->trace().events[static_cast<std::size_t>(model_->event_at(current.row()))].t);
  });
}

void EventLog::set_index(std::shared_ptr<const TraceIndex> index) {
  index_ = std::move(index);
  const QSignalBlocker b1(node_filter_), b2(kind_filter_);
  node_filter_->clear();
  kind_filter_->clear();
  node_filter_->addItem(tr("all nodes"), -1);
  if (index_)
    for (int i = 0; i < index_->node_count(); ++i) node_filter_->addItem(index_->trace().node_name(i), i);
  kind_filter_->addItem(tr("all but msg send/recv"), QVariant::fromValue<uint>(kAllKinds & ~kMessageKinds));
  kind_filter_->addItem(tr("all kinds"), QVariant::fromValue<uint>(kAllKinds));
  kind_filter_->addItem(tr("faults & network"), QVariant::fromValue<uint>(kFaultKinds));
  kind_filter_->addItem(tr("membership, mode, leader"), QVariant::fromValue<uint>(kMembershipKinds));
  kind_filter_->addItem(tr("variables"), QVariant::fromValue<uint>(kVarKinds));
  kind_filter_->addItem(tr("agents"), QVariant::fromValue<uint>(kAgentKinds));
  if (index_)
    for (int k = 0; k < kKindCount; ++k)
      if (index_->kind_counts()[static_cast<std::size_t>(k)] > 0)
        kind_filter_->addItem(QStringLiteral("%1 (%2)").arg(QLatin1String(kind_name(static_cast<Kind>(k)))).arg(index_->kind_counts()[static_cast<std::size_t>(k)]),
                              QVariant::fromValue<uint>(bit(static_cast<Kind>(k))));
  apply_filter();
}

void EventLog::apply_filter() {
  std::vector<int> rows;
  if (index_) {
    const int node = node_filter_->currentData().toInt();
    const std::uint32_t kinds = kind_filter_->currentData().toUInt();
    const auto& events = index_->trace().events;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      if (!(kinds & bit(e.kind))) continue;
      if (node >= 0 && e.node != node && e.peer != node && e.node != kNoNode) continue;
      rows.push_back(static_cast<int>(i));
    }
  }
  count_->setText(tr("%1 events").arg(rows.size()));
  model_->reset(index_, std::move(rows));
}

void EventLog::set_time(std::int64_t t) {
  if (!index_) return;
  // Several events can share a time: keep the one the user chose if it is at t.
  const QModelIndex current = table_->currentIndex();
  if (current.isValid() && index_->trace().events[static_cast<std::size_t>(model_->event_at(current.row()))].t == t) return;
  const int last = index_->last_event_at_or_before(t);
  const auto& rows = model_->rows();
  const auto it = std::upper_bound(rows.begin(), rows.end(), last);
  if (it == rows.begin()) {
    table_->clearSelection();
    return;
  }
  const int row = static_cast<int>(it - rows.begin()) - 1;
  if (table_->currentIndex().row() == row) return;
  syncing_ = true;
  table_->setCurrentIndex(model_->index(row, 0));
  table_->scrollTo(model_->index(row, 0), QAbstractItemView::PositionAtCenter);
  syncing_ = false;
}

std::int64_t EventLog::previous_time(std::int64_t t) const {
  if (!index_) return t;
  const auto& events = index_->trace().events;
  const auto& rows = model_->rows();
  // First row whose event is at t or later; the one before it is the previous event.
  const auto it = std::partition_point(rows.begin(), rows.end(), [&](int i) { return events[static_cast<std::size_t>(i)].t < t; });
  return it == rows.begin() ? t : events[static_cast<std::size_t>(*(it - 1))].t;
}

std::int64_t EventLog::next_time(std::int64_t t) const {
  if (!index_) return t;
  const auto& events = index_->trace().events;
  const auto& rows = model_->rows();
  const auto it = std::partition_point(rows.begin(), rows.end(), [&](int i) { return events[static_cast<std::size_t>(i)].t <= t; });
  return it == rows.end() ? t : events[static_cast<std::size_t>(*it)].t;
}

}  // namespace mabeam::viz
