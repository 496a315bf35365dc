// The reading helpers of the strict scenario loader (see scenario_read.h).
#include "sim/scenario_read.h"

#include <algorithm>
#include <cmath>

#include "engine/duration.h"

namespace mabeam::sim::load {

using nlohmann::json;

namespace {
constexpr std::size_t kShownStringBytesMax = 48;
}  // namespace

[[noreturn]] void fail(const std::string& pointer, const std::string& what) {
  const std::string where = pointer.empty() ? "top level" : pointer;
  throw LoadError{Status::invalid(where + ": " + what)};
}

// For input that is well-formed but needs a service that does not exist yet.
[[noreturn]] void refuse(const std::string& pointer, const std::string& what) {
  throw LoadError{Status::refused(pointer + ": " + what)};
}

// RFC 6901: "~" and "/" inside a key are escaped.
std::string child(const std::string& pointer, const std::string& key) {
  std::string out = pointer + "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string child(const std::string& pointer, std::size_t index) { return pointer + "/" + std::to_string(index); }

std::string quote(const std::string& s) {
  json j = s.size() > kShownStringBytesMax ? s.substr(0, kShownStringBytesMax) : s;
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > kShownStringBytesMax) out.insert(out.size() - 1, "...");
  return out;
}

// How a found value is shown in a message: scalars as they are written, containers by kind.
std::string describe(const json& j) {
  if (j.is_string()) return quote(j.get<std::string>());
  if (j.is_array()) return j.empty() ? "an empty array" : "an array";
  if (j.is_object()) return j.empty() ? "an empty object" : "an object";
  return j.dump();  // null, true/false, numbers
}

[[noreturn]] void expected(const std::string& pointer, const std::string& what, const json& found) {
  fail(pointer, "expected " + what + ", found " + describe(found));
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string one_of(const std::vector<std::string>& items) {
  return items.size() == 1 ? items.front() : "one of " + join(items);
}

void require_object(const json& j, const std::string& pointer, const std::string& what) {
  if (!j.is_object()) expected(pointer, what, j);
}

// Every key of `obj` must be in `allowed`; `context` qualifies the message (e.g. for "crash").
void check_keys(const json& obj, const std::string& pointer, const std::vector<std::string>& allowed,
                const std::string& context) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      fail(child(pointer, it.key()), "unknown key" + (context.empty() ? "" : " " + context) + " (expected " +
                                         one_of(allowed) + ")");
  }
}

const json& require(const json& obj, const std::string& pointer, const char* key, const std::string& what) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(child(pointer, key), "required key is missing (expected " + what + ")");
  return *it;
}

const json* optional(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string read_string(const json& j, const std::string& pointer) {
  if (!j.is_string()) expected(pointer, "a string", j);
  return j.get<std::string>();
}

bool read_bool(const json& j, const std::string& pointer) {
  if (!j.is_boolean()) expected(pointer, "true or false", j);
  return j.get<bool>();
}

// A non-negative integer within [lo, hi]. An integral float (7.0) counts, as it does in
// JSON Schema.
std::uint64_t read_integer(const json& j, const std::string& pointer, std::uint64_t lo, std::uint64_t hi,
                           const std::string& what) {
  std::uint64_t v = 0;
  if (j.is_number_unsigned()) {
    v = j.get<std::uint64_t>();
  } else if (j.is_number_integer()) {
    expected(pointer, what, j);  // a negative integer
  } else if (j.is_number_float()) {
    const double f = j.get<double>();
    if (!(f >= 0 && f < 18446744073709551616.0) || f != std::floor(f)) expected(pointer, what, j);
    v = static_cast<std::uint64_t>(f);
  } else {
    expected(pointer, what, j);
  }
  if (v < lo || v > hi) expected(pointer, what, j);
  return v;
}

double read_number(const json& j, const std::string& pointer, double lo, double hi, const std::string& what) {
  if (!j.is_number()) expected(pointer, what, j);
  const double v = j.get<double>();
  if (!(v >= lo && v <= hi)) expected(pointer, what, j);
  return v;
}

double read_probability(const json& j, const std::string& pointer) {
  return read_number(j, pointer, 0.0, 1.0, "a probability from 0 to 1");
}

DurationUs read_duration(const json& j, const std::string& pointer) {
  if (!j.is_string()) expected(pointer, "a duration string like \"200ms\" or \"1.5s\"", j);
  auto d = parse_duration(j.get<std::string>());
  if (!d) fail(pointer, d.status().message());
  return *d;
}

DurationUs read_positive_duration(const json& j, const std::string& pointer) {
  const DurationUs d = read_duration(j, pointer);
  if (d <= 0) expected(pointer, "a duration greater than zero", j);
  return d;
}

// A duration that may carry a leading minus sign ("-200ms"), as a clock offset does.
DurationUs read_signed_duration(const json& j, const std::string& pointer) {
  const std::string what = "a duration string like \"200ms\" or \"-1.5s\"";
  if (!j.is_string()) expected(pointer, what, j);
  const std::string text = j.get<std::string>();
  const bool negative = !text.empty() && text.front() == '-';
  auto d = parse_duration(negative ? std::string_view(text).substr(1) : std::string_view(text));
  if (!d) expected(pointer, what, j);
  return negative ? -*d : *d;
}

}  // namespace mabeam::sim::load
