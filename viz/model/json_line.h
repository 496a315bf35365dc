// A small, fast JSON parser for one trace line. A trace of a million lines spends most of
// its load time parsing, and QJsonDocument builds far more than the reader needs; this one
// parses into a flat array of values that point into the line (strings are only copied when
// they contain escapes), and is reused from line to line without allocating. On a syntax
// error it only says "no": the reader then asks QJsonDocument for a message a person can
// act on, so error texts stay precise while the common path stays fast.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace mabeam::viz {

class JsonLine {
 public:
  enum class Type : std::uint8_t { Null, Bool, Number, String, Array, Object };
  struct Value {
    Type type = Type::Null;
    bool boolean = false;
    double number = 0;
    std::string_view text;  // String: the unescaped text; other types: the source text
    std::string_view key;   // for members of an object
    int first = -1;         // Array/Object: the first child
    int next = -1;          // the next sibling
  };

  // Parses [begin, end); false when it is not exactly one JSON value.
  bool parse(const char* begin, const char* end);
  const Value& root() const { return values_[0]; }
  // The member `key` of an object, or null when absent.
  const Value* field(const Value& object, std::string_view key) const;
  const Value& at(int i) const { return values_[static_cast<std::size_t>(i)]; }

 private:
  int value(int depth);
  bool string(std::string_view& out);
  void skip_space();

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  std::vector<Value> values_;
  std::deque<std::string> unescaped_;  // stable storage for strings that had escapes
};

}  // namespace mabeam::viz
