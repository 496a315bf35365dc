// The checker's driver (checker.h): splits a history per key, runs the search on each,
// shrinks a violation, and writes the report a person reads.
#include "sim/lincheck/checker.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "sim/lincheck/minimize.h"
#include "sim/lincheck/search.h"

namespace mabeam::lincheck {
namespace {

std::string json_text(const nlohmann::json& v) { return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string key_text(const nlohmann::json& key) { return key.is_string() ? key.get<std::string>() : json_text(key); }

SearchOp to_search_op(const Operation& op, Values& values) {
  SearchOp s;
  s.op.kind = op.kind;
  switch (op.kind) {
    case OpKind::read: s.op.a = values.intern(op.read_value); break;
    case OpKind::write:
    case OpKind::append: s.op.a = values.intern(op.value); break;
    case OpKind::cas:
      s.op.a = values.intern(op.value[0]);
      s.op.b = values.intern(op.value[1]);
      break;
  }
  s.call = op.invoke_line;
  s.ret = op.outcome == Outcome::ok ? op.complete_line : kNever;
  return s;
}

// Whether the search needs the operation: failed ones did not happen, and a read that did
// not complete ok returned nothing to check.
bool judged(const Operation& op) {
  if (op.outcome == Outcome::fail) return false;
  return op.kind != OpKind::read || op.outcome == Outcome::ok;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::linearizable: return "linearizable";
    case Verdict::not_linearizable: return "not linearizable";
    case Verdict::undecided: return "undecided";
  }
  return "?";
}

CheckReport check_history(const History& h, const CheckOptions& options) {
  std::optional<Budget::Clock::duration> timeout;
  if (options.timeout) timeout = *options.timeout;
  Budget budget(options.steps_max, timeout, options.cache_bytes_max);
  std::map<std::string, std::vector<std::size_t>> by_key;  // canonical key -> ops, in invocation order
  for (std::size_t i = 0; i < h.ops.size(); ++i) by_key[canonical(h.ops[i].key)].push_back(i);

  CheckReport r;
  for (const auto& [canon, indices] : by_key) {
    const nlohmann::json& key = h.ops[indices.front()].key;
    ++r.keys;
    Values values;
    std::vector<SearchOp> ops;
    std::vector<std::size_t> origin;  // search index -> History::ops index
    for (std::size_t i : indices) {
      if (!judged(h.ops[i])) continue;
      ops.push_back(to_search_op(h.ops[i], values));
      origin.push_back(i);
    }
    r.ops_checked += ops.size();
    SearchStats stats;
    const SearchVerdict v = budget.exhausted() ? SearchVerdict::undecided : search(ops, values, budget, &stats);
    if (v == SearchVerdict::undecided) {
      r.undecided_keys.push_back(key);
      if (r.undecided_reason.empty()) {
        r.undecided_reason = budget.exhausted() ? budget.reason()
                                                : "the search cache outgrew its limit of " +
                                                      std::to_string(options.cache_bytes_max >> 20) + " MiB";
        if (h.model == Model::kv) r.undecided_reason += " (key " + key_text(key) + ")";
      }
      budget.clear_memory_hit();
      continue;
    }
    if (v == SearchVerdict::linearizable) continue;
    r.bad_keys.push_back(key);
    if (r.violation) continue;
    Violation bad;
    bad.key = key;
    if (options.minimize) {
      const Minimized m = minimize(ops, values, budget, stats.furthest_completion);
      for (std::size_t k : m.keep) bad.ops.push_back(origin[k]);
      bad.minimal = m.minimal;
    } else {
      bad.ops = origin;
    }
    r.violation = std::move(bad);
  }
  r.steps = budget.steps();
  if (!r.bad_keys.empty()) r.verdict = Verdict::not_linearizable;
  else if (!r.undecided_keys.empty()) r.verdict = Verdict::undecided;
  else r.verdict = Verdict::linearizable;
  return r;
}

std::string describe_operation(const Operation& op) {
  switch (op.kind) {
    case OpKind::read:
      return op.f + " -> " + (op.outcome == Outcome::ok ? json_text(op.read_value) : std::string("?"));
    case OpKind::write:
    case OpKind::cas:
    case OpKind::append: return op.f + " " + json_text(op.value);
  }
  return op.f;
}

std::string format_time_ns(std::int64_t ns) {
  const bool negative = ns < 0;
  const std::uint64_t a = negative ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  std::string frac = std::to_string(a % 1000000000);
  frac.insert(0, 9 - frac.size(), '0');
  while (frac.size() > 3 && frac.back() == '0') frac.pop_back();
  return (negative ? "-" : "") + std::to_string(a / 1000000000) + "." + frac + "s";
}

namespace {

std::string when(std::size_t line, const std::optional<std::int64_t>& time) {
  return "line " + std::to_string(line) + (time ? " at " + format_time_ns(*time) : "");
}

std::string completion(const Operation& op) {
  if (op.outcome == Outcome::pending) return "never";
  return when(op.complete_line, op.complete_time_ns);
}

std::string skipped_note(const History& h) {
  std::size_t types = 0;
  std::string kinds;
  for (const auto& [type, n] : h.skipped_types) {
    types += n;
    kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " \"" + type + "\"";
  }
  if (h.skipped_foreign_process == 0 && types == 0) return "";
  std::string out = "skipped ";
  if (h.skipped_foreign_process > 0)
    out += plural(h.skipped_foreign_process, "line", "lines") + " of other actors (a string \"process\", e.g. \"nemesis\")";
  if (types > 0) {
    if (h.skipped_foreign_process > 0) out += " and ";
    out += plural(types, "line", "lines") + " of other types (" + kinds + ")";
  }
  return out + "\n";
}

// Why one operation alone cannot be ordered: its value is not the initial null, and no write
// of it could come first.
std::string lone_hint(const Operation& op) {
  if (op.kind == OpKind::read) {
    return "It read " + json_text(op.read_value) + ", but the register starts unset (null) and no operation invoked\n"
           "before this read completed writes " + json_text(op.read_value) + ".\n";
  }
  if (op.kind == OpKind::cas) {
    return "It expected " + json_text(op.value[0]) + ", but the register starts unset (null) and no operation invoked\n"
           "before this cas completed writes " + json_text(op.value[0]) + ".\n";
  }
  return "";
}

std::string keys_list(const std::vector<nlohmann::json>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + key_text(k);
  return out;
}

}  // namespace

std::string format_report(const History& h, const CheckReport& r) {
  std::ostringstream out;
  const HistoryStats s = history_stats(h);
  const std::string what = plural(h.ops.size(), "operation", "operations") + " (" + std::to_string(s.ok) + " ok, " +
                           std::to_string(s.fail) + " fail, " + std::to_string(s.info) + " info, " +
                           std::to_string(s.pending) + " pending) from " + plural(s.processes, "process", "processes") +
                           (h.model == Model::kv ? " on " + plural(s.keys, "key", "keys") : std::string()) + ", model " +
                           std::string(model_name(h.model)) + ", " + std::to_string(r.steps) + " search steps";
  switch (r.verdict) {
    case Verdict::linearizable:
      out << "linearizable: " << what << "\n";
      if (h.ops.empty()) out << "(nothing to judge: the history has no client operations)\n";
      break;
    case Verdict::undecided:
      out << "undecided: " << r.undecided_reason << "; " << what << "\n";
      if (h.model == Model::kv) out << "undecided keys: " << keys_list(r.undecided_keys) << "\n";
      break;
    case Verdict::not_linearizable: {
      out << "not linearizable: " << what << "\n";
      if (h.model == Model::kv) out << "keys not linearizable: " << keys_list(r.bad_keys) << "\n";
      if (!r.undecided_keys.empty()) out << "keys undecided (" << r.undecided_reason << "): " << keys_list(r.undecided_keys) << "\n";
      const Violation& v = *r.violation;
      out << "\n"
          << (v.key.is_null() ? std::string() : "key " + key_text(v.key) + ": ")
          << (v.ops.size() == 1 ? std::string("this operation cannot be ordered")
                                : "these " + std::to_string(v.ops.size()) + " operations cannot be ordered")
          << (v.minimal && v.ops.size() > 1 ? ", a minimal set" : "") << ":\n\n";
      std::vector<std::vector<std::string>> rows{{"process", "operation", "outcome", "invoked", "completed"}};
      for (std::size_t i : v.ops) {
        const Operation& op = h.ops[i];
        rows.push_back({std::to_string(op.process), describe_operation(op), std::string(outcome_name(op.outcome)),
                        when(op.invoke_line, op.invoke_time_ns), completion(op)});
      }
      std::vector<std::size_t> width(rows[0].size(), 0);
      for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
      for (const auto& row : rows) {
        std::string line = " ";
        for (std::size_t c = 0; c < row.size(); ++c) {
          line += " " + row[c];
          if (c + 1 < row.size()) line.append(width[c] - row[c].size() + 1, ' ');
        }
        out << line << "\n";
      }
      out << "\n";
      if (v.ops.size() == 1) {
        out << lone_hint(h.ops[v.ops.front()]);
      } else if (v.minimal) {
        out << "Drop any one of them and the rest can be ordered (or a read loses the write it saw).\n";
      }
      if (!v.minimal) out << "The budget ran out while shrinking: a smaller set may exist.\n";
      out << "An operation that completed before another was invoked takes effect first; an info or\n"
             "pending one takes effect at any time after its invocation, or never.\n";
      break;
    }
  }
  out << skipped_note(h);
  return out.str();
}

std::string format_violation_line(const History& h, const Violation& v) {
  std::string out = plural(v.ops.size(), "operation", "operations") +
                    (v.key.is_null() ? std::string() : " on " + key_text(v.key)) + " cannot be ordered" +
                    (v.minimal ? "" : " (shrinking stopped at the budget)") + ": ";
  bool first = true;
  for (std::size_t i : v.ops) {
    const Operation& op = h.ops[i];
    auto at = [](std::size_t line, const std::optional<std::int64_t>& t) {
      return t ? format_time_ns(*t) : "line " + std::to_string(line);
    };
    out += (first ? "" : "; ") + std::string("process ") + std::to_string(op.process) + " " + describe_operation(op) + " " +
           std::string(outcome_name(op.outcome)) + " [" + at(op.invoke_line, op.invoke_time_ns) + ", " +
           (op.outcome == Outcome::pending ? std::string("never") : at(op.complete_line, op.complete_time_ns)) + "]";
    first = false;
  }
  return out;
}

}  // namespace mabeam::lincheck
