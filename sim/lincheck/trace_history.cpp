// Building a history from a trace's op_invoke/op_complete events (trace_history.h).
#include "sim/lincheck/trace_history.h"

#include <map>

namespace mabeam::lincheck {
namespace {

std::string found(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 60) + "..." : s;
}

Status line_error(std::size_t line, const std::string& problem) {
  return Status::invalid("line " + std::to_string(line) + ": " + problem);
}

// The op id as a map key: an integer or a string.
Result<std::string> op_id(const nlohmann::json& fields, std::size_t line, const std::string& ev) {
  auto op = fields.find("op");
  if (op == fields.end()) return line_error(line, ev + " needs \"op\" (the operation's id)");
  if (!op->is_number_integer() && !op->is_string()) {
    return line_error(line, ev + ": \"op\" must be an integer or a string, found " + found(*op));
  }
  return canonical(*op);
}

}  // namespace

Result<History> history_from_trace(const sim::Trace& trace, const std::string& var) {
  HistoryBuilder b(var.empty() ? Model::kv : Model::cas_register);
  struct OpState {
    std::size_t invoke_line = 0;
    std::size_t complete_line = 0;  // 0: still open
    bool wanted = false;            // on the variable asked for
    std::int64_t process = 0;
  };
  std::map<std::string, OpState> ops;  // op id -> what was seen of it
  const nlohmann::json null;
  std::size_t line = 1;  // the header
  for (const auto& rec : trace.records) {
    ++line;
    if (rec.ev != "op_invoke" && rec.ev != "op_complete") continue;
    const nlohmann::json& j = rec.fields;
    auto id = op_id(j, line, rec.ev);
    if (!id) return id.status();
    const std::optional<std::int64_t> time_ns = rec.t * 1000;
    auto value = j.find("value");
    if (rec.ev == "op_invoke") {
      auto v = j.find("var");
      if (v == j.end() || !v->is_string()) {
        return line_error(line, "op_invoke needs \"var\" (a string), found " + (v == j.end() ? std::string("none") : found(*v)));
      }
      auto process = j.find("process");
      if (process == j.end() || !process->is_number_integer()) {
        return line_error(line, "op_invoke needs \"process\" (an integer), found " +
                                    (process == j.end() ? std::string("none") : found(*process)));
      }
      auto f = j.find("f");
      if (f == j.end() || !f->is_string()) {
        return line_error(line, "op_invoke needs \"f\" (read, write or cas), found " +
                                    (f == j.end() ? std::string("none") : found(*f)));
      }
      if (auto dup = ops.find(*id); dup != ops.end()) {
        return line_error(line, "op_invoke of op " + *id + " again (first at line " + std::to_string(dup->second.invoke_line) + ")");
      }
      const std::string& name = v->get_ref<const std::string&>();
      OpState& op = ops[*id];
      op.invoke_line = line;
      op.process = process->get<std::int64_t>();
      op.wanted = var.empty() || name == var;
      if (!op.wanted) continue;
      if (auto s = b.invoke(line, op.process, f->get_ref<const std::string&>(), value == j.end() ? null : *value,
                            var.empty() ? nlohmann::json(name) : null, time_ns);
          !s) {
        return s;
      }
      continue;
    }
    auto it = ops.find(*id);
    if (it == ops.end()) return line_error(line, "op_complete of op " + *id + ", which no op_invoke before it started");
    OpState& op = it->second;
    if (op.complete_line != 0) {
      return line_error(line, "op_complete of op " + *id + " again (first at line " + std::to_string(op.complete_line) + ")");
    }
    op.complete_line = line;
    auto type = j.find("type");
    if (type == j.end() || !type->is_string()) {
      return line_error(line, "op_complete needs \"type\" (ok, fail or info), found " +
                                  (type == j.end() ? std::string("none") : found(*type)));
    }
    const std::string& t = type->get_ref<const std::string&>();
    Outcome outcome;
    if (t == "ok") outcome = Outcome::ok;
    else if (t == "fail") outcome = Outcome::fail;
    else if (t == "info") outcome = Outcome::info;
    else return line_error(line, "op_complete: \"type\" must be ok, fail or info, found \"" + t + "\"");
    if (!op.wanted) continue;
    if (auto s = b.complete(line, op.process, outcome, "", value == j.end() ? null : *value, time_ns); !s) return s;
  }
  b.set_lines(line);
  return std::move(b).finish();
}

}  // namespace mabeam::lincheck
