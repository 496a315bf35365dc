// Shrinking a violation to a minimal set of operations that cannot be ordered, so a person
// can see why a history is not linearizable.
//
// 1. The shortest failing prefix. The search that failed was stopped, at best, at some
//    completion C (SearchStats::furthest_completion): each history cut before C can be
//    ordered, and the operations invoked by C (less the reads still open there) cannot: an
//    order of them would have let the search walk past C. Everything else is dropped.
// 2. The violation sits at the end of that prefix, so the shortest tail of it (1, 2, 4, ...
//    operations) that still cannot be ordered is taken next: cheap tries on small sets.
// 3. Delta debugging (chunks of half, a quarter, ... of the set, then single operations,
//    repeated until nothing more can be dropped) keeps a drop whenever what remains still
//    cannot be ordered.
//
// One rule keeps the set readable: dropping a write (or cas, or append) also drops the reads
// that returned its value (and the cas that expected it) when no other write of that value
// stays. Without it every stale read would shrink to the read alone (a read of a value
// nothing wrote cannot be ordered either), hiding the writes that make it stale. So the
// result is minimal in this sense: dropping any one operation leaves a set that can be
// ordered, or a read without the write it saw.
#pragma once
#include <vector>

#include "sim/lincheck/search.h"

namespace mabeam::lincheck {

struct Minimized {
  std::vector<std::size_t> keep;  // indices into the ops given, ascending
  bool minimal = false;           // false: the budget stopped the shrinking early
};

// `ops` must not be linearizable (search() said so, with `furthest_completion` in its stats).
Minimized minimize(const std::vector<SearchOp>& ops, Values& values, Budget& budget, std::uint64_t furthest_completion);

}  // namespace mabeam::lincheck
