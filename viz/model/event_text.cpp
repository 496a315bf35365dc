// Event descriptions; see event_text.h.
#include "viz/model/event_text.h"

#include <QStringList>

namespace mabeam::viz {
namespace {
QString names(const Trace& tr, const std::vector<int>& nodes) {
  QStringList out;
  for (int x : nodes) out << tr.node_name(x);
  return QLatin1Char('{') + out.join(QLatin1Char(',')) + QLatin1Char('}');
}
QString msg_id(const Trace& tr, const Event& e) {
  if (!(e.flags & kHasId)) return QString();
  return e.msg_id >= 0 ? QStringLiteral(" #%1").arg(e.msg_id) : QStringLiteral(" #") + tr.str(static_cast<int>(-1 - e.msg_id));
}
}  // namespace

QString partition_text(const Trace& trace, const PartitionSpec& p) {
  if (p.oneway) return names(trace, p.from) + QStringLiteral(" -/-> ") + names(trace, p.to);
  QStringList groups;
  for (const auto& g : p.groups) groups << names(trace, g);
  return groups.join(QStringLiteral(" | "));
}

QString event_details(const Trace& tr, const Event& e) {
  switch (e.kind) {
    case Kind::MsgSend:
      return QStringLiteral("-> %1 %2%3%4").arg(tr.node_name(e.peer), tr.str(e.str_a), msg_id(tr, e),
                                                 e.num > 0 ? QStringLiteral(" (%1 B)").arg(e.num) : QString());
    case Kind::MsgRecv: return QStringLiteral("<- %1 %2%3").arg(tr.node_name(e.peer), tr.str(e.str_a), msg_id(tr, e));
    case Kind::MsgDrop:
      return QStringLiteral("%1 %2 %3%4 dropped: %5")
          .arg((e.flags & kDropFrom) ? QStringLiteral("<-") : QStringLiteral("->"), tr.node_name(e.peer), tr.str(e.str_a), msg_id(tr, e),
               e.str_b ? tr.str(e.str_b) : QStringLiteral("?"));
    case Kind::Partition:
    case Kind::PartitionOneway: return partition_text(tr, tr.partitions[static_cast<std::size_t>(e.num)]);
    case Kind::Member:
      return QStringLiteral("sees %1 %2 (incarnation %3)").arg(tr.node_name(e.peer), QLatin1String(member_state_name(e.member))).arg(e.num);
    case Kind::Mode: return (e.flags & kReadonly) ? QStringLiteral("read-only (minority)") : QStringLiteral("normal");
    case Kind::VarWrite:
    case Kind::VarRead:
      return QStringLiteral("%1 %2 = %3%4").arg(e.str_c ? tr.str(e.str_c) : QString(), tr.str(e.str_a), tr.str(e.str_b),
                                                 (e.flags & kOk) ? QString() : QStringLiteral("  FAILED"));
    case Kind::Leader: return QStringLiteral("leader for term %1").arg(e.num);
    case Kind::AgentSpawn: return QStringLiteral("agent %1 on %2").arg(tr.str(e.str_a), tr.node_name(e.peer));
    case Kind::AgentMigrateBegin:
    case Kind::AgentMigrateEnd: return QStringLiteral("agent %1: %2 -> %3").arg(tr.str(e.str_a), tr.node_name(e.peer2), tr.node_name(e.peer));
    case Kind::AgentStop: return QStringLiteral("agent %1").arg(tr.str(e.str_a));
    case Kind::Metric: return QStringLiteral("%1 = %2").arg(tr.str(e.str_a)).arg(e.value);
    case Kind::Other: return QStringLiteral("(%1)").arg(tr.str(e.str_a));
    default: return QString();
  }
}

}  // namespace mabeam::viz
