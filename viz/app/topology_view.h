// The topology view: nodes, links that carried traffic recently, messages in flight,
// partitions (groups pulled apart, cut links dashed red), node status colours, read-only
// and leader marks, agent chips, and a legend. It paints one ClusterState; it keeps no
// history, so what it shows at time T depends on T only.
#pragma once
#include "viz/model/cluster_state.h"

#include <QPointF>
#include <QWidget>
#include <map>
#include <memory>
#include <vector>

namespace mabeam::viz {

class TopologyView : public QWidget {
  Q_OBJECT
 public:
  explicit TopologyView(QWidget* parent = nullptr);

  void set_index(std::shared_ptr<const TraceIndex> index);
  void set_state(const ClusterState& state);
  void set_selected(int node);
  QSize sizeHint() const override { return {840, 560}; }
  // Where node `node` was drawn in the last frame (widget coordinates), for hit tests.
  QPointF node_position(int node) const {
    return node >= 0 && static_cast<std::size_t>(node) < last_px_.size() ? last_px_[static_cast<std::size_t>(node)] : QPointF(-1, -1);
  }

 signals:
  void node_clicked(int node);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  bool event(QEvent*) override;  // tooltips: a node's status, views of it, agents

 private:
  int node_at(QPointF pos) const;  // -1 when no node is there
  const std::vector<QPointF>& layout_for(int partition);
  std::vector<QPointF> positions();  // unit-square positions at the current time
  QPointF to_px(QPointF unit) const;
  double node_radius() const;

  void paint_header(class QPainter& p);
  void paint_groups(QPainter& p, const std::vector<QPointF>& px);
  void paint_links(QPainter& p, const std::vector<QPointF>& px);
  void paint_messages(QPainter& p, const std::vector<QPointF>& px);
  void paint_nodes(QPainter& p, const std::vector<QPointF>& px);
  void paint_agents(QPainter& p, const std::vector<QPointF>& px);
  void paint_legend(QPainter& p);

  std::shared_ptr<const TraceIndex> index_;
  ClusterState state_;
  std::vector<QPointF> base_;
  std::map<int, std::vector<QPointF>> layouts_;  // by partition index
  std::vector<QPointF> last_px_;
  int selected_ = -1;
};

}  // namespace mabeam::viz
