// Time in mabeam: every duration and instant is an integer count of microseconds.
// Protocol code gets time only from Context::now(); nothing here reads a clock.
#pragma once
#include <cstdint>

namespace mabeam {

using TimeUs = std::int64_t;      // an instant, µs since the start of a run (sim) or process (real)
using DurationUs = std::int64_t;  // a span, µs

constexpr DurationUs us(std::int64_t n) { return n; }
constexpr DurationUs ms(std::int64_t n) { return n * 1000; }
constexpr DurationUs sec(std::int64_t n) { return n * 1000 * 1000; }

}  // namespace mabeam
