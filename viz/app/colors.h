// The viewer's colour scheme, in one place so the topology, the legend, the timeline and the
// docs agree: node statuses, read-only, leader, cut links and message types.
#pragma once
#include "viz/model/cluster_state.h"

#include <QColor>
#include <QString>

namespace mabeam::viz::colors {

QColor status_fill(NodeStatus s);
QString status_label(NodeStatus s);  // "up", "suspect", ... for labels and the legend
QColor message(const QString& type);  // stable colour per message type
QColor fault(Kind k);                 // timeline marker colour

inline const QColor kBackground{250, 250, 252};
inline const QColor kText{33, 37, 41};
inline const QColor kMuted{108, 117, 125};
inline const QColor kLink{90, 120, 170};
inline const QColor kCut{214, 40, 40};
inline const QColor kReadonly{230, 126, 0};
inline const QColor kLeader{212, 160, 0};
inline const QColor kSelected{0, 102, 204};
inline const QColor kAgent{86, 61, 124};

}  // namespace mabeam::viz::colors
