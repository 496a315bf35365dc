// Reading and writing histories (history.h): the pairing rules in HistoryBuilder, the JSON
// Lines reader on top of it, and the writer used by `mabeam trace history`.
#include "sim/lincheck/history.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <sstream>

namespace mabeam::lincheck {
namespace {

constexpr std::size_t kFoundChars_max = 60;  // how much of an offending value a message quotes

std::string found(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > kFoundChars_max) {
    s.resize(kFoundChars_max);
    s += "...";
  }
  return s;
}

Status line_error(std::size_t line, const std::string& problem) {
  return Status::invalid("line " + std::to_string(line) + ": " + problem);
}

// An integer that fits in 64 signed bits (JSON allows larger ones).
bool is_int64(const nlohmann::json& v) {
  return v.is_number_integer() &&
         (!v.is_number_unsigned() || v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX));
}

nlohmann::json normalized(const nlohmann::json& v) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
    return v;
  }
  if (v.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : v) out.push_back(normalized(x));
    return out;
  }
  if (v.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = normalized(it.value());
    return out;
  }
  return v;
}

std::string_view model_ops(Model m) {
  switch (m) {
    case Model::register_: return "read, write";
    case Model::cas_register: return "read, write, cas";
    case Model::kv: return "read (get), write (put), append, cas";
  }
  return "";
}

// The operation `f` names under the model, or nullopt.
std::optional<OpKind> kind_of(Model m, std::string_view f) {
  if (f == "read") return OpKind::read;
  if (f == "write") return OpKind::write;
  if (f == "cas" && m != Model::register_) return OpKind::cas;
  if (m == Model::kv) {
    if (f == "get") return OpKind::read;
    if (f == "put") return OpKind::write;
    if (f == "append") return OpKind::append;
  }
  return std::nullopt;
}

std::string process_name(std::int64_t p) { return "process " + std::to_string(p); }

}  // namespace

std::string canonical(const nlohmann::json& v) {
  return normalized(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view model_name(Model m) {
  switch (m) {
    case Model::register_: return "register";
    case Model::cas_register: return "cas-register";
    case Model::kv: return "kv";
  }
  return "?";
}

Result<Model> parse_model(std::string_view name) {
  if (name == "register") return Model::register_;
  if (name == "cas-register") return Model::cas_register;
  if (name == "kv") return Model::kv;
  return Status::invalid("unknown model \"" + std::string(name) + "\": expected register, cas-register or kv");
}

std::string_view op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::read: return "read";
    case OpKind::write: return "write";
    case OpKind::cas: return "cas";
    case OpKind::append: return "append";
  }
  return "?";
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::fail: return "fail";
    case Outcome::info: return "info";
    case Outcome::pending: return "pending";
  }
  return "?";
}

HistoryStats history_stats(const History& h) {
  HistoryStats s;
  std::set<std::int64_t> processes;
  std::set<std::string> keys;
  for (const auto& op : h.ops) {
    processes.insert(op.process);
    keys.insert(canonical(op.key));
    switch (op.outcome) {
      case Outcome::ok: ++s.ok; break;
      case Outcome::fail: ++s.fail; break;
      case Outcome::info: ++s.info; break;
      case Outcome::pending: ++s.pending; break;
    }
  }
  s.processes = processes.size();
  s.keys = keys.size();
  return s;
}

HistoryBuilder::HistoryBuilder(Model model) { history_.model = model; }

Status HistoryBuilder::check_time(std::size_t line, std::optional<std::int64_t> time_ns) {
  if (!time_ns) return Status::ok();
  if (last_time_ && *time_ns < *last_time_) {
    return line_error(line, "\"time\" " + std::to_string(*time_ns) + " is before " + std::to_string(*last_time_) +
                                " at line " + std::to_string(last_time_line_) +
                                ": a history must be in real-time order");
  }
  last_time_ = time_ns;
  last_time_line_ = line;
  return Status::ok();
}

Status HistoryBuilder::invoke(std::size_t line, std::int64_t process, std::string_view f, const nlohmann::json& value,
                              const nlohmann::json& key, std::optional<std::int64_t> time_ns) {
  if (auto s = check_time(line, time_ns); !s) return s;
  if (auto it = ended_info_.find(process); it != ended_info_.end()) {
    return line_error(line, process_name(process) + " invokes " + std::string(f) + " after its operation ended in info at line " +
                                std::to_string(it->second) +
                                ": a process whose operation ended in info issues nothing more (its client goes on "
                                "under a fresh process number)");
  }
  if (auto it = open_.find(process); it != open_.end()) {
    const Operation& prev = history_.ops[it->second];
    return line_error(line, process_name(process) + " invokes " + std::string(f) + " while its " + prev.f +
                                " invoked at line " + std::to_string(prev.invoke_line) +
                                " is still open: a process has at most one operation open");
  }
  const auto kind = kind_of(history_.model, f);
  if (!kind) {
    std::string hint;
    if (f == "cas" && history_.model == Model::register_) hint = " (use --model cas-register)";
    if ((f == "append" || f == "get" || f == "put") && history_.model != Model::kv) hint = " (use --model kv)";
    return line_error(line, "\"f\" must be an operation of model " + std::string(model_name(history_.model)) + " (" +
                                std::string(model_ops(history_.model)) + "), found \"" + std::string(f) + "\"" + hint);
  }
  switch (*kind) {
    case OpKind::read:
      if (!value.is_null()) return line_error(line, "the invocation of a read has \"value\" null, found " + found(value));
      break;
    case OpKind::write: break;
    case OpKind::cas:
      if (!value.is_array() || value.size() != 2) {
        return line_error(line, "the value of a cas must be [expected, new], found " + found(value));
      }
      break;
    case OpKind::append:
      if (!value.is_string()) return line_error(line, "the value of an append must be a string, found " + found(value));
      break;
  }
  if (history_.model == Model::kv) {
    if (!key.is_string() && !key.is_number_integer()) {
      return line_error(line, "model kv needs a \"key\" (a string or an integer) on every operation, found " +
                                  (key.is_null() ? std::string("none") : found(key)));
    }
  } else if (!key.is_null()) {
    return line_error(line, "\"key\" is only for --model kv, found " + found(key));
  }
  Operation op;
  op.process = process;
  op.kind = *kind;
  op.f = std::string(f);
  op.key = key;
  op.value = value;
  op.invoke_line = line;
  op.invoke_time_ns = time_ns;
  open_[process] = history_.ops.size();
  history_.ops.push_back(std::move(op));
  return Status::ok();
}

Status HistoryBuilder::complete(std::size_t line, std::int64_t process, Outcome outcome, std::string_view f,
                                const nlohmann::json& value, std::optional<std::int64_t> time_ns) {
  if (auto s = check_time(line, time_ns); !s) return s;
  const std::string type(outcome_name(outcome));
  auto it = open_.find(process);
  if (it == open_.end()) {
    if (auto ended = ended_info_.find(process); ended != ended_info_.end()) {
      return line_error(line, "a completion (" + type + ") for " + process_name(process) +
                                  ", whose operation already ended in info at line " + std::to_string(ended->second));
    }
    return line_error(line, "a completion (" + type + ") for " + process_name(process) +
                                ", which has no operation open (every completion follows its invocation)");
  }
  Operation& op = history_.ops[it->second];
  if (!f.empty()) {
    const auto kind = kind_of(history_.model, f);
    if (!kind || *kind != op.kind) {
      return line_error(line, "the completion of " + process_name(process) + "'s " + op.f + " (invoked at line " +
                                  std::to_string(op.invoke_line) + ") must have \"f\" \"" + op.f + "\", found \"" +
                                  std::string(f) + "\"");
    }
  }
  if (op.kind == OpKind::read) {
    if (outcome == Outcome::ok) op.read_value = value;
  } else if (!value.is_null() && canonical(value) != canonical(op.value)) {
    return line_error(line, "the completion of " + process_name(process) + "'s " + op.f + " (invoked at line " +
                                std::to_string(op.invoke_line) + " with " + found(op.value) +
                                ") must repeat its value or leave it null, found " + found(value));
  }
  op.outcome = outcome;
  op.complete_line = line;
  op.complete_time_ns = time_ns;
  open_.erase(it);
  if (outcome == Outcome::info) ended_info_[process] = line;
  return Status::ok();
}

History HistoryBuilder::finish() && { return std::move(history_); }

namespace {

// Parses one line; on failure describes the problem.
bool parse_json_line(const std::string& text, nlohmann::json& out, std::string& problem) {
  try {
    out = nlohmann::json::parse(text, nullptr, false);
    if (!out.is_discarded()) return true;
    nlohmann::json again = nlohmann::json::parse(text);  // rare path: for the position
    (void)again;
    problem = "invalid JSON";
  } catch (const nlohmann::json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 13: why".
    const std::string what = e.what();
    const auto at = what.find(", column ");
    const auto colon = at == std::string::npos ? std::string::npos : what.find(": ", at);
    problem = colon == std::string::npos ? "invalid JSON at byte " + std::to_string(e.byte)
                                         : "invalid JSON at column " + what.substr(at + 9, colon - (at + 9)) + ": " +
                                               what.substr(colon + 2);
  } catch (const nlohmann::json::exception&) {
    problem = "invalid JSON (a number out of range?)";
  }
  return false;
}

bool is_blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

Status parse_event(const nlohmann::json& j, std::size_t line, bool first, HistoryBuilder& b) {
  if (!j.is_object()) {
    std::string hint;
    if (first && j.is_array()) hint = " (a history is JSON Lines: one event object per line, not one array)";
    return line_error(line, "an event must be a JSON object {\"process\":..,\"type\":..,\"f\":..,\"value\":..}, found " +
                                found(j) + hint);
  }
  if (first && j.contains("trace") && j["trace"] == "mabeam") {
    return line_error(line, "this is a mabeam trace, not a history: make one with `mabeam trace history TRACE`");
  }
  auto process = j.find("process");
  if (process == j.end()) {
    return line_error(line, "missing \"process\" (an integer for a client, a string such as \"nemesis\" for another actor)");
  }
  if (process->is_string()) {
    b.skip_foreign_process();
    return Status::ok();
  }
  if (!is_int64(*process)) {
    return line_error(line, "\"process\" must be an integer (a client) or a string (another actor, skipped), found " +
                                found(*process));
  }
  auto type = j.find("type");
  if (type == j.end()) return line_error(line, "missing \"type\" (invoke, ok, fail or info)");
  if (!type->is_string()) return line_error(line, "\"type\" must be a string (invoke, ok, fail, info), found " + found(*type));
  const std::string& t = type->get_ref<const std::string&>();
  std::optional<Outcome> outcome;
  if (t == "ok") outcome = Outcome::ok;
  else if (t == "fail") outcome = Outcome::fail;
  else if (t == "info") outcome = Outcome::info;
  else if (t != "invoke") {
    b.skip_type(t);
    return Status::ok();
  }
  auto f = j.find("f");
  if (f == j.end()) return line_error(line, "missing \"f\" (the operation: read, write, cas, ...)");
  if (!f->is_string()) return line_error(line, "\"f\" must be a string, found " + found(*f));
  std::optional<std::int64_t> time_ns;
  if (auto time = j.find("time"); time != j.end()) {
    if (!is_int64(*time)) return line_error(line, "\"time\" must be an integer (nanoseconds), found " + found(*time));
    time_ns = time->get<std::int64_t>();
  }
  const nlohmann::json null;
  auto value = j.find("value");
  auto key = j.find("key");
  const std::string& fname = f->get_ref<const std::string&>();
  const std::int64_t p = process->get<std::int64_t>();
  if (!outcome) {
    if (value == j.end() && fname != "read" && fname != "get") {
      return line_error(line, "missing \"value\": the invocation of " + fname + " needs its argument");
    }
    return b.invoke(line, p, fname, value == j.end() ? null : *value, key == j.end() ? null : *key, time_ns);
  }
  return b.complete(line, p, *outcome, fname, value == j.end() ? null : *value, time_ns);
}

}  // namespace

Result<History> parse_history(std::istream& in, Model model) {
  HistoryBuilder b(model);
  std::string text;
  std::size_t line = 0;
  bool first = true;
  nlohmann::json j;
  std::string problem;
  while (std::getline(in, text)) {
    ++line;
    if (is_blank(text)) continue;
    if (!parse_json_line(text, j, problem)) {
      if (in.eof()) problem += " (the last line has no newline: was the history cut short?)";
      return line_error(line, problem);
    }
    if (auto s = parse_event(j, line, first, b); !s) return s;
    first = false;
  }
  if (in.bad()) return Status::io_error("cannot read the history after line " + std::to_string(line));
  b.set_lines(line);
  return std::move(b).finish();
}

Result<History> parse_history_text(const std::string& text, Model model) {
  std::istringstream in(text);
  return parse_history(in, model);
}

void write_history(const History& h, std::ostream& out) {
  struct Event {
    std::size_t line;
    std::size_t op;
    bool completion;
  };
  std::vector<Event> events;
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    events.push_back({h.ops[i].invoke_line, i, false});
    if (h.ops[i].outcome != Outcome::pending) events.push_back({h.ops[i].complete_line, i, true});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.line < b.line; });
  for (const auto& e : events) {
    const Operation& op = h.ops[e.op];
    nlohmann::ordered_json j;
    j["process"] = op.process;
    j["type"] = e.completion ? std::string(outcome_name(op.outcome)) : "invoke";
    j["f"] = op.f;
    if (h.model == Model::kv) j["key"] = op.key;
    if (op.kind == OpKind::read) j["value"] = e.completion && op.outcome == Outcome::ok ? op.read_value : nlohmann::json();
    else j["value"] = op.value;
    const auto& time = e.completion ? op.complete_time_ns : op.invoke_time_ns;
    if (time) j["time"] = *time;
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
}

}  // namespace mabeam::lincheck
