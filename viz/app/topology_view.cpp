// Painting of the topology view; see topology_view.h. Layer order, back to front: header,
// partition groups, links and cut links, messages in flight, agents, nodes, legend.
#include "viz/app/topology_view.h"

#include "viz/app/colors.h"
#include "viz/model/duration_text.h"
#include "viz/model/event_text.h"
#include "viz/model/layout.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QToolTip>
#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

namespace mabeam::viz {
namespace {

constexpr std::int64_t kMoveUs = 800'000;  // groups slide apart/together over this much trace time
constexpr int kLegendWidth = 170;
constexpr int kHeaderHeight = 54;

QPointF lerp(QPointF a, QPointF b, double k) { return a + (b - a) * k; }

// A five-pointed star centred on c with outer radius r (the leader mark).
QPainterPath star_path(QPointF c, double r) {
  QPainterPath star;
  for (int k = 0; k < 10; ++k) {
    const double ang = -M_PI / 2 + k * M_PI / 5;
    const double rr = k % 2 == 0 ? r : r * 0.45;
    const QPointF q = c + QPointF(rr * std::cos(ang), rr * std::sin(ang));
    if (k == 0) star.moveTo(q);
    else star.lineTo(q);
  }
  star.closeSubpath();
  return star;
}

QColor with_alpha(QColor c, int a) {
  c.setAlpha(a);
  return c;
}

const std::array<QColor, 4> kGroupTints = {QColor(225, 236, 250), QColor(231, 245, 228), QColor(250, 240, 220), QColor(240, 230, 248)};

}  // namespace

TopologyView::TopologyView(QWidget* parent) : QWidget(parent) {
  setMinimumSize(420, 320);
  setMouseTracking(false);
}

void TopologyView::set_index(std::shared_ptr<const TraceIndex> index) {
  index_ = std::move(index);
  layouts_.clear();
  base_ = index_ ? base_layout(*index_) : std::vector<QPointF>{};
  state_ = ClusterState{};
  selected_ = -1;
  update();
}

void TopologyView::set_state(const ClusterState& state) {
  state_ = state;
  update();
}

void TopologyView::set_selected(int node) {
  selected_ = node;
  update();
}

const std::vector<QPointF>& TopologyView::layout_for(int partition) {
  auto it = layouts_.find(partition);
  if (it != layouts_.end()) return it->second;
  std::vector<QPointF> l = partition < 0 ? base_ : partition_layout(base_, index_->trace().partitions[static_cast<std::size_t>(partition)]);
  return layouts_.emplace(partition, std::move(l)).first->second;
}

std::vector<QPointF> TopologyView::positions() {
  const auto& net = index_->net();
  const NetChange* now = last_at(net, state_.t);
  if (!now) return base_;
  const std::size_t k = static_cast<std::size_t>(now - net.data());
  const std::vector<QPointF>& target = layout_for(now->partition);
  if (k == 0) return target;
  const double a = std::clamp(static_cast<double>(state_.t - now->t) / kMoveUs, 0.0, 1.0);
  if (a >= 1.0) return target;
  const double eased = a * a * (3 - 2 * a);
  const std::vector<QPointF>& from = layout_for(net[k - 1].partition);
  std::vector<QPointF> out(target.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = lerp(from[i], target[i], eased);
  return out;
}

QPointF TopologyView::to_px(QPointF u) const {
  const QRectF area(16, kHeaderHeight + 8, width() - kLegendWidth - 32, height() - kHeaderHeight - 24);
  // Keep circles round: use at most 1.5x more width than height.
  const double w = std::min(area.width(), area.height() * 1.5);
  const double h = area.height();
  const double x0 = area.left() + (area.width() - w) / 2;
  return {x0 + u.x() * w, area.top() + u.y() * h};
}

double TopologyView::node_radius() const {
  const int n = index_ ? index_->node_count() : 1;
  const double side = std::min(width() - kLegendWidth, height() - kHeaderHeight);
  if (n <= kCircleLayoutMax) return std::clamp(side * 0.055, 12.0, 30.0);
  return std::clamp(side * 0.33 / std::sqrt(static_cast<double>(n)), 4.0, 14.0);
}

void TopologyView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  p.fillRect(rect(), colors::kBackground);
  if (!index_) {
    p.setPen(colors::kMuted);
    p.drawText(rect(), Qt::AlignCenter, tr("Open a trace (File > Open, or mabeam-viz TRACE.jsonl)"));
    return;
  }
  std::vector<QPointF> px;
  for (const QPointF& u : positions()) px.push_back(to_px(u));
  last_px_ = px;
  paint_groups(p, px);
  paint_links(p, px);
  paint_messages(p, px);
  paint_agents(p, px);
  paint_nodes(p, px);
  paint_header(p);
  paint_legend(p);
}

void TopologyView::paint_header(QPainter& p) {
  const Trace& trace = index_->trace();
  QFont f = font();
  f.setPointSizeF(f.pointSizeF() * 1.5);
  f.setBold(true);
  p.setFont(f);
  p.setPen(colors::kText);
  p.drawText(QRectF(16, 6, 260, 30), Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("t = %1").arg(format_time_us(state_.t)));
  QFont small = font();
  p.setFont(small);
  p.setPen(colors::kMuted);
  QString where = trace.scenario.isEmpty() ? QStringLiteral("trace") : trace.scenario;
  where += QStringLiteral("  ·  %1").arg(trace.source.isEmpty() ? QStringLiteral("?") : trace.source);
  if (trace.has_seed) where += QStringLiteral("  ·  seed %1").arg(trace.seed);
  where += QStringLiteral("  ·  %1 nodes").arg(trace.node_count());
  p.drawText(QRectF(16, 34, 420, 18), Qt::AlignLeft | Qt::AlignVCenter, where);

  // Network and leader summary, right of the time.
  QString net;
  QColor net_color;
  if (state_.partition >= 0) {
    net = QStringLiteral("PARTITIONED  ") + partition_text(trace, trace.partitions[static_cast<std::size_t>(state_.partition)]);
    net_color = colors::kCut;
  } else if (!state_.oneway.empty()) {
    net = QStringLiteral("ONE-WAY CUT  ") + partition_text(trace, trace.partitions[static_cast<std::size_t>(state_.oneway.back())]);
    net_color = colors::kCut;
  } else {
    net = QStringLiteral("network whole");
    net_color = QColor(0, 130, 90);
  }
  f.setPointSizeF(font().pointSizeF() * 1.1);
  p.setFont(f);
  p.setPen(net_color);
  const double right = width() - kLegendWidth - 16;
  if (QFontMetricsF(f).horizontalAdvance(net) > right - 280 && state_.partition >= 0) {
    // Too many names to list: say how the nodes split instead.
    QStringList sizes;
    for (const auto& g : trace.partitions[static_cast<std::size_t>(state_.partition)].groups) sizes << QString::number(g.size());
    net = QStringLiteral("PARTITIONED  %1 groups: %2 nodes").arg(sizes.size()).arg(sizes.join(QStringLiteral(" | ")));
  }
  net = QFontMetricsF(f).elidedText(net, Qt::ElideRight, right - 280);
  p.drawText(QRectF(280, 6, right - 280, 24), Qt::AlignRight | Qt::AlignVCenter, net);
  p.setFont(small);
  p.setPen(colors::kText);
  QString lead = state_.leader >= 0 ? QStringLiteral("leader: %1 (term %2)").arg(trace.node_name(state_.leader)).arg(state_.leader_term)
                 : state_.leader_term >= 0 ? QStringLiteral("no live leader (last term %1)").arg(state_.leader_term)
                                           : QString();
  QString flight = state_.in_flight_total == 0   ? QStringLiteral("no messages in flight")
                   : state_.in_flight_total == 1 ? QStringLiteral("1 message in flight")
                   : static_cast<int>(state_.in_flight.size()) == state_.in_flight_total
                       ? QStringLiteral("%1 messages in flight").arg(state_.in_flight_total)
                       : QStringLiteral("%1 messages in flight (%2 drawn)").arg(state_.in_flight_total).arg(state_.in_flight.size());
  p.drawText(QRectF(280, 32, right - 280, 20), Qt::AlignRight | Qt::AlignVCenter,
             lead.isEmpty() ? flight : lead + QStringLiteral("   ·   ") + flight);
}

void TopologyView::paint_groups(QPainter& p, const std::vector<QPointF>& px) {
  if (state_.partition < 0) return;
  const Trace& trace = index_->trace();
  const PartitionSpec& spec = trace.partitions[static_cast<std::size_t>(state_.partition)];
  const double r = node_radius();
  const int n = index_->node_count();
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    const auto& members = spec.groups[g];
    QPointF c(0, 0);
    for (int x : members) c += px[static_cast<std::size_t>(x)];
    c /= static_cast<double>(members.size());
    double far = 0;
    for (int x : members) far = std::max(far, QLineF(c, px[static_cast<std::size_t>(x)]).length());
    const double rad = far + r + 26;
    const QColor tint = kGroupTints[g % kGroupTints.size()];
    p.setPen(QPen(tint.darker(135), 1.5, Qt::DashLine));
    p.setBrush(with_alpha(tint, 200));
    p.drawEllipse(c, rad, rad * 0.92);
    const bool majority = static_cast<int>(members.size()) * 2 > n;
    bool all_readonly = true;
    for (int x : members) all_readonly = all_readonly && state_.nodes[static_cast<std::size_t>(x)].readonly;
    QString label = QStringLiteral("%1 %2/%3").arg(majority ? tr("majority") : tr("minority")).arg(members.size()).arg(n);
    if (!majority && all_readonly) label += tr(" · read-only");
    QFont f = font();
    f.setBold(true);
    p.setFont(f);
    p.setPen(majority ? colors::kText : colors::kReadonly.darker(120));
    p.drawText(QRectF(c.x() - 120, c.y() - rad * 0.92 - 20, 240, 18), Qt::AlignCenter, label);
  }
}

void TopologyView::paint_links(QPainter& p, const std::vector<QPointF>& px) {
  const int n = index_->node_count();
  const bool small = n <= kCircleLayoutMax;
  // Traffic on links that are not cut.
  // Busy clusters have a link between almost every pair: draw the busiest ones only, since
  // hundreds of wide translucent lines cost more than the rest of the frame and say little.
  std::vector<const LinkLoad*> links;
  for (const LinkLoad& l : state_.links)
    if (!state_.is_cut(l.a, l.b) && !state_.is_cut(l.b, l.a)) links.push_back(&l);
  const std::size_t kLinksMax = small ? 200 : 80;
  if (links.size() > kLinksMax) {
    std::partial_sort(links.begin(), links.begin() + kLinksMax, links.end(), [](const LinkLoad* x, const LinkLoad* y) {
      return x->count != y->count ? x->count > y->count : std::pair(x->a, x->b) < std::pair(y->a, y->b);
    });
    links.resize(kLinksMax);
  }
  for (const LinkLoad* lp : links) {
    const LinkLoad& l = *lp;
    const double w = 1.0 + std::min(small ? 4.0 : 1.5, std::log2(1.0 + l.count) * 0.8);
    p.setPen(QPen(with_alpha(colors::kLink, std::min(200, 50 + l.count * 12)), w, Qt::SolidLine, Qt::RoundCap));
    p.drawLine(px[static_cast<std::size_t>(l.a)], px[static_cast<std::size_t>(l.b)]);
  }
  if (!state_.any_cut()) return;
  QPen cut_pen(colors::kCut, small ? 2.0 : 1.0, Qt::DashLine, Qt::RoundCap);
  if (small) {
    p.setPen(cut_pen);
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        if (a == b || !state_.is_cut(a, b)) continue;
        const bool both = state_.is_cut(b, a);
        if (both && b < a) continue;  // one line per pair for a two-way cut
        const QPointF pa = px[static_cast<std::size_t>(a)], pb = px[static_cast<std::size_t>(b)];
        p.drawLine(pa, pb);
        if (!both) {
          // One-way: an arrow head at the receiving end.
          const QLineF line(pb, pa);
          const double r = node_radius() + 3;
          const QPointF tip = pb + (pa - pb) * (r / std::max(1.0, line.length()));
          QLineF h1 = QLineF(tip, pa);
          h1.setLength(12);
          QLineF h2 = h1;
          h1.setAngle(h1.angle() + 25);
          h2.setAngle(h2.angle() - 25);
          p.drawLine(h1);
          p.drawLine(h2);
        }
      }
  } else {
    // Many nodes: a wall between the groups instead of every cut pair.
    const Trace& trace = index_->trace();
    if (state_.partition >= 0) {
      const auto& groups = trace.partitions[static_cast<std::size_t>(state_.partition)].groups;
      std::vector<QPointF> centres;
      std::vector<double> radii;
      for (const auto& g : groups) {
        QPointF c(0, 0);
        for (int x : g) c += px[static_cast<std::size_t>(x)];
        c /= static_cast<double>(g.size());
        double far = 0;
        for (int x : g) far = std::max(far, QLineF(c, px[static_cast<std::size_t>(x)]).length());
        centres.push_back(c);
        radii.push_back(far + node_radius() + 26);
      }
      // Between every two groups, a dashed red wall across the line joining them, in the
      // middle of the gap between their outlines, labelled with the number of cut links.
      QFont f = font();
      f.setBold(true);
      p.setFont(f);
      for (std::size_t i = 0; i < centres.size(); ++i)
        for (std::size_t j = i + 1; j < centres.size(); ++j) {
          const QLineF join(centres[i], centres[j]);
          if (join.length() < 1) continue;
          const QPointF dir = (centres[j] - centres[i]) / join.length();
          const double gap = join.length() - radii[i] - radii[j];
          const QPointF mid = centres[i] + dir * (radii[i] + gap / 2);
          const QPointF normal(-dir.y(), dir.x());
          const double half = 0.6 * std::min(radii[i], radii[j]);
          p.setPen(QPen(colors::kCut, 4, Qt::DashLine, Qt::RoundCap));
          p.drawLine(mid - normal * half, mid + normal * half);
          p.setPen(colors::kCut);
          const QPointF label = mid - normal * (half + 10);
          p.drawText(QRectF(label.x() - 70, label.y() - 9, 140, 18), Qt::AlignCenter,
                     QStringLiteral("%1 links cut").arg(groups[i].size() * groups[j].size()));
        }
    }
    // A sample of the cut pairs that tried to talk in the last second, faint.
    p.setPen(QPen(with_alpha(colors::kCut, 60), 1));  // solid: dotted pens are slow to rasterize
    int drawn = 0;
    for (int a = 0; a < n && drawn < 120; ++a)
      for (int b = 0; b < n && drawn < 120; ++b) {
        if (a == b || index_->sends_total(a, b) == 0 || !state_.is_cut(a, b)) continue;
        if (index_->sends_between(a, b, state_.t - 1'000'000, state_.t + 1) == 0) continue;
        p.drawLine(px[static_cast<std::size_t>(a)], px[static_cast<std::size_t>(b)]);
        ++drawn;
      }
  }
}

void TopologyView::paint_messages(QPainter& p, const std::vector<QPointF>& px) {
  const Trace& trace = index_->trace();
  const double rad = std::clamp(node_radius() * 0.2, 3.0, 5.5);
  const double r = node_radius();
  for (const InFlight& m : state_.in_flight) {
    // Travel from the rim of the sender to the rim of the receiver, so no node hides it.
    QPointF a = px[static_cast<std::size_t>(m.from)], b = px[static_cast<std::size_t>(m.to)];
    const double len = QLineF(a, b).length();
    if (len > 2 * r + 1) {
      const QPointF dir = (b - a) / len;
      a += dir * r;
      b -= dir * r;
    }
    if (m.dropped) {
      // A dropped message travels part way and stops with a red cross.
      const QPointF at = lerp(a, b, 0.15 + 0.3 * m.progress);
      p.setPen(QPen(colors::kCut, 2));
      p.drawLine(at + QPointF(-rad, -rad), at + QPointF(rad, rad));
      p.drawLine(at + QPointF(-rad, rad), at + QPointF(rad, -rad));
      continue;
    }
    const QPointF at = lerp(a, b, m.progress);
    const QColor c = colors::message(trace.str(index_->messages()[static_cast<std::size_t>(m.message)].type));
    p.setPen(QPen(Qt::white, 1.2));
    p.setBrush(c);
    p.drawEllipse(at, rad, rad);
  }
}

void TopologyView::paint_agents(QPainter& p, const std::vector<QPointF>& px) {
  if (state_.agents.empty()) return;
  const Trace& trace = index_->trace();
  const double r = node_radius();
  QFont f = font();
  f.setPointSizeF(std::max(6.5, f.pointSizeF() * 0.8));
  p.setFont(f);
  const QFontMetricsF fm(f);
  std::vector<int> stacked(static_cast<std::size_t>(index_->node_count()), 0);
  auto chip = [&](QPointF centre, const QString& name, bool moving) {
    const double w = fm.horizontalAdvance(name) + 10, h = fm.height() + 2;
    const QRectF box(centre.x() - w / 2, centre.y() - h / 2, w, h);
    p.setPen(QPen(colors::kAgent.darker(110), moving ? 1.5 : 1));
    p.setBrush(moving ? QColor(235, 222, 250) : QColor(246, 240, 252));
    p.drawRoundedRect(box, 5, 5);
    p.setPen(colors::kAgent);
    p.drawText(box, Qt::AlignCenter, name);
  };
  for (const AgentPlace& a : state_.agents) {
    const QString name = trace.str(a.agent);
    if (a.migrating && a.from >= 0) {
      const QPointF from = px[static_cast<std::size_t>(a.from)], to = px[static_cast<std::size_t>(a.node)];
      p.setPen(QPen(with_alpha(colors::kAgent, 150), 2, Qt::DotLine));
      p.drawLine(from, to);
      chip(lerp(from, to, a.progress), name + QStringLiteral(" →"), true);
      continue;
    }
    int& k = stacked[static_cast<std::size_t>(a.node)];
    if (k < 4) {
      // Chips stack to the right of the node, below its name.
      const QPointF c = px[static_cast<std::size_t>(a.node)] + QPointF(r + 22, -r * 0.6 + k * (fm.height() + 4));
      chip(c, name, false);
    } else if (k == 4) {
      chip(px[static_cast<std::size_t>(a.node)] + QPointF(r + 22, -r * 0.6 + k * (fm.height() + 4)), QStringLiteral("+more"), false);
    }
    ++k;
  }
}

void TopologyView::paint_nodes(QPainter& p, const std::vector<QPointF>& px) {
  const Trace& trace = index_->trace();
  const double r = node_radius();
  const int n = index_->node_count();
  QFont name_font = font();
  name_font.setBold(true);
  name_font.setPointSizeF(std::clamp(r * 0.5, 6.5, 12.0));
  QFont small = font();
  small.setPointSizeF(std::max(6.5, font().pointSizeF() * 0.85));
  for (int i = 0; i < n; ++i) {
    const NodeState& ns = state_.nodes[static_cast<std::size_t>(i)];
    const QPointF c = px[static_cast<std::size_t>(i)];
    if (ns.readonly) {
      p.setPen(QPen(colors::kReadonly, 3, Qt::DashLine));
      p.setBrush(Qt::NoBrush);
      p.drawEllipse(c, r + 6, r + 6);
    }
    if (i == selected_) {
      p.setPen(QPen(colors::kSelected, 3));
      p.setBrush(Qt::NoBrush);
      p.drawEllipse(c, r + (ns.readonly ? 11 : 6), r + (ns.readonly ? 11 : 6));
    }
    const QColor fill = colors::status_fill(ns.status);
    p.setPen(QPen(fill.darker(150), 1.5));
    p.setBrush(fill);
    p.drawEllipse(c, r, r);
    p.setPen(QPen(Qt::white, std::max(2.0, r * 0.15), Qt::SolidLine, Qt::RoundCap));
    if (ns.status == NodeStatus::Crashed) {
      const double k = r * 0.45;
      p.drawLine(c + QPointF(-k, -k), c + QPointF(k, k));
      p.drawLine(c + QPointF(-k, k), c + QPointF(k, -k));
    } else if (ns.status == NodeStatus::Paused) {
      const double k = r * 0.4;
      p.drawLine(c + QPointF(-k * 0.45, -k), c + QPointF(-k * 0.45, k));
      p.drawLine(c + QPointF(k * 0.45, -k), c + QPointF(k * 0.45, k));
    }
    if (ns.leader) {
      // A gold star on the node's upper left.
      const QPointF s = c + QPointF(-r * 0.85, -r * 0.85);
      const double R = std::max(6.0, r * 0.42);
      const QPainterPath star = star_path(s, R);
      p.setPen(QPen(colors::kLeader.darker(140), 1));
      p.setBrush(colors::kLeader);
      p.drawPath(star);
    }
    // Name inside (large nodes) or beside; status and marks underneath.
    // The name goes inside the node when it fits and nothing is drawn there (crashed and
    // paused nodes carry a symbol), otherwise above it.
    const bool small_node = r < 11;
    const bool symbol = ns.status == NodeStatus::Crashed || ns.status == NodeStatus::Paused;
    if (!small_node || n <= 60) {
      p.setFont(name_font);
      if (small_node || symbol) {
        p.setPen(colors::kText);
        p.drawText(QRectF(c.x() - 50, c.y() - r - 18, 100, 16), Qt::AlignCenter, trace.node_name(i));
      } else {
        const bool light = ns.status == NodeStatus::Left || ns.status == NodeStatus::NotStarted || ns.status == NodeStatus::Joining;
        p.setPen(light ? colors::kText : QColor(Qt::white));
        p.drawText(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r), Qt::AlignCenter, trace.node_name(i));
      }
    }
    QStringList lines;
    if (ns.status != NodeStatus::Up) {
      QString s = colors::status_label(ns.status);
      // Who says so: names when few, a count when many.
      auto by = [&](const std::vector<int>& who) {
        if (who.size() > 3) return QStringLiteral(" (by %1 nodes)").arg(who.size());
        QStringList names;
        for (int o : who) names << trace.node_name(o);
        return QStringLiteral(" (by ") + names.join(QLatin1Char(',')) + QLatin1Char(')');
      };
      if (ns.status == NodeStatus::Down && !ns.seen_down_by.empty()) s += by(ns.seen_down_by);
      else if (ns.status == NodeStatus::Suspect) s += by(ns.seen_suspect_by);
      lines << s;
    }
    if (ns.readonly && n <= kCircleLayoutMax) lines << QStringLiteral("read-only");  // large: the ring and the group say it
    if (ns.leader) lines << QStringLiteral("leader · term %1").arg(ns.claimed_term);
    if (!lines.isEmpty() && (n <= 60 || ns.status != NodeStatus::Up)) {
      p.setFont(small);
      const QFontMetricsF fm(small);
      double y = c.y() + r + (ns.readonly ? 9 : 3);
      for (const QString& line : lines) {
        const double w = fm.horizontalAdvance(line) + 8;
        const QRectF box(c.x() - w / 2, y, w, fm.height() + 1);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(255, 255, 255, 215));
        p.drawRoundedRect(box, 3, 3);
        QColor col = colors::kText;
        if (line.startsWith(QLatin1String("read-only"))) col = colors::kReadonly.darker(115);
        else if (line.startsWith(QLatin1String("leader"))) col = colors::kLeader.darker(150);
        else col = colors::status_fill(ns.status).darker(ns.status == NodeStatus::Suspect ? 150 : 110);
        p.setPen(col);
        p.drawText(box, Qt::AlignCenter, line);
        y += fm.height() + 1;
      }
    }
  }
}

void TopologyView::paint_legend(QPainter& p) {
  const double x = width() - kLegendWidth + 4;
  double y = 12;
  QFont f = font();
  f.setPointSizeF(std::max(7.0, f.pointSizeF() * 0.9));
  p.setFont(f);
  const QFontMetricsF fm(f);
  const double row = fm.height() + 5;
  const QRectF panel(x - 6, 6, kLegendWidth - 4, row * 16 + 12);
  p.setPen(QPen(QColor(222, 226, 230), 1));
  p.setBrush(Qt::white);
  p.drawRoundedRect(panel, 6, 6);
  QFont bold = f;
  bold.setBold(true);
  p.setFont(bold);
  p.setPen(colors::kText);
  p.drawText(QRectF(x + 2, y, kLegendWidth, row), Qt::AlignLeft | Qt::AlignVCenter, tr("Legend"));
  y += row;
  p.setFont(f);
  auto text = [&](const QString& s) {
    p.setPen(colors::kText);
    p.drawText(QRectF(x + 28, y, kLegendWidth - 30, row), Qt::AlignLeft | Qt::AlignVCenter, s);
    y += row;
  };
  for (NodeStatus s : {NodeStatus::Up, NodeStatus::Joining, NodeStatus::Suspect, NodeStatus::Down, NodeStatus::Crashed, NodeStatus::Paused,
                       NodeStatus::Left, NodeStatus::NotStarted}) {
    const QColor c = colors::status_fill(s);
    p.setPen(QPen(c.darker(150), 1));
    p.setBrush(c);
    p.drawEllipse(QPointF(x + 12, y + row / 2), 7, 7);
    text(colors::status_label(s));
  }
  const QPointF mid(x + 12, y + row / 2);
  p.setPen(QPen(colors::kReadonly, 2.5, Qt::DashLine));
  p.setBrush(Qt::NoBrush);
  p.drawEllipse(mid, 8, 8);
  text(tr("read-only (minority)"));
  p.setPen(QPen(colors::kLeader.darker(140), 1));
  p.setBrush(colors::kLeader);
  p.drawPath(star_path(QPointF(x + 12, y + row / 2), 7));
  text(tr("leader (gold star)"));
  p.setPen(QPen(colors::kLink, 3, Qt::SolidLine, Qt::RoundCap));
  p.drawLine(QPointF(x + 2, y + row / 2), QPointF(x + 22, y + row / 2));
  text(tr("link with traffic (1 s)"));
  p.setPen(QPen(colors::kCut, 2, Qt::DashLine));
  p.drawLine(QPointF(x + 2, y + row / 2), QPointF(x + 22, y + row / 2));
  text(tr("cut link (partition)"));
  p.setPen(QPen(colors::message(QStringLiteral("ping")).darker(130), 1));
  p.setBrush(colors::message(QStringLiteral("ping")));
  p.drawEllipse(QPointF(x + 12, y + row / 2), 4, 4);
  text(tr("message in flight"));
  p.setPen(QPen(colors::kCut, 2));
  p.drawLine(QPointF(x + 8, y + row / 2 - 4), QPointF(x + 16, y + row / 2 + 4));
  p.drawLine(QPointF(x + 8, y + row / 2 + 4), QPointF(x + 16, y + row / 2 - 4));
  text(tr("message dropped"));
  p.setPen(QPen(colors::kAgent, 1));
  p.setBrush(QColor(246, 240, 252));
  p.drawRoundedRect(QRectF(x + 3, y + 3, 18, row - 6), 4, 4);
  text(tr("agent (chip)"));
}

int TopologyView::node_at(QPointF pos) const {
  if (!index_ || last_px_.empty()) return -1;
  int best = -1;
  double best_d = node_radius() + 6;
  for (std::size_t i = 0; i < last_px_.size(); ++i) {
    const double d = QLineF(last_px_[i], pos).length();
    if (d < best_d) best_d = d, best = static_cast<int>(i);
  }
  return best;
}

void TopologyView::mousePressEvent(QMouseEvent* e) {
  const int node = node_at(e->position());
  if (node >= 0) emit node_clicked(node);
}

bool TopologyView::event(QEvent* e) {
  if (e->type() != QEvent::ToolTip) return QWidget::event(e);
  auto* help = static_cast<QHelpEvent*>(e);
  const int node = node_at(help->pos());
  if (node < 0 || static_cast<std::size_t>(node) >= state_.nodes.size()) {
    QToolTip::hideText();
    return true;
  }
  const Trace& trace = index_->trace();
  const NodeState& ns = state_.nodes[static_cast<std::size_t>(node)];
  auto names = [&](const std::vector<int>& who) {
    QStringList out;
    for (int o : who) out << trace.node_name(o);
    return out.join(QStringLiteral(", "));
  };
  QStringList lines;
  lines << QStringLiteral("<b>%1</b>: %2 (process %3)").arg(trace.node_name(node).toHtmlEscaped(), colors::status_label(ns.status), QLatin1String(life_name(ns.life)));
  if (ns.readonly) lines << tr("read-only (minority)");
  if (ns.leader) lines << tr("leader, term %1").arg(ns.claimed_term);
  if (ns.group >= 0) lines << tr("partition group %1").arg(ns.group + 1);
  if (!ns.seen_down_by.empty()) lines << tr("marked down by %1").arg(names(ns.seen_down_by));
  if (!ns.seen_suspect_by.empty()) lines << tr("suspected by %1").arg(names(ns.seen_suspect_by));
  if (ns.seen_down_across > 0) lines << tr("marked down by %1 node(s) across the cut").arg(ns.seen_down_across);
  QStringList agents;
  for (const AgentPlace& a : state_.agents)
    if (a.node == node && !a.migrating) agents << trace.str(a.agent);
  if (!agents.isEmpty()) lines << tr("agents: %1").arg(agents.join(QStringLiteral(", ")));
  lines << tr("<i>click to show its view in the node panel</i>");
  QToolTip::showText(help->globalPos(), lines.join(QStringLiteral("<br>")), this);
  return true;
}

}  // namespace mabeam::viz
