// A small JSON value for the built-in agent types (DESIGN.md, "Agents": `{"inc": N}`,
// `{"put": [K, V]}`, a pinger's `{"peer": ..., "every": "1s"}`). Their states and messages
// are JSON texts that arrive from scenarios, HTTP clients and peers at run time, so they
// are parsed here rather than with the configuration library (engine/ uses nlohmann/json
// for configuration only).
//
// Strict RFC 8259: one value, no trailing garbage, no comments, nesting at most
// kJsonDepthMax, strings at most kStringBytesMax. Integers that fit int64 stay integers;
// other numbers are doubles read with std::from_chars (correctly rounded on every
// platform, so a value reads the same everywhere). Objects keep their keys sorted, so
// dump() is canonical: equal values give equal texts.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/status.h"

namespace mabeam::agents {

inline constexpr int kJsonDepthMax = 64;

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json>;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : v_(b) {}
  Json(int i) : v_(static_cast<std::int64_t>(i)) {}
  Json(std::int64_t i) : v_(i) {}
  Json(double d) : v_(d) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(std::string s) : v_(std::move(s)) {}
  Json(Array a) : v_(std::make_shared<Array>(std::move(a))) {}
  Json(Object o) : v_(std::make_shared<Object>(std::move(o))) {}

  bool is_null() const { return v_.index() == 0; }
  bool is_bool() const { return v_.index() == 1; }
  bool is_int() const { return v_.index() == 2; }
  bool is_number() const { return v_.index() == 2 || v_.index() == 3; }
  bool is_string() const { return v_.index() == 4; }
  bool is_array() const { return v_.index() == 5; }
  bool is_object() const { return v_.index() == 6; }

  bool as_bool() const { return std::get<bool>(v_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(v_); }
  double as_double() const { return is_int() ? static_cast<double>(as_int()) : std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return *std::get<std::shared_ptr<Array>>(v_); }
  const Object& as_object() const { return *std::get<std::shared_ptr<Object>>(v_); }
  // A member of an object, or null when absent (or when this is not an object).
  const Json* find(const std::string& key) const;
  std::size_t size() const;

  // The canonical text: no spaces, keys sorted, integers as integers.
  std::string dump() const;
  // What kind of value it is, for error messages ("an object", "a string", ...).
  const char* kind() const;

  bool operator==(const Json& o) const;

  static Result<Json> parse(std::string_view text);

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, std::shared_ptr<Array>,
               std::shared_ptr<Object>>
      v_;
};

}  // namespace mabeam::agents
