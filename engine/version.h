// The versions of what mabeam writes and reads, in one place: the trace format (DESIGN.md,
// "Trace format"), the scenario format ("Scenario format") and the wire protocol of the real
// transport ("Wire protocol"). `mabeam --version` prints them; the writers stamp them.
#pragma once
#include <cstdint>

namespace mabeam {

inline constexpr int kTraceFormatVersion = 1;
inline constexpr int kScenarioFormatVersion = 1;
inline constexpr std::uint16_t kWireProtocolVersion = 1;

}  // namespace mabeam
