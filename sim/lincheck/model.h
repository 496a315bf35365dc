// The sequential specifications the checker (checker.h) replays operations against: a
// register's state is one value, and every model of history.h (register, cas-register, and
// kv's per-key register with append) steps the same way:
//   read v       legal iff the state is v (null: unset)
//   write v      the state becomes v
//   cas [e, n]   legal iff the state is e; the state becomes n
//   append s     legal iff the state is unset or a string; the state becomes state + s
// Values are interned to small integers (ValueId) so a state is a number the checker's
// cache can key on; equal JSON values (by canonical text) share one id.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/lincheck/history.h"

namespace mabeam::lincheck {

using ValueId = std::uint32_t;

class Values {
 public:
  static constexpr ValueId kNull = 0;  // the unset register (and JSON null)

  Values();
  ValueId intern(const nlohmann::json& v);
  const nlohmann::json& value(ValueId id) const { return values_[id]; }
  std::size_t size() const { return values_.size(); }
  // The state after appending `piece` (a string's id) to `state`; nullopt when the state
  // holds something other than a string.
  std::optional<ValueId> append(ValueId state, ValueId piece);

 private:
  std::vector<nlohmann::json> values_;
  std::unordered_map<std::string, ValueId> ids_;          // canonical text -> id (lookups only)
  std::unordered_map<std::uint64_t, ValueId> appended_;  // (state << 32 | piece) -> result
};

// One operation as the search sees it.
struct ModelOp {
  OpKind kind = OpKind::read;
  ValueId a = Values::kNull;  // read: the value read; write/append: the argument; cas: expected
  ValueId b = Values::kNull;  // cas: new
};

// The state after `op` from `state`, or nullopt when the op cannot happen there.
inline std::optional<ValueId> step(Values& values, ValueId state, const ModelOp& op) {
  switch (op.kind) {
    case OpKind::read: return state == op.a ? std::optional<ValueId>(state) : std::nullopt;
    case OpKind::write: return op.a;
    case OpKind::cas: return state == op.a ? std::optional<ValueId>(op.b) : std::nullopt;
    case OpKind::append: return values.append(state, op.a);
  }
  return std::nullopt;
}

}  // namespace mabeam::lincheck
