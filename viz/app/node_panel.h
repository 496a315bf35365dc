// The per-node panel: for the chosen node at the replay time, its life and status, its mode,
// leadership, its membership view (who it thinks is up/suspect/down), its variables and the
// agents it hosts.
#pragma once
#include "viz/model/cluster_state.h"

#include <QStringList>
#include <QWidget>
#include <memory>

class QComboBox;
class QLabel;
class QTreeWidget;

namespace mabeam::viz {

class NodePanel : public QWidget {
  Q_OBJECT
 public:
  explicit NodePanel(QWidget* parent = nullptr);
  void set_index(std::shared_ptr<const TraceIndex> index);
  void set_node(int node);
  void set_state(const ClusterState& state);
  int node() const { return node_; }

 signals:
  void node_chosen(int node);

 private:
  void refresh();

  std::shared_ptr<const TraceIndex> index_;
  ClusterState state_;
  int node_ = -1;
  QComboBox* chooser_;
  QLabel* summary_;
  QTreeWidget* tree_;
  QStringList shown_;  // what the tree shows now, to skip rebuilding identical content
};

}  // namespace mabeam::viz
