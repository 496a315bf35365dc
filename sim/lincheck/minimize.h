// Shrinking a violation to a minimal set of operations that cannot be ordered, so a person
// can see why a history is not linearizable.
//
// 1. The shortest failing prefix. A history cut after some completion, with the operations
//    still open at the cut made optional (as if `info`), is not linearizable only if the
//    whole is not, and the search that failed was stopped, at best, at some completion C
//    (SearchStats::furthest_completion): every cut before C can be ordered, the cut at C
//    cannot. The operations invoked by C with their real outcomes cannot be ordered either,
//    less the reads still open at C (an open read would bring a value whose write may come
//    after C; without it the cut is as unorderable, and an open write can always go last).
//    Everything else is dropped, except the writes an ok cas still open at C expects, when
//    they came after C (kept if the set still cannot be ordered with them: a cas without the
//    write it saw would read as a violation of its own).
// 2. The violation sits at the end of that prefix, so the shortest tail of it (1, 2, 4, ...
//    operations) that still cannot be ordered is taken next: cheap tries on small sets.
// 3. Delta debugging (chunks of half, a quarter, ... of the set, then single operations,
//    repeated until nothing more can be dropped) keeps a drop whenever what remains still
//    cannot be ordered.
//
// One rule keeps the set readable: dropping a write (or cas, or append) also drops the reads
// that returned its value (and the cas that expected it) when no other write of that value
// they could have seen (invoked before they completed) stays. Without it every stale read would shrink to the read alone (a read of a value
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
