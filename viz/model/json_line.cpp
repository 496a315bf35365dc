// The one-line JSON parser; see json_line.h. Grammar per RFC 8259; nesting depth is limited
// so a hostile line cannot exhaust the stack.
#include "viz/model/json_line.h"

#include <charconv>
#include <cstring>

namespace mabeam::viz {
namespace {
constexpr int kDepthMax = 64;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool hex4(const char* p, std::uint32_t& out) {
  out = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = p[i];
    out <<= 4;
    if (c >= '0' && c <= '9') out |= static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') out |= static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') out |= static_cast<std::uint32_t>(c - 'A' + 10);
    else return false;
  }
  return true;
}
}  // namespace

bool JsonLine::parse(const char* begin, const char* end) {
  p_ = begin;
  end_ = end;
  values_.clear();
  unescaped_.clear();
  if (value(0) != 0) return false;
  skip_space();
  return p_ == end_;
}

const JsonLine::Value* JsonLine::field(const Value& object, std::string_view key) const {
  if (object.type != Type::Object) return nullptr;
  for (int i = object.first; i >= 0; i = values_[static_cast<std::size_t>(i)].next)
    if (values_[static_cast<std::size_t>(i)].key == key) return &values_[static_cast<std::size_t>(i)];
  return nullptr;
}

void JsonLine::skip_space() {
  while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
}

bool JsonLine::string(std::string_view& out) {
  // p_ is at the opening quote.
  const char* start = ++p_;
  while (p_ < end_ && *p_ != '"' && *p_ != '\\') {
    if (static_cast<unsigned char>(*p_) < 0x20) return false;
    ++p_;
  }
  if (p_ >= end_) return false;
  if (*p_ == '"') {
    out = std::string_view(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }
  std::string& s = unescaped_.emplace_back(start, static_cast<std::size_t>(p_ - start));
  while (p_ < end_ && *p_ != '"') {
    const char c = *p_++;
    if (static_cast<unsigned char>(c) < 0x20) return false;
    if (c != '\\') {
      s += c;
      continue;
    }
    if (p_ >= end_) return false;
    switch (*p_++) {
      case '"': s += '"'; break;
      case '\\': s += '\\'; break;
      case '/': s += '/'; break;
      case 'b': s += '\b'; break;
      case 'f': s += '\f'; break;
      case 'n': s += '\n'; break;
      case 'r': s += '\r'; break;
      case 't': s += '\t'; break;
      case 'u': {
        std::uint32_t cp = 0;
        if (end_ - p_ < 4 || !hex4(p_, cp)) return false;
        p_ += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
          std::uint32_t lo = 0;
          if (hex4(p_ + 2, lo) && lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p_ += 6;
          }
        }
        append_utf8(s, cp);
        break;
      }
      default: return false;
    }
  }
  if (p_ >= end_) return false;
  ++p_;
  out = s;
  return true;
}

// Parses one value at p_, appends it (and its children) and returns its index, or -1.
int JsonLine::value(int depth) {
  if (depth > kDepthMax) return -1;
  skip_space();
  if (p_ >= end_) return -1;
  const int self = static_cast<int>(values_.size());
  values_.emplace_back();
  const char* start = p_;
  auto finish = [&](Type t) {
    Value& v = values_[static_cast<std::size_t>(self)];
    v.type = t;
    if (t != Type::String) v.text = std::string_view(start, static_cast<std::size_t>(p_ - start));
    return self;
  };
  auto literal = [&](const char* word, Type t, bool b) {
    const std::size_t n = std::strlen(word);
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return -1;
    p_ += n;
    values_[static_cast<std::size_t>(self)].boolean = b;
    return finish(t);
  };
  switch (*p_) {
    case '"': {
      std::string_view s;
      if (!string(s)) return -1;
      values_[static_cast<std::size_t>(self)].text = s;
      return finish(Type::String);
    }
    case 't': return literal("true", Type::Bool, true);
    case 'f': return literal("false", Type::Bool, false);
    case 'n': return literal("null", Type::Null, false);
    case '{':
    case '[': {
      const bool object = *p_ == '{';
      const char close = object ? '}' : ']';
      ++p_;
      skip_space();
      int prev = -1;
      if (p_ < end_ && *p_ == close) {
        ++p_;
        return finish(object ? Type::Object : Type::Array);
      }
      while (true) {
        std::string_view key;
        if (object) {
          skip_space();
          if (p_ >= end_ || *p_ != '"' || !string(key)) return -1;
          skip_space();
          if (p_ >= end_ || *p_ != ':') return -1;
          ++p_;
        }
        const int child = value(depth + 1);
        if (child < 0) return -1;
        values_[static_cast<std::size_t>(child)].key = key;
        if (prev < 0) values_[static_cast<std::size_t>(self)].first = child;
        else values_[static_cast<std::size_t>(prev)].next = child;
        prev = child;
        skip_space();
        if (p_ >= end_) return -1;
        if (*p_ == ',') {
          ++p_;
          continue;
        }
        if (*p_ != close) return -1;
        ++p_;
        return finish(object ? Type::Object : Type::Array);
      }
    }
    default: {
      // Number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
      const char* q = p_;
      if (q < end_ && *q == '-') ++q;
      if (q >= end_ || *q < '0' || *q > '9') return -1;
      if (*q == '0') ++q;
      else
        while (q < end_ && *q >= '0' && *q <= '9') ++q;
      if (q < end_ && *q == '.') {
        ++q;
        if (q >= end_ || *q < '0' || *q > '9') return -1;
        while (q < end_ && *q >= '0' && *q <= '9') ++q;
      }
      if (q < end_ && (*q == 'e' || *q == 'E')) {
        ++q;
        if (q < end_ && (*q == '+' || *q == '-')) ++q;
        if (q >= end_ || *q < '0' || *q > '9') return -1;
        while (q < end_ && *q >= '0' && *q <= '9') ++q;
      }
      double d = 0;
      const auto r = std::from_chars(p_, q, d);
      if (r.ec != std::errc() || r.ptr != q) return -1;
      values_[static_cast<std::size_t>(self)].number = d;
      p_ = q;
      return finish(Type::Number);
    }
  }
}

}  // namespace mabeam::viz
