// The three forms of `mabeam trace` (trace_convert.h). Each is a single pass (perfetto: two)
// over the records in file order; every map that reaches the output is ordered, so a trace
// always converts to the same bytes. Field names follow docs/trace-format.md; a field that
// is missing or of another type is treated as absent, never as an error: the reader has
// already checked what every record must have (t, node, ev).
#include "sim/trace_convert.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "engine/trace_event.h"
#include "sim/trace_reader.h"

namespace mabeam::sim {
namespace {

using nlohmann::json;

constexpr std::size_t kSectionLines_max = 2000;  // summary lines per timeline section
constexpr std::size_t kFlushBytes = 1 << 20;     // perfetto: hand text to the stream per MiB

// ---- reading fields -----------------------------------------------------------------------

const json* field(const TraceRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it == r.fields.end() ? nullptr : &*it;
}

std::string str_field(const TraceRecord& r, const char* key) {
  const json* v = field(r, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

bool int_field(const TraceRecord& r, const char* key, long long& out) {
  const json* v = field(r, key);
  if (!v || !v->is_number_integer()) return false;
  out = v->get<long long>();
  return true;
}

// A field that names nodes: "n1" or ["n1","n2"].
std::vector<std::string> names_field(const TraceRecord& r, const char* key) {
  std::vector<std::string> out;
  const json* v = field(r, key);
  if (!v) return out;
  if (v->is_string()) out.push_back(v->get<std::string>());
  if (v->is_array()) {
    for (const auto& n : *v) {
      if (n.is_string()) out.push_back(n.get<std::string>());
    }
  }
  return out;
}

std::string dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// A value as a person reads it: strings bare, everything else as JSON.
std::string plain(const json& v) { return v.is_string() ? v.get<std::string>() : dump(v); }

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// The node that sent a message a record is about, and the node it was for. msg_send is
// written by the sender (`to` names the receiver), msg_recv by the receiver (`from`), and
// msg_drop by either, with whichever of `from`/`to` is not the writer.
std::string sender_of(const TraceRecord& r) {
  if (r.ev == "msg_send") return r.node;
  std::string from = str_field(r, "from");
  return from.empty() ? r.node : from;
}
std::string receiver_of(const TraceRecord& r) {
  if (r.ev == "msg_recv") return r.node;
  std::string to = str_field(r, "to");
  return to.empty() ? r.node : to;
}

bool is_fault(const std::string& ev) {
  static const std::set<std::string> kinds = {
      "node_start",        "node_crash", "node_restart",     "node_pause",   "node_resume",
      "node_start_failed", "partition",  "partition_oneway", "heal",         "link",
      "clock_skew",        "disk_fault", "disk_ok",          "fault_ignored", "select"};
  return kinds.count(ev) != 0;
}

// Records about the whole world (partition, heal, link) are written with node "*"; "" is
// accepted as the same.
bool is_world(const std::string& node) { return node.empty() || node == "*"; }

// The cluster's nodes in display order: the header's list, then any other node that writes
// records or is named by a message, sorted. The world ("*") is not a node.
std::vector<std::string> all_nodes(const Trace& trace) {
  std::vector<std::string> out = trace.header.nodes;
  std::set<std::string> known(out.begin(), out.end());
  std::set<std::string> extra;
  auto see = [&](const std::string& n) {
    if (!is_world(n) && !known.count(n)) extra.insert(n);
  };
  for (const auto& r : trace.records) {
    see(r.node);
    if (r.ev == "msg_send" || r.ev == "msg_recv" || r.ev == "msg_drop") {
      see(sender_of(r));
      see(receiver_of(r));
    }
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

// Other fields of a record as "k=v k=v", durations in seconds.
std::string extra_fields(const TraceRecord& r, std::initializer_list<const char*> skip) {
  std::string out;
  if (!r.fields.is_object()) return out;  // a record built by hand may carry no fields
  for (auto it = r.fields.begin(); it != r.fields.end(); ++it) {
    const std::string& k = it.key();
    if (k == "t" || k == "node" || k == "ev") continue;
    if (std::find_if(skip.begin(), skip.end(), [&](const char* s) { return k == s; }) != skip.end()) continue;
    out += ' ';
    out += k;
    out += '=';
    if ((k == "for" || k == "offset" || k == "duration") && it->is_number_integer()) {
      long long v = it->get<long long>();
      out += (v >= 0 && k == "offset" ? "+" : "") + format_seconds(v);
    } else {
      out += plain(*it);
    }
  }
  return out;
}

// ---- summary ------------------------------------------------------------------------------

struct NodeCounts {
  std::size_t events = 0, sent = 0, received = 0, dropped = 0;
  std::map<std::string, std::size_t> drop_reasons;
};

// The groups of a partition record; nodes named in no group form one more group (DESIGN.md,
// scenario format), which the simulator leaves implicit.
std::vector<std::vector<std::string>> partition_groups(const TraceRecord& r, const std::vector<std::string>& nodes) {
  std::vector<std::vector<std::string>> groups;
  std::set<std::string> placed;
  const json* g = field(r, "groups");
  if (g && g->is_array()) {
    for (const auto& group : *g) {
      std::vector<std::string> names;
      if (group.is_array()) {
        for (const auto& n : group) {
          if (n.is_string()) names.push_back(n.get<std::string>());
        }
      }
      placed.insert(names.begin(), names.end());
      groups.push_back(std::move(names));
    }
  }
  std::vector<std::string> rest;
  for (const auto& n : nodes) {
    if (!placed.count(n)) rest.push_back(n);
  }
  if (!rest.empty() && !groups.empty()) groups.push_back(std::move(rest));
  return groups;
}

std::string fault_line(const TraceRecord& r, const std::vector<std::string>& nodes) {
  std::string who = is_world(r.node) ? std::string() : r.node + " ";
  if (r.ev == "partition") {
    std::vector<std::string> groups;
    for (const auto& g : partition_groups(r, nodes)) groups.push_back(join(g, " "));
    return who + "partition " + join(groups, " | ") + extra_fields(r, {"groups"});
  }
  if (r.ev == "partition_oneway") {
    return who + "partition_oneway " + join(names_field(r, "from"), " ") + " -/-> " + join(names_field(r, "to"), " ") +
           extra_fields(r, {"from", "to"});
  }
  if (r.ev == "link") {
    return who + "link " + join(names_field(r, "from"), " ") + " -> " + join(names_field(r, "to"), " ") +
           extra_fields(r, {"from", "to"});
  }
  // node_start -> "n1 start", node_crash -> "n4 crash", ...; others keep their kind.
  std::string what = r.ev.rfind("node_", 0) == 0 ? r.ev.substr(5) : r.ev;
  return who + what + extra_fields(r, {});
}

void section(std::ostream& out, const char* title, const std::vector<std::string>& lines) {
  out << '\n' << title << (lines.empty() ? " none\n" : "\n");
  for (std::size_t i = 0; i < lines.size() && i < kSectionLines_max; ++i) out << "  " << lines[i] << '\n';
  if (lines.size() > kSectionLines_max) out << "  ... and " << (lines.size() - kSectionLines_max) << " more\n";
}

std::string pad_right(std::string s, std::size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}
std::string pad_left(const std::string& s, std::size_t w) {
  return s.size() < w ? std::string(w - s.size(), ' ') + s : s;
}

// member events, condensed: only real changes of an observer's view count, and the changes
// printed at the same millisecond share lines: observers that see the same subjects enter
// the same state get one line ("12.803s n1, n2 see n4, n5 down"), and nodes that mark
// themselves get one ("0.000s n1, n2 see themselves active").
std::vector<std::string> membership_lines(const Trace& trace) {
  struct Change {
    TimeUs t;
    std::string observer, subject, state;
  };
  std::map<std::string, std::map<std::string, std::string>> view;  // observer -> subject -> state
  std::vector<Change> changes;
  for (const auto& r : trace.records) {
    if (r.ev != "member") continue;
    std::string subject = str_field(r, "subject"), state = str_field(r, "state");
    if (subject.empty() || state.empty()) continue;
    std::string& known = view[r.node][subject];
    if (known == state) continue;
    known = state;
    changes.push_back({r.t, r.node, subject, state});
  }

  struct Line {
    std::string state;
    bool self = false;
    std::vector<std::string> observers, subjects;  // in order of first appearance
  };
  auto same_set = [](std::vector<std::string> a, std::vector<std::string> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
  };
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < changes.size();) {
    const TimeUs ms_bucket = changes[i].t / 1000;
    std::size_t j = i;
    while (j < changes.size() && changes[j].t / 1000 == ms_bucket) ++j;
    // First who sees each (subject, state); then subjects seen by the same observers merge.
    std::vector<Line> by_subject;
    for (std::size_t k = i; k < j; ++k) {
      const Change& c = changes[k];
      const bool self = c.observer == c.subject;
      auto it = std::find_if(by_subject.begin(), by_subject.end(), [&](const Line& l) {
        return l.state == c.state && l.self == self && (self || l.subjects.front() == c.subject);
      });
      if (it == by_subject.end()) it = by_subject.insert(by_subject.end(), Line{c.state, self, {}, {c.subject}});
      it->observers.push_back(c.observer);
    }
    std::vector<Line> merged;
    for (auto& l : by_subject) {
      auto it = l.self ? merged.end() : std::find_if(merged.begin(), merged.end(), [&](const Line& m) {
        return !m.self && m.state == l.state && same_set(m.observers, l.observers);
      });
      if (it == merged.end()) {
        merged.push_back(std::move(l));
      } else {
        it->subjects.push_back(l.subjects.front());
      }
    }
    const std::string at = format_seconds(changes[i].t) + " ";
    for (const auto& l : merged) {
      const char* verb = l.observers.size() == 1 ? " sees " : " see ";
      if (l.self) {
        lines.push_back(at + join(l.observers, ", ") + verb + (l.observers.size() == 1 ? "itself " : "themselves ") +
                        l.state);
      } else {
        lines.push_back(at + join(l.observers, ", ") + verb + join(l.subjects, ", ") + " " + l.state);
      }
    }
    i = j;
  }
  return lines;
}

std::vector<std::string> mode_lines(const Trace& trace) {
  std::map<std::string, std::string> mode;  // absent = normal
  std::vector<std::string> lines;
  for (const auto& r : trace.records) {
    if (r.ev != "mode") continue;
    std::string m = str_field(r, "mode");
    if (m.empty()) m = str_field(r, "state");
    if (m.empty()) continue;
    auto it = mode.try_emplace(r.node, "normal").first;
    if (it->second == m) continue;
    it->second = m;
    lines.push_back(format_seconds(r.t) + " " + r.node + " " + m + extra_fields(r, {"mode", "state"}));
  }
  return lines;
}

std::vector<std::string> leader_lines(const Trace& trace) {
  std::map<std::string, std::pair<std::string, long long>> seen;  // observer -> (leader, term)
  std::vector<std::string> lines;
  for (const auto& r : trace.records) {
    if (r.ev != "leader") continue;
    std::string leader = str_field(r, "leader");
    if (leader.empty()) leader = r.node;
    long long term = -1;
    int_field(r, "term", term);
    auto now = std::make_pair(leader, term);
    auto it = seen.find(r.node);
    if (it != seen.end() && it->second == now) continue;
    seen[r.node] = now;
    std::string term_text = term >= 0 ? " (term " + std::to_string(term) + ")" : "";
    if (leader == r.node) {
      lines.push_back(format_seconds(r.t) + " " + r.node + " becomes leader" + term_text);
    } else {
      lines.push_back(format_seconds(r.t) + " " + r.node + " sees leader " + leader + term_text);
    }
  }
  return lines;
}

// ---- perfetto -----------------------------------------------------------------------------

// Which record answers which msg_send: by (sender, receiver, id) when the records carry an
// `id`, else first-in first-out per (sender, receiver, type). A msg_drop consumes its send
// as a msg_recv would, so a later receive is not paired with a message that was lost.
struct MessageMatch {
  std::vector<std::ptrdiff_t> partner;  // per record: the send/recv it pairs with, or -1
  std::vector<bool> dropped;            // per record (a msg_send): a msg_drop consumed it
};

MessageMatch match_messages(const Trace& trace) {
  const auto& recs = trace.records;
  MessageMatch m;
  m.partner.assign(recs.size(), -1);
  m.dropped.assign(recs.size(), false);
  // Lookups only: the order of these maps never reaches the output.
  std::unordered_map<std::string, std::size_t> by_id;
  std::unordered_map<std::string, std::deque<std::size_t>> fifo;
  auto key = [](const TraceRecord& r, const std::string& last) {
    std::string k = sender_of(r);
    k += '\x1f';
    k += receiver_of(r);
    k += '\x1f';
    k += last;
    return k;
  };
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const TraceRecord& r = recs[i];
    const bool send = r.ev == "msg_send", recv = r.ev == "msg_recv", drop = r.ev == "msg_drop";
    if (!send && !recv && !drop) continue;
    const json* id = field(r, "id");
    if (send) {
      if (id) {
        by_id[key(r, dump(*id))] = i;
      } else {
        fifo[key(r, str_field(r, "type"))].push_back(i);
      }
      continue;
    }
    std::ptrdiff_t found = -1;
    if (id) {
      auto it = by_id.find(key(r, dump(*id)));
      if (it != by_id.end()) {
        found = static_cast<std::ptrdiff_t>(it->second);
        by_id.erase(it);
      }
    }
    if (found < 0) {
      auto it = fifo.find(key(r, str_field(r, "type")));
      if (it != fifo.end() && !it->second.empty()) {
        found = static_cast<std::ptrdiff_t>(it->second.front());
        it->second.pop_front();
      }
    }
    if (found < 0) continue;
    if (recv) {
      m.partner[i] = found;
      m.partner[static_cast<std::size_t>(found)] = static_cast<std::ptrdiff_t>(i);
    } else {
      m.dropped[static_cast<std::size_t>(found)] = true;
    }
  }
  return m;
}

class EventWriter {
 public:
  explicit EventWriter(std::ostream& out) : out_(out) { buf_.reserve(kFlushBytes + 4096); }
  // Starts one event object; the caller appends `"key":value` pairs after the leading ones.
  std::string& begin() {
    buf_ += first_ ? "\n" : ",\n";
    first_ = false;
    return buf_;
  }
  void end() {
    if (buf_.size() >= kFlushBytes) flush();
  }
  void flush() {
    out_ << buf_;
    buf_.clear();
  }
  std::string& raw() { return buf_; }

 private:
  std::ostream& out_;
  std::string buf_;
  bool first_ = true;
};

// The record's own fields (all but t/node/ev) as a JSON object, in key order.
void append_args(std::string& b, const TraceRecord& r) {
  b += '{';
  bool first = true;
  if (r.fields.is_object()) {  // a record built by hand may carry no fields
    for (auto it = r.fields.begin(); it != r.fields.end(); ++it) {
      const std::string& k = it.key();
      if (k == "t" || k == "node" || k == "ev") continue;
      if (!first) b += ',';
      first = false;
      append_json_string(b, k);
      b += ':';
      if (it->is_string()) {
        append_json_string(b, it->get_ref<const std::string&>());
      } else {
        b += dump(*it);
      }
    }
  }
  b += '}';
}

// How an instant event is titled on its node's track.
std::string instant_name(const TraceRecord& r) {
  if (r.ev == "member") {
    std::string subject = str_field(r, "subject"), state = str_field(r, "state");
    if (!subject.empty() && !state.empty()) return subject + " " + state;
  }
  if (r.ev == "mode") {
    std::string m = str_field(r, "mode");
    if (!m.empty()) return "mode " + m;
  }
  if (r.ev == "leader") {
    std::string leader = str_field(r, "leader");
    long long term = 0;
    std::string text = "leader " + (leader.empty() ? r.node : leader);
    if (int_field(r, "term", term)) text += " term " + std::to_string(term);
    return text;
  }
  return r.ev;
}

// A 1 µs slice on a node's track: the anchor that a flow arrow starts or ends at.
void marker_slice(EventWriter& w, const std::string& name, const TraceRecord& r, int tid) {
  std::string& b = w.begin();
  b += "{\"name\":";
  append_json_string(b, name);
  b += ",\"cat\":\"msg\",\"ph\":\"X\",\"ts\":";
  b += std::to_string(r.t);
  b += ",\"dur\":1,\"pid\":1,\"tid\":";
  b += std::to_string(tid);
  b += ",\"args\":";
  append_args(b, r);
  b += '}';
  w.end();
}

// ---- dot ----------------------------------------------------------------------------------

// Text inside a DOT double-quoted string.
std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string dot_id(const std::string& s) { return "\"" + dot_escape(s) + "\""; }

}  // namespace

std::string format_seconds(long long t_us) {
  const bool negative = t_us < 0;
  unsigned long long a =
      negative ? 0ULL - static_cast<unsigned long long>(t_us) : static_cast<unsigned long long>(t_us);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%llu.%03llus", negative ? "-" : "", a / 1000000ULL, (a / 1000ULL) % 1000ULL);
  return buf;
}

void write_summary(const Trace& trace, std::ostream& out) {
  const TraceHeader& h = trace.header;
  out << "trace: " << h.source;
  if (h.source == "sim" || h.seed != 0) out << ", seed " << h.seed;
  if (!h.scenario.empty()) out << ", scenario \"" << h.scenario << "\"";
  out << '\n';
  out << "nodes (" << h.nodes.size() << "): " << join(h.nodes, " ") << '\n';
  if (trace.records.empty()) {
    out << "covers: no events\n";
  } else {
    TimeUs first = trace.records.front().t, last = trace.records.back().t;
    out << "covers: " << format_seconds(first) << " to " << format_seconds(last) << " (" << format_seconds(last - first)
        << "), " << trace.records.size() << " events\n";
  }

  const std::vector<std::string> nodes = all_nodes(trace);
  std::map<std::string, std::size_t> kinds;
  std::map<std::string, NodeCounts> per_node;
  std::vector<std::string> faults;
  for (const auto& r : trace.records) {
    ++kinds[r.ev];
    if (!is_world(r.node)) ++per_node[r.node].events;
    if (r.ev == "msg_send") {
      ++per_node[r.node].sent;
    } else if (r.ev == "msg_recv") {
      ++per_node[r.node].received;
    } else if (r.ev == "msg_drop") {
      NodeCounts& c = per_node[sender_of(r)];
      ++c.dropped;
      std::string reason = str_field(r, "reason");
      ++c.drop_reasons[reason.empty() ? "unknown" : reason];
    } else if (is_fault(r.ev)) {
      faults.push_back(format_seconds(r.t) + " " + fault_line(r, nodes));
    }
  }

  out << "\nevents by kind:" << (kinds.empty() ? " none\n" : "\n");
  std::size_t kind_w = 0;
  for (const auto& [k, n] : kinds) kind_w = std::max(kind_w, k.size());
  for (const auto& [k, n] : kinds)
    out << "  " << pad_right(k, kind_w) << "  " << pad_left(std::to_string(n), 9) << '\n';

  // Per-node table: header nodes first (in header order), then others, sorted.
  const std::vector<std::string>& order = nodes;
  std::size_t node_w = 4;
  for (const auto& n : order) node_w = std::max(node_w, n.size());
  out << "\nper node (dropped: messages this node sent that were lost):\n";
  out << "  " << pad_right("node", node_w) << "  " << pad_left("events", 9) << "  " << pad_left("sent", 9) << "  "
      << pad_left("received", 9) << "  " << pad_left("dropped", 9) << '\n';
  for (const auto& n : order) {
    auto it = per_node.find(n);
    const NodeCounts c = it == per_node.end() ? NodeCounts{} : it->second;
    out << "  " << pad_right(n, node_w) << "  " << pad_left(std::to_string(c.events), 9) << "  "
        << pad_left(std::to_string(c.sent), 9) << "  " << pad_left(std::to_string(c.received), 9) << "  "
        << pad_left(std::to_string(c.dropped), 9);
    if (!c.drop_reasons.empty()) {
      std::vector<std::string> reasons;
      for (const auto& [reason, count] : c.drop_reasons) reasons.push_back(reason + " " + std::to_string(count));
      out << "  (" << join(reasons, ", ") << ")";
    }
    out << '\n';
  }

  section(out, "faults:", faults);
  section(out, "membership:", membership_lines(trace));
  section(out, "modes:", mode_lines(trace));
  section(out, "leaders:", leader_lines(trace));
}

void write_perfetto(const Trace& trace, std::ostream& out) {
  const TraceHeader& h = trace.header;
  std::vector<std::string> nodes = all_nodes(trace);
  std::map<std::string, int> tid;
  for (std::size_t i = 0; i < nodes.size(); ++i) tid[nodes[i]] = static_cast<int>(i) + 1;
  // World-level records (no node) get a track of their own after the nodes.
  const int world_tid = static_cast<int>(nodes.size()) + 1;
  bool has_world = false;
  for (const auto& r : trace.records) has_world = has_world || is_world(r.node);
  auto tid_of = [&](const std::string& n) {
    auto it = tid.find(n);
    return it == tid.end() ? world_tid : it->second;
  };

  EventWriter w(out);
  w.raw() += "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"source\":";
  append_json_string(w.raw(), h.source);
  w.raw() += ",\"seed\":" + std::to_string(h.seed) + ",\"scenario\":";
  append_json_string(w.raw(), h.scenario);
  w.raw() += "},\"traceEvents\":[";

  std::string process = "mabeam " + h.source;
  if (h.source == "sim") process += " seed " + std::to_string(h.seed);
  if (!h.scenario.empty()) process += " " + h.scenario;
  {
    std::string& b = w.begin();
    b += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":";
    append_json_string(b, process);
    b += "}}";
  }
  auto thread = [&](int t, const std::string& name) {
    std::string& b = w.begin();
    b += "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(t) + ",\"args\":{\"name\":";
    append_json_string(b, name);
    b += "}}";
    w.begin() += "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(t) +
                 ",\"args\":{\"sort_index\":" + std::to_string(t) + "}}";
  };
  for (const auto& n : nodes) thread(tid[n], n);
  if (has_world) thread(world_tid, "world");

  const MessageMatch match = match_messages(trace);
  for (std::size_t i = 0; i < trace.records.size(); ++i) {
    const TraceRecord& r = trace.records[i];
    const std::string ts = std::to_string(r.t);
    if (r.ev == "msg_send" || r.ev == "msg_recv") {
      const bool send = r.ev == "msg_send";
      const std::string type = str_field(r, "type");
      const std::string label = (send ? "send " : "recv ") + (type.empty() ? std::string("message") : type);
      marker_slice(w, label, r, tid_of(r.node));
      if (match.partner[i] < 0) continue;
      // A matched pair: an async slice spanning the flight and a flow arrow from the send
      // marker to the receive marker. Each half is written after its own marker, so at equal
      // times the marker a flow binds to is already open. The id is the send's record index.
      const std::size_t send_index = send ? i : static_cast<std::size_t>(match.partner[i]);
      const TraceRecord& s = trace.records[send_index];
      const TraceRecord& rr = send ? trace.records[static_cast<std::size_t>(match.partner[i])] : r;
      const std::string id = std::to_string(send_index + 1);
      const std::string tid_here = std::to_string(tid_of(r.node));
      std::string& b = w.begin();
      b += "{\"name\":";
      const std::string flight_type = str_field(s, "type");
      append_json_string(b,
                         (flight_type.empty() ? std::string("message") : flight_type) + " " + s.node + "->" + rr.node);
      b += ",\"cat\":\"msg\",\"ph\":\"";
      b += send ? "b" : "e";
      b += "\",\"id\":" + id + ",\"ts\":" + ts + ",\"pid\":1,\"tid\":" + tid_here;
      if (send) {
        json flight = {{"from", s.node}, {"to", rr.node}, {"type", flight_type}, {"latency_us", rr.t - s.t}};
        if (const json* mid = field(s, "id")) flight["id"] = *mid;
        b += ",\"args\":" + dump(flight);
      }
      b += "}";
      w.begin() += std::string("{\"name\":\"msg\",\"cat\":\"msg\",\"ph\":\"") + (send ? "s\"" : "f\",\"bp\":\"e\"") +
                   ",\"id\":" + id + ",\"ts\":" + ts + ",\"pid\":1,\"tid\":" + tid_here + "}";
      w.end();
      continue;
    }
    if (r.ev == "metric") {
      std::string name = str_field(r, "name");
      const json* v = field(r, "value");
      if (!name.empty() && v && v->is_number()) {
        std::string& b = w.begin();
        b += "{\"name\":";
        append_json_string(b, r.node.empty() ? name : name + " " + r.node);
        b += ",\"ph\":\"C\",\"ts\":" + ts + ",\"pid\":1,\"args\":{\"value\":" + dump(*v) + "}}";
        w.end();
        continue;
      }
    }
    // Everything else, faults and state changes included, is an instant on its node's track.
    std::string& b = w.begin();
    b += "{\"name\":";
    if (r.ev == "msg_drop") {
      const std::string type = str_field(r, "type");
      append_json_string(b, type.empty() ? std::string("drop") : "drop " + type);
    } else {
      append_json_string(b, instant_name(r));
    }
    b += ",\"cat\":";
    append_json_string(b, r.ev);
    b += ",\"ph\":\"i\",\"s\":\"t\",\"ts\":" + ts + ",\"pid\":1,\"tid\":" + std::to_string(tid_of(r.node)) +
         ",\"args\":";
    append_args(b, r);
    b += '}';
    w.end();
  }
  w.raw() += "\n]}\n";
  w.flush();
}

void write_dot(const Trace& trace, std::ostream& out) {
  const TraceHeader& h = trace.header;
  std::vector<std::string> nodes = all_nodes(trace);

  // Final state of each node, the messages per directed pair, and the partition in effect.
  std::map<std::string, std::string> state;  // up, crashed, paused, left
  std::map<std::string, std::string> mode;
  std::map<std::pair<std::string, std::string>, std::size_t> sent, dropped;
  std::vector<std::vector<std::string>> groups;
  std::set<std::pair<std::string, std::string>> cuts;
  std::string leader;
  long long leader_term = -1;
  for (const auto& r : trace.records) {
    const std::string& ev = r.ev;
    if (ev == "node_start" || ev == "node_restart" || ev == "node_resume") {
      state[r.node] = "up";
    } else if (ev == "node_crash") {
      state[r.node] = "crashed";
    } else if (ev == "node_pause") {
      state[r.node] = "paused";
    } else if (ev == "member" && str_field(r, "subject") == r.node && str_field(r, "state") == "left") {
      state[r.node] = "left";
    } else if (ev == "mode") {
      std::string m = str_field(r, "mode");
      if (!m.empty()) mode[r.node] = m;
    } else if (ev == "leader") {
      long long term = -1;
      int_field(r, "term", term);
      if (term >= leader_term) {
        leader_term = term;
        leader = str_field(r, "leader");
        if (leader.empty()) leader = r.node;
      }
    } else if (ev == "msg_send") {
      std::string to = str_field(r, "to");
      if (!to.empty()) ++sent[{r.node, to}];
    } else if (ev == "msg_drop") {
      ++dropped[{sender_of(r), receiver_of(r)}];
    } else if (ev == "partition") {
      groups = partition_groups(r, nodes);
    } else if (ev == "partition_oneway") {
      for (const auto& a : names_field(r, "from")) {
        for (const auto& b : names_field(r, "to")) cuts.insert({a, b});
      }
    } else if (ev == "heal") {
      groups.clear();
      cuts.clear();
    }
  }

  auto node_line = [&](const std::string& n) {
    auto st = state.find(n);
    std::string s = st == state.end() ? "up" : st->second;
    auto md = mode.find(n);
    std::string m = md == mode.end() ? "normal" : md->second;
    std::string colour = "palegreen";
    std::string label = dot_escape(n);
    if (s == "crashed") {
      colour = "red";
      label += "\\ncrashed";
    } else if (s == "paused") {
      colour = "orange";
      label += "\\npaused";
    } else if (s == "left") {
      colour = "lightgrey";
      label += "\\nleft";
    } else if (m != "normal") {
      colour = "gold";
      label += "\\n" + dot_escape(m);
    }
    std::string line = dot_id(n) + " [label=\"" + label + "\" fillcolor=" + colour;
    if (s == "crashed") line += " fontcolor=white";
    if (n == leader) line += " peripheries=2 xlabel=\"leader term " + std::to_string(leader_term) + "\"";
    return line + "];\n";
  };

  out << "// mabeam topology. Directed edges: a -> b carries the messages a sent to b\n"
      << "// (label: sent, and dropped when any were). Node colour is the final state:\n"
      << "// green up, gold readonly, orange paused, red crashed, grey left; a double ring is\n"
      << "// the last leader. Partition groups in effect at the end are clusters; one-way cuts\n"
      << "// are dashed red edges. Render: dot -Tsvg topology.dot -o topology.svg\n";
  std::string title = "mabeam " + h.source;
  if (h.source == "sim") title += " seed " + std::to_string(h.seed);
  if (!h.scenario.empty()) title += " " + h.scenario;
  if (!trace.records.empty()) title += " at " + format_seconds(trace.records.back().t);
  out << "digraph mabeam {\n"
      << "  label=" << dot_id(title) << ";\n"
      << "  labelloc=t;\n"
      << "  node [shape=circle style=filled fontname=\"Helvetica\"];\n"
      << "  edge [fontname=\"Helvetica\" fontsize=10];\n";

  std::set<std::string> in_cluster;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    out << "  subgraph cluster_partition_" << (i + 1) << " {\n"
        << "    label=\"partition group " << (i + 1) << "\";\n"
        << "    style=dashed;\n";
    for (const auto& n : groups[i]) {
      if (in_cluster.insert(n).second) out << "    " << node_line(n);
    }
    out << "  }\n";
  }
  for (const auto& n : nodes) {
    if (!in_cluster.count(n)) out << "  " << node_line(n);
  }

  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& [p, c] : sent) pairs.insert(p);
  for (const auto& [p, c] : dropped) pairs.insert(p);
  std::size_t most = 1;
  for (const auto& [p, c] : sent) most = std::max(most, c);
  for (const auto& p : pairs) {
    if (p.first.empty() || p.second.empty()) continue;
    auto s = sent.find(p);
    auto d = dropped.find(p);
    std::size_t ns = s == sent.end() ? 0 : s->second, nd = d == dropped.end() ? 0 : d->second;
    std::string label = std::to_string(ns);
    if (nd) label += " (" + std::to_string(nd) + " dropped)";
    // Width grows with the share of the busiest pair: 1 to 5 points, one decimal.
    char width[16];
    std::snprintf(width, sizeof width, "%.1f", 1.0 + 4.0 * static_cast<double>(ns) / static_cast<double>(most));
    out << "  " << dot_id(p.first) << " -> " << dot_id(p.second) << " [label=\"" << label << "\" penwidth=" << width
        << " weight=" << (ns + 1) << "];\n";
  }
  for (const auto& [a, b] : cuts) {
    out << "  " << dot_id(a) << " -> " << dot_id(b)
        << " [style=dashed color=red fontcolor=red label=\"cut\" constraint=false];\n";
  }
  out << "}\n";
}

std::string trace_summary(const Trace& trace) {
  std::ostringstream s;
  write_summary(trace, s);
  return s.str();
}

std::string trace_perfetto(const Trace& trace) {
  std::ostringstream s;
  write_perfetto(trace, s);
  return s.str();
}

std::string trace_dot(const Trace& trace) {
  std::ostringstream s;
  write_dot(trace, s);
  return s.str();
}

}  // namespace mabeam::sim
