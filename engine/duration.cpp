// Duration parsing and printing (see duration.h).
#include "engine/duration.h"

#include <cstdint>

namespace mabeam {

Result<DurationUs> parse_duration(std::string_view text) {
  const std::string shown = "\"" + std::string(text) + "\"";
  std::size_t i = 0;
  std::int64_t whole = 0;
  std::int64_t frac = 0, frac_scale = 1;
  bool digits = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (whole > (INT64_MAX / 10) - 10) return Status::invalid("duration " + shown + " is too large");
    whole = whole * 10 + (text[i] - '0');
    ++i;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (frac_scale < 1000000000LL) {
        frac = frac * 10 + (text[i] - '0');
        frac_scale *= 10;
      }
      ++i;
      digits = true;
    }
  }
  if (!digits) return Status::invalid("expected a duration like \"200ms\" or \"1.5s\", found " + shown);
  const std::string_view unit = text.substr(i);
  std::int64_t mult = 0;
  if (unit == "us") mult = 1;
  else if (unit == "ms") mult = 1000;
  else if (unit == "s") mult = 1000000;
  else if (unit == "m") mult = 60000000;
  else return Status::invalid("duration " + shown + " needs a unit: us, ms, s or m");
  if (whole > kDurationMax / mult) return Status::invalid("duration " + shown + " is longer than 30 days, the most mabeam accepts");
  const DurationUs d = whole * mult + (frac * mult) / frac_scale;
  if (d > kDurationMax) return Status::invalid("duration " + shown + " is longer than 30 days, the most mabeam accepts");
  return d;
}

std::string format_duration(DurationUs d) {
  if (d != 0 && d % 60000000 == 0) return std::to_string(d / 60000000) + "m";
  if (d != 0 && d % 1000 == 0) {
    if (d % 1000000 == 0) return std::to_string(d / 1000000) + "s";
    if (d >= 1000000 && d % 100000 == 0) return std::to_string(d / 1000000) + "." + std::to_string((d % 1000000) / 100000) + "s";
    return std::to_string(d / 1000) + "ms";
  }
  return std::to_string(d) + "us";
}

}  // namespace mabeam
