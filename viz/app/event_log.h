// The event log: a table of trace events filtered by node and by kind. The table model is
// virtual (rows are indices into the trace), so a million events cost one int each.
// Choosing a row reports its time; the replay time moving selects the matching row.
// The filtered rows also drive "step to previous/next event".
#pragma once
#include "viz/model/trace_index.h"

#include <QAbstractTableModel>
#include <QWidget>
#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QTableView;

namespace mabeam::viz {

class EventTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  using QAbstractTableModel::QAbstractTableModel;
  void reset(std::shared_ptr<const TraceIndex> index, std::vector<int> rows);
  int event_at(int row) const { return rows_[static_cast<std::size_t>(row)]; }
  const std::vector<int>& rows() const { return rows_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  std::shared_ptr<const TraceIndex> index_;
  std::vector<int> rows_;
};

class EventLog : public QWidget {
  Q_OBJECT
 public:
  explicit EventLog(QWidget* parent = nullptr);
  void set_index(std::shared_ptr<const TraceIndex> index);
  void set_time(std::int64_t t);
  // Times of the filtered events just before / after t (t itself when there is none).
  std::int64_t previous_time(std::int64_t t) const;
  std::int64_t next_time(std::int64_t t) const;

 signals:
  void event_chosen(std::int64_t t);

 private:
  void apply_filter();

  std::shared_ptr<const TraceIndex> index_;
  EventTableModel* model_;
  QTableView* table_;
  QComboBox* node_filter_;
  QComboBox* kind_filter_;
  QLabel* count_;
  bool syncing_ = false;
};

}  // namespace mabeam::viz
