// The reading helpers of the strict scenario loader, shared by its parts (scenario.cpp for
// the core format, scenario_swarm.cpp for the swarm block and fault selectors). Each reads
// one JSON value and, on a problem, throws LoadError with a message that starts with the
// value's JSON pointer, says what was expected and shows what was found. parse_scenario()
// catches LoadError and returns its Status: no exception leaves the loader.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/status.h"
#include "engine/time.h"

namespace mabeam::sim::load {

// A load error unwinds to parse_scenario(), which turns it into the returned Status. This
// keeps each of the many checks of the loader to one line.
struct LoadError {
  Status status;
};

[[noreturn]] void fail(const std::string& pointer, const std::string& what);
// For input that is well-formed but needs a service that does not exist yet.
[[noreturn]] void refuse(const std::string& pointer, const std::string& what);
[[noreturn]] void expected(const std::string& pointer, const std::string& what, const nlohmann::json& found);

// RFC 6901: "~" and "/" inside a key are escaped.
std::string child(const std::string& pointer, const std::string& key);
std::string child(const std::string& pointer, std::size_t index);
// A string as a JSON literal, cut at 48 bytes ("...").
std::string quote(const std::string& s);
// How a found value is shown in a message: scalars as they are written, containers by kind.
std::string describe(const nlohmann::json& j);
std::string join(const std::vector<std::string>& items, const char* separator = ", ");
std::string one_of(const std::vector<std::string>& items);

void require_object(const nlohmann::json& j, const std::string& pointer, const std::string& what = "an object");
// Every key of `obj` must be in `allowed`; `context` qualifies the message (e.g. for "crash").
void check_keys(const nlohmann::json& obj, const std::string& pointer, const std::vector<std::string>& allowed,
                const std::string& context = "");
const nlohmann::json& require(const nlohmann::json& obj, const std::string& pointer, const char* key,
                              const std::string& what);
const nlohmann::json* optional(const nlohmann::json& obj, const char* key);

std::string read_string(const nlohmann::json& j, const std::string& pointer);
bool read_bool(const nlohmann::json& j, const std::string& pointer);
// A non-negative integer within [lo, hi]. An integral float (7.0) counts, as it does in
// JSON Schema.
std::uint64_t read_integer(const nlohmann::json& j, const std::string& pointer, std::uint64_t lo, std::uint64_t hi,
                           const std::string& what);
double read_number(const nlohmann::json& j, const std::string& pointer, double lo, double hi, const std::string& what);
double read_probability(const nlohmann::json& j, const std::string& pointer);
DurationUs read_duration(const nlohmann::json& j, const std::string& pointer);
DurationUs read_positive_duration(const nlohmann::json& j, const std::string& pointer);
// A duration that may carry a leading minus sign ("-200ms"), as a clock offset does.
DurationUs read_signed_duration(const nlohmann::json& j, const std::string& pointer);

}  // namespace mabeam::sim::load
