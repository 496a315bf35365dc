// Histories of client operations in Jepsen's conventions (DESIGN.md, "Histories and
// linearizability"), the input of the linearizability checker (checker.h): JSON Lines, one
// event a line, an invocation and a completion (`ok`, `fail` or `info`) per operation, each
// with the client's `process`, the operation `f` and its `value`, optionally `time` (ns) and,
// for the kv model, `key`.
//
// Reading is strict: a line that cannot be understood is an error naming the line, what
// was expected and what was found; lines of other actors (a `process` that is a string,
// such as "nemesis") and of `type`s other than invoke/ok/fail/info are skipped and counted,
// never misread. HistoryBuilder holds the pairing rules, so the file reader and the trace
// reader (trace_history.h) enforce the same ones:
// - a process has at most one operation open at a time;
// - a process whose operation ended in `info` issues nothing more (its client goes on under
//   a fresh process number, as Jepsen's do);
// - a completion names the operation its process has open (the same `f`), and repeats the
//   argument of a write, cas or append (or leaves `value` null);
// - events are in real-time order (a `time` never goes backwards).
#pragma once
#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/status.h"

namespace mabeam::lincheck {

// What a register is and which operations it takes (DESIGN.md):
// - register: read, write;
// - cas_register: read, write, cas [expected, new] (the default);
// - kv: one cas_register per `key`, plus append (a string appended to the key's string),
//   with get/put as synonyms of read/write.
enum class Model { register_, cas_register, kv };

std::string_view model_name(Model m);  // "register", "cas-register", "kv"
Result<Model> parse_model(std::string_view name);

enum class OpKind : std::uint8_t { read, write, cas, append };
std::string_view op_kind_name(OpKind k);

// How an operation ended. `fail`: it certainly did not take effect. `info`: unknown, it may
// take effect at any time after its invocation, or never. `pending`: the history ends
// before its completion, which is treated as `info`.
enum class Outcome : std::uint8_t { ok, fail, info, pending };
std::string_view outcome_name(Outcome o);

struct Operation {
  std::int64_t process = 0;
  OpKind kind = OpKind::read;
  std::string f;  // as written in the input ("put", "get", ...)
  // The key (kv only; null otherwise), as JSON: a string or a number.
  nlohmann::json key;
  // The argument: write/append the value written, cas [expected, new]; null for a read.
  nlohmann::json value;
  // A read's result (ok reads only; null means unset).
  nlohmann::json read_value;
  Outcome outcome = Outcome::pending;
  // Positions in the input: line numbers, increasing with real time. complete_line is 0
  // while pending.
  std::size_t invoke_line = 0, complete_line = 0;
  std::optional<std::int64_t> invoke_time_ns, complete_time_ns;
};

struct History {
  Model model = Model::cas_register;
  std::vector<Operation> ops;  // in invocation order
  std::size_t lines = 0;       // lines read (or trace records looked at)
  std::size_t skipped_foreign_process = 0;              // e.g. "process": "nemesis"
  std::map<std::string, std::size_t> skipped_types;     // unknown `type` -> lines
};

// Counts over a history, for reports.
struct HistoryStats {
  std::size_t ok = 0, fail = 0, info = 0, pending = 0, processes = 0, keys = 0;
};
HistoryStats history_stats(const History& h);

// Applies the pairing rules one event at a time. `line` increases from event to event and
// is what errors name ("line 12: ..."). A completion with an empty `f` takes the
// invocation's (mabeam's op_complete carries none).
class HistoryBuilder {
 public:
  explicit HistoryBuilder(Model model);

  Status invoke(std::size_t line, std::int64_t process, std::string_view f, const nlohmann::json& value,
                const nlohmann::json& key, std::optional<std::int64_t> time_ns);
  Status complete(std::size_t line, std::int64_t process, Outcome outcome, std::string_view f,
                  const nlohmann::json& value, std::optional<std::int64_t> time_ns);
  void skip_foreign_process() { ++history_.skipped_foreign_process; }
  void skip_type(const std::string& type) { ++history_.skipped_types[type]; }
  void set_lines(std::size_t n) { history_.lines = n; }

  History finish() &&;

 private:
  Status check_time(std::size_t line, std::optional<std::int64_t> time_ns);

  History history_;
  std::map<std::int64_t, std::size_t> open_;        // process -> index of its open op
  std::map<std::int64_t, std::size_t> ended_info_;  // process -> line of its info completion
  std::optional<std::int64_t> last_time_;
  std::size_t last_time_line_ = 0;
};

// Reads a JSON Lines history. Errors are "line N: ..." (Status::invalid).
Result<History> parse_history(std::istream& in, Model model);
Result<History> parse_history_text(const std::string& text, Model model);

// Writes a history back as JSON Lines in real-time order (invocations and completions by
// line), with `key` when the model is kv and `time` where known.
void write_history(const History& h, std::ostream& out);

// The canonical text of a JSON value used to compare values and keys: integral floats are
// written as integers, so 3 and 3.0 are the same value.
std::string canonical(const nlohmann::json& v);

}  // namespace mabeam::lincheck
