// The per-node panel; see node_panel.h.
#include "viz/app/node_panel.h"

#include "viz/app/colors.h"
#include "viz/model/duration_text.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace mabeam::viz {
namespace {

QColor member_color(MemberState s) {
  switch (s) {
    case MemberState::Active: return colors::status_fill(NodeStatus::Up);
    case MemberState::Joining: return colors::status_fill(NodeStatus::Joining);
    case MemberState::Suspect: return colors::status_fill(NodeStatus::Suspect);
    case MemberState::Down: return colors::status_fill(NodeStatus::Down);
    case MemberState::Leaving:
    case MemberState::Left: return colors::status_fill(NodeStatus::Left);
    default: return colors::kMuted;
  }
}

}  // namespace

NodePanel::NodePanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  chooser_ = new QComboBox(this);
  chooser_->setToolTip(tr("The node whose view is shown (or click a node in the topology)"));
  layout->addWidget(chooser_);
  summary_ = new QLabel(this);
  summary_->setTextFormat(Qt::RichText);
  summary_->setWordWrap(true);
  layout->addWidget(summary_);
  tree_ = new QTreeWidget(this);
  tree_->setColumnCount(3);
  tree_->setHeaderLabels({tr("item"), tr("value"), tr("since")});
  tree_->setRootIsDecorated(true);
  tree_->setUniformRowHeights(true);
  tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  tree_->header()->setSectionResizeMode(1, QHeaderView::Stretch);
  tree_->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
  tree_->header()->setStretchLastSection(false);
  layout->addWidget(tree_, 1);
  connect(chooser_, &QComboBox::activated, this, [this](int i) { emit node_chosen(i); });
}

void NodePanel::set_index(std::shared_ptr<const TraceIndex> index) {
  index_ = std::move(index);
  chooser_->clear();
  if (index_)
    for (const QString& n : index_->trace().nodes) chooser_->addItem(n);
  node_ = index_ && index_->node_count() > 0 ? 0 : -1;
  shown_.clear();
  refresh();
}

void NodePanel::set_node(int node) {
  node_ = node;
  chooser_->setCurrentIndex(node);
  refresh();
}

void NodePanel::set_state(const ClusterState& state) {
  state_ = state;
  refresh();
}

void NodePanel::refresh() {
  if (!index_ || node_ < 0 || node_ >= static_cast<int>(state_.nodes.size())) {
    summary_->setText(tr("<i>no node selected</i>"));
    tree_->clear();
    shown_.clear();
    return;
  }
  const Trace& trace = index_->trace();
  const NodeState& ns = state_.nodes[static_cast<std::size_t>(node_)];
  const QColor c = colors::status_fill(ns.status);
  QString html = QStringLiteral("<b style='font-size:large'>%1</b> &nbsp; <span style='background:%2;color:white'>&nbsp;%3&nbsp;</span>")
                     .arg(trace.node_name(node_).toHtmlEscaped(), c.name(), colors::status_label(ns.status));
  html += QStringLiteral(" &nbsp; process %1").arg(QLatin1String(life_name(ns.life)));
  html += ns.readonly ? QStringLiteral(" &nbsp; <b style='color:%1'>read-only</b>").arg(colors::kReadonly.name()) : QStringLiteral(" &nbsp; mode normal");
  if (ns.leader) html += QStringLiteral(" &nbsp; <b style='color:%1'>★ leader, term %2</b>").arg(colors::kLeader.darker(130).name()).arg(ns.claimed_term);
  else if (ns.claimed_term >= 0) html += QStringLiteral(" &nbsp; last led term %1").arg(ns.claimed_term);
  if (ns.group >= 0) html += QStringLiteral("<br>in partition group %1").arg(ns.group + 1);
  summary_->setText(html);

  // Rows as text first: rebuilding the tree only when they change keeps playback cheap and
  // keeps the user's scroll position and expanded sections.
  QStringList rows;
  const auto view = view_at(*index_, node_, state_.t);
  for (const ViewEntry& v : view)
    rows << QStringLiteral("view\t%1\t%2 (inc %3)\t%4").arg(trace.node_name(v.subject), QLatin1String(member_state_name(v.state))).arg(v.incarnation).arg(format_time_us(v.since));
  const auto vars = vars_at(*index_, node_, state_.t);
  for (const VarEntry& v : vars) {
    QString value = v.ok ? trace.str(v.value) : QStringLiteral("(none yet)");
    if (v.last_failed) value += QStringLiteral("   (then failed: %1 at %2)").arg(trace.str(v.failed_value), format_time_us(v.failed_at));
    rows << QStringLiteral("var\t%1\t%2\t%3 %4").arg(trace.str(v.var), value, v.write ? QStringLiteral("write") : QStringLiteral("read"), format_time_us(v.since));
  }
  for (const AgentPlace& a : state_.agents) {
    if (a.node == node_ && !a.migrating) rows << QStringLiteral("agent\t%1\trunning\t").arg(trace.str(a.agent));
    else if (a.migrating && (a.node == node_ || a.from == node_))
      rows << QStringLiteral("agent\t%1\tmigrating %2 -> %3\t").arg(trace.str(a.agent), trace.node_name(a.from), trace.node_name(a.node));
  }
  if (rows == shown_) return;
  shown_ = rows;

  tree_->clear();
  auto* view_item = new QTreeWidgetItem(tree_, {tr("Membership view (%1 nodes)").arg(view.size())});
  auto* var_item = new QTreeWidgetItem(tree_, {tr("Variables (%1)").arg(vars.size())});
  auto* agent_item = new QTreeWidgetItem(tree_, {tr("Agents")});
  int agents = 0;
  for (const QString& row : rows) {
    const QStringList f = row.split(QLatin1Char('\t'));
    QTreeWidgetItem* parent = f[0] == QLatin1String("view") ? view_item : f[0] == QLatin1String("var") ? var_item : agent_item;
    auto* item = new QTreeWidgetItem(parent, {f[1], f[2], f[3]});
    if (parent == view_item) {
      const MemberState s = member_state_from_name(f[2].section(QLatin1Char(' '), 0, 0).toStdString());
      item->setForeground(1, member_color(s).darker(s == MemberState::Suspect ? 140 : 110));
      item->setIcon(1, [&] {
        QPixmap px(10, 10);
        px.fill(member_color(s));
        return QIcon(px);
      }());
    }
    if (parent == agent_item) ++agents;
  }
  agent_item->setText(0, tr("Agents (%1)").arg(agents));
  tree_->expandAll();
}

}  // namespace mabeam::viz
