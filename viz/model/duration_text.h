// Durations as people type them ("12s", "1500ms", "250us", "2m", "1.5s") and back, for the
// --at flag, the jump-to-time box and every time label in the viewer.
#pragma once
#include <QString>
#include <cstdint>
#include <optional>

namespace mabeam::viz {

// Microseconds, or nothing when the text is not a non-negative number with a unit
// (us, ms, s, m, h). A bare number is read as seconds.
std::optional<std::int64_t> parse_duration_us(const QString& text);

// "12.345s", "1m 02.5s", "850ms": short, unambiguous, for labels.
QString format_time_us(std::int64_t us);

}  // namespace mabeam::viz
