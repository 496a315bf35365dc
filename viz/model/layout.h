// Where nodes sit in the topology view, in the unit square. The base layout is a circle for
// small clusters and a seeded force-directed layout (edges weighted by traffic) for larger
// ones; both depend only on the trace, so the picture is stable across runs and frames.
// During a partition each group is pulled into its own cluster so the split is visible.
#pragma once
#include "viz/model/trace_index.h"

#include <QPointF>
#include <vector>

namespace mabeam::viz {

inline constexpr int kCircleLayoutMax = 16;  // clusters larger than this get a force layout

std::vector<QPointF> base_layout(const TraceIndex& index, std::uint64_t seed = 1);

// The base layout rearranged for a two-way partition: one cluster per group, groups spread
// around the centre, members in the same relative order as in `base`.
std::vector<QPointF> partition_layout(const std::vector<QPointF>& base, const PartitionSpec& spec);

}  // namespace mabeam::viz
