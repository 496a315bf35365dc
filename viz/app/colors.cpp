// Colour choices; see colors.h. Status colours follow traffic-light intuition: green is
// healthy, amber is in doubt, red is gone, purple is frozen, grey is out of the cluster.
#include "viz/app/colors.h"

#include <array>

namespace mabeam::viz::colors {

QColor status_fill(NodeStatus s) {
  switch (s) {
    case NodeStatus::Up: return {46, 160, 67};
    case NodeStatus::Joining: return {140, 200, 120};
    case NodeStatus::Suspect: return {240, 173, 0};
    case NodeStatus::Down: return {232, 93, 4};
    case NodeStatus::Left: return {173, 181, 189};
    case NodeStatus::Paused: return {130, 90, 200};
    case NodeStatus::Crashed: return {157, 2, 8};
    case NodeStatus::NotStarted: return {222, 226, 230};
  }
  return Qt::gray;
}

QString status_label(NodeStatus s) { return QString::fromLatin1(node_status_name(s)); }

QColor message(const QString& type) {
  static const std::array<QColor, 8> palette = {QColor(31, 119, 180), QColor(44, 160, 44), QColor(148, 103, 189), QColor(23, 190, 207),
                                                QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34)};
  // A fixed string hash (not qHash, which is seeded per process) keeps colours stable.
  std::uint32_t h = 2166136261u;
  for (QChar c : type) h = (h ^ c.unicode()) * 16777619u;
  return palette[h % palette.size()];
}

QColor fault(Kind k) {
  switch (k) {
    case Kind::NodeCrash: return status_fill(NodeStatus::Crashed);
    case Kind::NodeRestart:
    case Kind::NodeResume: return status_fill(NodeStatus::Up);
    case Kind::NodePause: return status_fill(NodeStatus::Paused);
    case Kind::Partition:
    case Kind::PartitionOneway: return kCut;
    case Kind::Heal: return {0, 140, 120};
    default: return kMuted;
  }
}

}  // namespace mabeam::viz::colors
