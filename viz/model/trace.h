// The in-memory form of one mabeam trace (DESIGN.md "Trace format"): the header, the node
// names, and every event in a compact fixed-size record. Strings (message types, variable
// names, values, agent ids) are interned in one pool so an event costs a few dozen bytes and
// a trace of a million events fits comfortably in memory. QtCore only: the viewer's widgets
// and the tests both read this.
#pragma once
#include <QByteArray>
#include <QString>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mabeam::viz {

enum class Kind : std::uint8_t {
  NodeStart,
  NodeCrash,
  NodeRestart,
  NodePause,
  NodeResume,
  MsgSend,
  MsgRecv,
  MsgDrop,
  Partition,
  PartitionOneway,
  Heal,
  Member,
  Mode,
  VarWrite,
  VarRead,
  Leader,
  AgentSpawn,
  AgentMigrateBegin,
  AgentMigrateEnd,
  AgentStop,
  Metric,
  Other,  // a kind this viewer does not know: listed in the log, otherwise ignored
};
inline constexpr int kKindCount = static_cast<int>(Kind::Other) + 1;

// The trace name of a known kind ("node_crash"); Kind::Other yields "other".
const char* kind_name(Kind k);
// The kind for a trace name; Kind::Other for names this viewer does not know.
Kind kind_from_name(std::string_view name);

// Membership states of DESIGN.md, in the order the trace names them.
enum class MemberState : std::uint8_t { Unknown, Joining, Active, Suspect, Down, Leaving, Left };
const char* member_state_name(MemberState s);
MemberState member_state_from_name(std::string_view name);

// A hash map from UTF-8 text to ids that can be searched with a std::string_view, so the
// reader looks names up straight from the line it parses without building a string.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TextIds = std::unordered_map<std::string, int, TextHash, std::equal_to<>>;

// Interned strings. Id 0 is always the empty string.
class StringPool {
 public:
  StringPool() { intern(std::string_view()); }
  int intern(std::string_view utf8) {
    auto it = ids_.find(utf8);
    if (it != ids_.end()) return it->second;
    const int id = static_cast<int>(strings_.size());
    strings_.push_back(QString::fromUtf8(utf8.data(), static_cast<qsizetype>(utf8.size())));
    ids_.emplace(std::string(utf8), id);
    return id;
  }
  int intern(const QString& s) {
    const QByteArray b = s.toUtf8();
    return intern(std::string_view(b.constData(), static_cast<std::size_t>(b.size())));
  }
  int find(const QString& s) const {
    const QByteArray b = s.toUtf8();
    auto it = ids_.find(std::string_view(b.constData(), static_cast<std::size_t>(b.size())));
    return it == ids_.end() ? -1 : it->second;
  }
  const QString& at(int id) const { return strings_[static_cast<std::size_t>(id)]; }
  std::size_t size() const { return strings_.size(); }

 private:
  std::vector<QString> strings_;
  TextIds ids_;
};

inline constexpr int kNoNode = -1;  // a global event ("sim", "*") or an absent node field

// One trace line. Which fields mean what depends on the kind:
//   msg_send: peer = to, str_a = type, num = bytes, msg_id/has_id = id
//   msg_recv: peer = from, str_a = type, msg_id/has_id = id
//   msg_drop: peer = to (or from when `from` was given; flag kDropFrom), str_a = type, str_b = reason
//   partition / partition_oneway: num = index into Trace::partitions
//   member: peer = subject, member = state, num = incarnation
//   mode: flag kReadonly when mode is "readonly"
//   var_write / var_read: str_a = var, str_b = value (compact JSON text), str_c = op, flag kOk
//   leader: num = term
//   agent_*: str_a = agent, peer = target node (`to`, or the node itself), peer2 = `from`
//   metric: str_a = name, value = value
//   other: str_a = the kind's name
struct Event {
  std::int64_t t = 0;  // microseconds since start
  std::int64_t num = 0;
  std::int64_t msg_id = 0;
  double value = 0.0;
  std::int32_t line = 0;  // 1-based line in the file
  std::int32_t node = kNoNode;
  std::int32_t peer = kNoNode;
  std::int32_t peer2 = kNoNode;
  std::int32_t str_a = 0;
  std::int32_t str_b = 0;
  std::int32_t str_c = 0;
  Kind kind = Kind::Other;
  MemberState member = MemberState::Unknown;
  std::uint8_t flags = 0;
};
inline constexpr std::uint8_t kOk = 1;
inline constexpr std::uint8_t kReadonly = 2;
inline constexpr std::uint8_t kHasId = 4;
inline constexpr std::uint8_t kDropFrom = 8;

// A partition as the trace states it: groups of node indices (nodes left out of every group
// are added as one more group by the reader), or for a one-way cut the from and to sets.
struct PartitionSpec {
  bool oneway = false;
  std::vector<std::vector<int>> groups;  // two-way: every node in exactly one group
  std::vector<int> from, to;             // one-way: messages from -> to are cut
};

struct Trace {
  QString source;    // "sim" or "real"
  QString scenario;
  std::int64_t seed = 0;
  bool has_seed = false;
  std::vector<QString> nodes;  // header nodes first, then nodes first seen in events
  std::vector<Event> events;   // in time order (the reader sorts stably if the file is not)
  std::vector<PartitionSpec> partitions;
  StringPool strings;
  QString path;
  std::int64_t end_t() const { return events.empty() ? 0 : events.back().t; }
  const QString& str(int id) const { return strings.at(id); }
  QString node_name(int idx) const {
    return idx >= 0 && static_cast<std::size_t>(idx) < nodes.size() ? nodes[static_cast<std::size_t>(idx)]
                                                                    : QStringLiteral("*");
  }
  int node_count() const { return static_cast<int>(nodes.size()); }
};

}  // namespace mabeam::viz
