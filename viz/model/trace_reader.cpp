// Trace reader: one JSON object per line, validated field by field so that a bad trace is
// reported as "line N: what was expected, what was found". Unknown kinds and extra fields
// are tolerated, as DESIGN.md asks of every reader. Lines are parsed with JsonLine (fast,
// allocation-free); QJsonDocument is only asked to explain a line JsonLine rejects.
#include "viz/model/trace_reader.h"

#include "viz/model/json_line.h"

#include <QFile>
#include <QJsonDocument>
#include <algorithm>
#include <cmath>
#include <cstring>

namespace mabeam::viz {

QString TraceError::text(const QString& path) const {
  if (line <= 0) return path.isEmpty() ? message : path + QStringLiteral(": ") + message;
  return QStringLiteral("%1:%2: %3").arg(path.isEmpty() ? QStringLiteral("trace") : path).arg(line).arg(message);
}

namespace {

using Type = JsonLine::Type;
constexpr int kNodesMax = 1000;
using Value = JsonLine::Value;

// Thrown only inside this file, caught in read_trace_bytes: keeps the field checks short.
struct LineError {
  QString message;
};

QString type_name(const Value* v) {
  if (!v) return QStringLiteral("nothing");
  switch (v->type) {
    case Type::Null: return QStringLiteral("null");
    case Type::Bool: return QStringLiteral("a boolean");
    case Type::Number: return QStringLiteral("a number");
    case Type::String: return QStringLiteral("a string");
    case Type::Array: return QStringLiteral("an array");
    case Type::Object: return QStringLiteral("an object");
  }
  return QStringLiteral("something else");
}

[[noreturn]] void fail_field(const char* key, const char* expected, const Value* found) {
  throw LineError{QStringLiteral("field \"%1\" must be %2, found %3").arg(QLatin1String(key), QLatin1String(expected), type_name(found))};
}

QString qstr(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }

// Text of any JSON value, for variable values and ids: strings unquoted, the rest as written.
std::string_view value_text(const Value& v) { return v.text; }

std::int64_t to_int(double d) { return std::isfinite(d) && std::fabs(d) < 9.0e18 ? static_cast<std::int64_t>(std::llround(d)) : 0; }

class Reader {
 public:
  explicit Reader(Trace& trace) : trace_(trace) {}

  void header(const JsonLine& j) {
    const Value& o = j.root();
    const Value* trace = j.field(o, "trace");
    if (!trace || trace->type != Type::String || trace->text != "mabeam")
      throw LineError{QStringLiteral("not a mabeam trace header: expected {\"trace\":\"mabeam\",\"version\":1,...} on the first line")};
    const Value* version = j.field(o, "version");
    if (!version || version->type != Type::Number) fail_field("version", "a number", version);
    if (version->number != 1)
      throw LineError{QStringLiteral("unsupported trace version %1 (this viewer reads version 1)").arg(version->number)};
    if (const Value* v = j.field(o, "source"); v && v->type == Type::String) trace_.source = qstr(v->text);
    if (const Value* v = j.field(o, "scenario"); v && v->type == Type::String) trace_.scenario = qstr(v->text);
    if (const Value* seed = j.field(o, "seed"); seed && seed->type == Type::Number) {
      trace_.seed = to_int(seed->number);
      trace_.has_seed = true;
    }
    if (const Value* nodes = j.field(o, "nodes")) {
      if (nodes->type != Type::Array) fail_field("nodes", "an array of node names", nodes);
      for (int i = nodes->first; i >= 0; i = j.at(i).next) {
        if (j.at(i).type != Type::String) fail_field("nodes", "an array of node names", &j.at(i));
        node_index(j.at(i).text);
      }
    }
  }

  void event(const JsonLine& j, int line) {
    const Value& o = j.root();
    Event e;
    e.line = line;
    const Value* t = j.field(o, "t");
    if (!t || t->type != Type::Number) fail_field("t", "a number (microseconds)", t);
    if (!(t->number >= 0.0) || t->number > 9.0e18)
      throw LineError{QStringLiteral("field \"t\" must be a time in microseconds >= 0, found %1").arg(qstr(t->text))};
    e.t = static_cast<std::int64_t>(std::llround(t->number));
    const Value* ev = j.field(o, "ev");
    if (!ev || ev->type != Type::String) fail_field("ev", "a string (the event kind)", ev);
    const Value* node = j.field(o, "node");
    if (!node || node->type != Type::String) fail_field("node", "a string (a node name, \"sim\" or \"*\")", node);
    e.node = (node->text == "sim" || node->text == "*") ? kNoNode : node_index(node->text);
    e.kind = kind_from_name(ev->text);
    switch (e.kind) {
      case Kind::MsgSend:
        e.peer = node_field(j, "to");
        e.str_a = opt_string(j, "type");
        if (const Value* b = j.field(o, "bytes"); b && b->type == Type::Number) e.num = to_int(b->number);
        read_id(j, e);
        break;
      case Kind::MsgRecv:
        e.peer = node_field(j, "from");
        e.str_a = opt_string(j, "type");
        read_id(j, e);
        break;
      case Kind::MsgDrop:
        if (j.field(o, "to")) {
          e.peer = node_field(j, "to");
        } else if (j.field(o, "from")) {
          e.peer = node_field(j, "from");
          e.flags |= kDropFrom;
        }
        e.str_a = opt_string(j, "type");
        e.str_b = opt_string(j, "reason");
        read_id(j, e);
        break;
      case Kind::Partition: e.num = partition(j); break;
      case Kind::PartitionOneway: e.num = oneway(j); break;
      case Kind::Member: {
        e.peer = node_field(j, "subject");
        const Value* s = j.field(o, "state");
        if (!s || s->type != Type::String) fail_field("state", "a string (joining/active/suspect/down/leaving/left)", s);
        e.member = member_state_from_name(s->text);
        if (e.member == MemberState::Unknown)
          throw LineError{QStringLiteral("field \"state\" must be one of joining/active/suspect/down/leaving/left, found \"%1\"").arg(qstr(s->text))};
        if (const Value* inc = j.field(o, "incarnation"); inc && inc->type == Type::Number) e.num = to_int(inc->number);
        break;
      }
      case Kind::Mode: {
        const Value* m = j.field(o, "mode");
        if (!m || m->type != Type::String) fail_field("mode", "a string (normal/readonly)", m);
        if (m->text == "readonly") e.flags |= kReadonly;
        break;
      }
      case Kind::VarWrite:
      case Kind::VarRead: {
        const Value* var = j.field(o, "var");
        if (!var || var->type != Type::String) fail_field("var", "a string (the variable name)", var);
        e.str_a = trace_.strings.intern(var->text);
        const Value* value = j.field(o, "value");
        e.str_b = value ? trace_.strings.intern(value_text(*value)) : 0;
        e.str_c = opt_string(j, "op");
        const Value* ok = j.field(o, "ok");
        if (!ok || (ok->type == Type::Bool && ok->boolean)) e.flags |= kOk;
        break;
      }
      case Kind::Leader: {
        const Value* term = j.field(o, "term");
        if (!term || term->type != Type::Number) fail_field("term", "a number", term);
        e.num = to_int(term->number);
        break;
      }
      case Kind::AgentSpawn:
      case Kind::AgentMigrateBegin:
      case Kind::AgentMigrateEnd:
      case Kind::AgentStop: {
        const Value* agent = j.field(o, "agent");
        if (!agent || (agent->type != Type::String && agent->type != Type::Number)) fail_field("agent", "a string (the agent id)", agent);
        e.str_a = trace_.strings.intern(value_text(*agent));
        e.peer = j.field(o, "to") ? node_field(j, "to") : e.node;
        e.peer2 = j.field(o, "from") ? node_field(j, "from") : e.node;
        break;
      }
      case Kind::Metric: {
        const Value* name = j.field(o, "name");
        if (!name || name->type != Type::String) fail_field("name", "a string (the metric name)", name);
        e.str_a = trace_.strings.intern(name->text);
        if (const Value* v = j.field(o, "value"); v && v->type == Type::Number) e.value = v->number;
        break;
      }
      case Kind::Other: e.str_a = trace_.strings.intern(ev->text); break;
      default: break;
    }
    if (!trace_.events.empty() && e.t < trace_.events.back().t) unsorted_ = true;
    trace_.events.push_back(e);
  }

  void finish() {
    // Nodes left out of every group form one more group (DESIGN.md, scenario format).
    const int n = trace_.node_count();
    for (PartitionSpec& p : trace_.partitions) {
      if (p.oneway) continue;
      std::vector<char> seen(static_cast<std::size_t>(n), 0);
      for (const auto& g : p.groups)
        for (int x : g) seen[static_cast<std::size_t>(x)] = 1;
      std::vector<int> rest;
      for (int i = 0; i < n; ++i)
        if (!seen[static_cast<std::size_t>(i)]) rest.push_back(i);
      if (!rest.empty()) p.groups.push_back(std::move(rest));
    }
    if (unsorted_)
      std::stable_sort(trace_.events.begin(), trace_.events.end(), [](const Event& a, const Event& b) { return a.t < b.t; });
  }

  bool unsorted() const { return unsorted_; }

 private:
  int node_index(std::string_view name) {
    auto it = node_ids_.find(name);
    if (it != node_ids_.end()) return it->second;
    const int id = trace_.node_count();
    // The index keeps a list per (observer, subject) pair: bound the square.
    if (id >= kNodesMax)
      throw LineError{QStringLiteral("more than %1 distinct node names (\"%2\"): this viewer draws up to %1 nodes").arg(kNodesMax).arg(qstr(name))};
    trace_.nodes.push_back(qstr(name));
    node_ids_.emplace(std::string(name), id);
    return id;
  }

  int node_field(const JsonLine& j, const char* key) {
    const Value* v = j.field(j.root(), key);
    if (!v || v->type != Type::String) fail_field(key, "a node name", v);
    return node_index(v->text);
  }

  int opt_string(const JsonLine& j, const char* key) {
    const Value* v = j.field(j.root(), key);
    if (!v || v->type == Type::Null) return 0;
    if (v->type != Type::String) fail_field(key, "a string", v);
    return trace_.strings.intern(v->text);
  }

  void read_id(const JsonLine& j, Event& e) {
    const Value* id = j.field(j.root(), "id");
    if (!id || id->type == Type::Null) return;
    e.flags |= kHasId;
    // Numeric ids map to themselves; others to a negative pool id, so they never collide.
    if (id->type == Type::Number && id->number >= 0) e.msg_id = to_int(id->number);
    else e.msg_id = -1 - trace_.strings.intern(value_text(*id));
  }

  std::vector<int> node_list(const JsonLine& j, const Value* v, const char* key) {
    if (!v || v->type != Type::Array) fail_field(key, "an array of node names", v);
    std::vector<int> out;
    for (int i = v->first; i >= 0; i = j.at(i).next) {
      if (j.at(i).type != Type::String) fail_field(key, "an array of node names", &j.at(i));
      out.push_back(node_index(j.at(i).text));
    }
    return out;
  }

  std::int64_t partition(const JsonLine& j) {
    const Value* groups = j.field(j.root(), "groups");
    if (!groups || groups->type != Type::Array) fail_field("groups", "an array of arrays of node names", groups);
    PartitionSpec p;
    std::vector<char> seen;
    for (int g = groups->first; g >= 0; g = j.at(g).next) {
      std::vector<int> members = node_list(j, &j.at(g), "groups");
      for (int x : members) {
        if (seen.size() <= static_cast<std::size_t>(x)) seen.resize(static_cast<std::size_t>(x) + 1, 0);
        if (seen[static_cast<std::size_t>(x)])
          throw LineError{QStringLiteral("node \"%1\" is in two partition groups").arg(trace_.nodes[static_cast<std::size_t>(x)])};
        seen[static_cast<std::size_t>(x)] = 1;
      }
      if (!members.empty()) p.groups.push_back(std::move(members));
    }
    trace_.partitions.push_back(std::move(p));
    return static_cast<std::int64_t>(trace_.partitions.size() - 1);
  }

  std::int64_t oneway(const JsonLine& j) {
    PartitionSpec p;
    p.oneway = true;
    p.from = node_list(j, j.field(j.root(), "from"), "from");
    p.to = node_list(j, j.field(j.root(), "to"), "to");
    trace_.partitions.push_back(std::move(p));
    return static_cast<std::int64_t>(trace_.partitions.size() - 1);
  }

  Trace& trace_;
  TextIds node_ids_;
  bool unsorted_ = false;
};

// Why a line is not JSON, in QJsonDocument's words (only called on the error path).
QString explain_syntax(const char* a, const char* b) {
  QJsonParseError perr;
  const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(a, static_cast<qsizetype>(b - a)), &perr);
  if (perr.error != QJsonParseError::NoError)
    return QStringLiteral("invalid JSON at column %1: %2").arg(perr.offset + 1).arg(perr.errorString());
  return QStringLiteral("unsupported JSON (a number out of range, or nesting deeper than 64)");
}

}  // namespace

ReadResult read_trace_file(const QString& path) {
  ReadResult r;
  QFile f(path);
  if (!f.exists()) {
    r.error = TraceError{0, QStringLiteral("no such file")};
    return r;
  }
  if (!f.open(QIODevice::ReadOnly)) {
    r.error = TraceError{0, QStringLiteral("cannot open: %1").arg(f.errorString())};
    return r;
  }
  // Map rather than read: a 10^6-event trace is ~150 MB and the reader only walks it once.
  const qint64 size = f.size();
  if (size == 0) return read_trace_bytes(QByteArray(), path);
  uchar* mapped = f.map(0, size);
  if (mapped) {
    const QByteArray view = QByteArray::fromRawData(reinterpret_cast<const char*>(mapped), size);
    r = read_trace_bytes(view, path);
    f.unmap(mapped);
    return r;
  }
  return read_trace_bytes(f.readAll(), path);
}

ReadResult read_trace_bytes(const QByteArray& data, const QString& path) {
  ReadResult r;
  auto trace = std::make_unique<Trace>();
  trace->path = path;
  // About 100 bytes a line: reserve once instead of growing a million times.
  trace->events.reserve(static_cast<std::size_t>(data.size() / 90 + 16));
  Reader reader(*trace);
  JsonLine json;
  const char* p = data.constData();
  const char* end = p + data.size();
  int line = 0;
  bool have_header = false;
  int blank = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* stop = nl ? nl : end;
    ++line;
    const char* a = p;
    const char* b = stop;
    while (a < b && (*a == ' ' || *a == '\t' || *a == '\r')) ++a;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r')) --b;
    p = nl ? nl + 1 : end;
    if (a == b) {
      ++blank;
      continue;
    }
    if (!json.parse(a, b)) {
      r.error = TraceError{line, explain_syntax(a, b)};
      return r;
    }
    if (json.root().type != Type::Object) {
      r.error = TraceError{line, QStringLiteral("expected a JSON object, found %1").arg(type_name(&json.root()))};
      return r;
    }
    try {
      if (!have_header) {
        reader.header(json);
        have_header = true;
      } else {
        reader.event(json, line);
      }
    } catch (const LineError& e) {
      r.error = TraceError{line, e.message};
      return r;
    }
  }
  if (!have_header) {
    r.error = TraceError{line > 0 ? line : 1, QStringLiteral("empty trace: expected a header line {\"trace\":\"mabeam\",\"version\":1,...}")};
    return r;
  }
  reader.finish();
  trace->events.shrink_to_fit();
  if (reader.unsorted()) r.warnings << QStringLiteral("events were not in time order; sorted them by time");
  if (blank > 1) r.warnings << QStringLiteral("%1 blank lines skipped").arg(blank);
  r.trace = std::move(trace);
  r.ok = true;
  return r;
}

}  // namespace mabeam::viz
