// Parsing and printing of durations with a unit ("200ms", "1.5s", "2m", "40us"), the form
// used by scenario files, configuration and the command line.
#pragma once
#include <string>
#include <string_view>

#include "engine/status.h"
#include "engine/time.h"

namespace mabeam {

// The longest duration accepted anywhere (scenarios, configuration, flags): 30 days. Timer
// arithmetic (a deadline = now + a multiple of a duration) stays far from overflow below it.
inline constexpr DurationUs kDurationMax = sec(30LL * 24 * 3600);

// Accepts a non-negative decimal number followed by one of us, ms, s, m, at most
// kDurationMax. Errors name what was found and what was expected.
Result<DurationUs> parse_duration(std::string_view text);
// The shortest exact form: 1500000 -> "1.5s", 200 -> "200us".
std::string format_duration(DurationUs d);

}  // namespace mabeam
