// One-line descriptions of events for the event log and the timeline's tooltips:
// "-> n3 ping #42 (64 B)", "n2 sees n4 down (inc 0)", "groups {n1,n2} | {n3,n4,n5}".
#pragma once
#include "viz/model/trace.h"

#include <QString>

namespace mabeam::viz {

QString event_details(const Trace& trace, const Event& e);
// "{n1,n2} | {n3,n4,n5}" or "{n1} -/-> {n2,n3}" for a one-way cut.
QString partition_text(const Trace& trace, const PartitionSpec& p);

}  // namespace mabeam::viz
