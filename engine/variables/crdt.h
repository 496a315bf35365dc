// The replicated state of one variable, per resolution strategy, as state-based CRDTs
// (Shapiro et al.): every kind has a merge that is commutative, associative and idempotent,
// so replicas that have seen the same writes hold the same state whatever the order.
// A write travels as a small state (a delta) that the receiver merges in.
//
// - lww: the value with the greatest hybrid logical timestamp (ties: node name).
// - vector_clock: siblings, each a value with the dot (writer, sequence) that wrote it, and
//   a version vector of the writes seen; a sibling survives a merge unless the other side
//   has seen its dot and dropped it. A write made after seeing siblings replaces them.
// - g_counter / pn_counter: per-writer totals (increments and decrements), merged by max.
// - or_set: an add-wins observed-remove set without tombstones (ORSWOT, as in Riak's
//   riak_dt_orswot and the delta-state OR-set of Almeida et al.): each element maps to the
//   dots (writer, sequence) of its live adds, and the state carries a causal context: the
//   dots it has seen, as a version vector plus a cloud of dots beyond it (non-empty only in
//   a one-write delta or a state merged out of order; a replica applying writes in order
//   keeps it empty). A merge keeps a dot held on both sides, or held on one side and not
//   seen by the other; a remove is a delta that has seen the element's observed dots and
//   holds none of them, so nothing of a removed add remains (add wins over a concurrent
//   remove: the remove has not seen the concurrent add's dot). The state is the live
//   elements' dots plus a version vector, however many adds and removes it went through.
// - max / min: the greatest / least integer written.
// - custom: a registered merge function folds the values.
// Values are JSON texts (e.g. `5`, `"a"`); counters and max/min hold integers.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/variables/hlc.h"
#include "engine/variables/spec.h"

namespace mabeam::vars {

using VersionVector = std::map<std::string, std::uint64_t>;  // writer -> writes seen

// True if a covers b (a[k] >= b[k] for every k).
bool covers(const VersionVector& a, const VersionVector& b);
void merge_into(VersionVector& into, const VersionVector& other);
std::string dot_text(const std::string& node, std::uint64_t seq);  // "n1#5"

// One write's identity: its writer and that writer's sequence number for the variable.
struct Dot {
  std::string node;
  std::uint64_t seq = 0;
  friend bool operator<(const Dot& a, const Dot& b) { return std::tie(a.node, a.seq) < std::tie(b.node, b.seq); }
  friend bool operator==(const Dot& a, const Dot& b) { return a.node == b.node && a.seq == b.seq; }
};
// Parses dot_text's form back ("n1#5"); nullopt if it is not one.
std::optional<Dot> parse_dot(const std::string& text);

struct Sibling {
  std::string value;
  std::string node;  // the dot: writer and its sequence number for this variable
  std::uint64_t seq = 0;
  friend bool operator<(const Sibling& a, const Sibling& b) {
    return std::tie(a.node, a.seq, a.value) < std::tie(b.node, b.seq, b.value);
  }
  friend bool operator==(const Sibling& a, const Sibling& b) {
    return a.node == b.node && a.seq == b.seq && a.value == b.value;
  }
};

struct VarState {
  Resolve resolve = Resolve::lww;
  const MergeFn* merge_fn = nullptr;  // custom only

  std::optional<Hlc> lww_ts;  // lww: the winner's timestamp
  std::string value;          // lww, custom: the value; "" = never written
  std::set<Sibling> siblings;  // vector_clock
  // vector_clock: the dots the siblings' writers had seen; or_set: the causal context's
  // version vector (every add and remove seen, per writer a prefix 1..n).
  VersionVector seen;
  std::map<std::string, std::int64_t> plus, minus;  // counters: per-writer totals
  std::map<std::string, std::set<Dot>> elements;     // or_set: element -> its live add dots (never empty)
  std::set<Dot> cloud;                               // or_set: seen dots beyond `seen` (none covered by it)
  std::optional<std::int64_t> extreme;               // max / min

  // Merges another state of the same variable into this one.
  void merge(const VarState& other);
  // The value a read returns, as JSON text: `null` when never written; vector_clock with
  // several siblings: {"siblings":[...]} (sorted); or_set: a sorted array.
  std::string value_text() const;
  // The or_set tags (dot texts) of an element's live adds: what a remove observes.
  std::vector<std::string> tags_of(const std::string& element) const;
  // or_set: whether the causal context has seen a dot.
  bool has_seen(const Dot& d) const;
  bool operator==(const VarState& o) const;

 private:
  void merge_or_set(const VarState& other);
};

// Parses a JSON integer text ("12", "-3"); nullopt if it is not one.
std::optional<std::int64_t> parse_integer(const std::string& text);

}  // namespace mabeam::vars
