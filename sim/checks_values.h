// The value a set of acknowledged writes implies for a variable, per resolution strategy,
// rebuilt from the trace's var_write records alone: what variables_converged expects every
// live replica to hold (all acknowledged writes) and what session_guarantees expects a read
// to return (the acknowledged writes its version vector covers).
// - lww: the write with the greatest hybrid timestamp `hlc` (ties: the writer's name);
// - vector_clock: the maximal writes (no other write of the set had seen them: a later
//   write of the same writer, or one whose `deps` on the variable cover them) as siblings;
// - g_counter / pn_counter: the sum of the increments;
// - or_set: the values of the adds whose `tag` no remove of the set lists in its `tags`;
// - max / min: the greatest / least value;
// - any other name: the merge function registered under it (engine/variables/spec.h),
//   folded over the values in (writer, seq) order.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/trace_reader.h"

namespace mabeam::sim {

// Arrays compare as sets of their elements' texts (or_set values, sibling lists); objects
// member by member, each canonical.
nlohmann::json canonical_value(nlohmann::json v);

struct ImpliedValue {
  bool known = false;    // false: the writes cannot be judged (why says what is missing)
  nlohmann::json value;  // canonical; null for no write at all
  std::string why;       // e.g. "the sum of 3 acknowledged increments"
};

// `writes` are var_write records (ok) of one variable with resolution `resolve` (the
// records' `resolve` field).
ImpliedValue implied_value(const std::string& resolve, const std::vector<const TraceRecord*>& writes);

}  // namespace mabeam::sim
