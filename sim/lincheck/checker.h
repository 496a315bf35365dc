// The linearizability checker behind `mabeam lincheck` and the `linearizable` scenario
// check: decides whether a history (history.h) could have come from one register per key
// of its model, each operation taking effect at one instant between its invocation and its
// completion.
//
// A kv history is split per key and each key checked on its own (linearizability is local,
// or P-compositional: a history is linearizable iff each key's is). `fail` operations are
// dropped (they certainly did not happen), as are reads that did not complete `ok` (they
// constrain nothing); `info` and pending operations may take effect at any time after their
// invocation, or never. Each key is decided by search.h.
//
// On a violation the checker shrinks the offending key's operations to a minimal set that
// cannot be ordered (minimize.h) and reports it; the report says so when the budget ended
// the shrinking early.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/lincheck/history.h"

namespace mabeam::lincheck {

struct CheckOptions {
  std::uint64_t steps_max = 0;  // search steps over the whole check, shrinking included; 0: no limit
  // Wall time for the whole check (the command line's --timeout). Scenario checks leave it
  // unset so that their verdict depends on the steps only.
  std::optional<std::chrono::milliseconds> timeout;
  std::size_t cache_bytes_max = std::size_t{1} << 30;  // memory of one search's cache
  bool minimize = true;                                 // shrink a violation to a minimal set
};

enum class Verdict { linearizable, not_linearizable, undecided };
std::string_view verdict_name(Verdict v);  // "linearizable", "not linearizable", "undecided"

struct Violation {
  nlohmann::json key;             // kv: the key; null for a single register
  std::vector<std::size_t> ops;   // indices into History::ops, in invocation order
  // True when shrinking finished: no operation can be dropped from `ops` and leave the rest
  // unorderable (except a write whose value one of the reads returns: see minimize.h).
  // False when the budget stopped it: `ops` still cannot be ordered, but may hold more.
  bool minimal = false;
};

struct CheckReport {
  Verdict verdict = Verdict::undecided;
  std::string undecided_reason;              // which budget ran out, and on which key
  std::optional<Violation> violation;        // the first violating key's (in key order)
  std::vector<nlohmann::json> bad_keys;      // every key found not linearizable, in key order
  std::vector<nlohmann::json> undecided_keys;
  std::size_t keys = 0;                      // registers checked
  std::size_t ops_checked = 0;               // operations given to the search (fails and unfinished reads dropped)
  std::uint64_t steps = 0;
};

CheckReport check_history(const History& h, const CheckOptions& options);

// "write 3", "read -> 3", "read -> null", "cas [1, 2]", "append \"x\""
std::string describe_operation(const Operation& op);
// A time in ns as seconds: "1.5s", "0.000120s".
std::string format_time_ns(std::int64_t ns);
// The report as a person reads it: the verdict line, and for a violation the minimal set
// as a table of process, operation, outcome, invocation and completion (line and time).
std::string format_report(const History& h, const CheckReport& r);
// The violation on one line (for a scenario check's detail).
std::string format_violation_line(const History& h, const Violation& v);

}  // namespace mabeam::lincheck
