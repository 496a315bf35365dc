// The built-in agents' JSON values (see json.h): a recursive-descent parser and a
// canonical writer.
#include "engine/agents/json.h"

#include <charconv>
#include <cstdio>

#include "engine/codec.h"

namespace mabeam::agents {

const Json* Json::find(const std::string& key) const {
  if (!is_object()) return nullptr;
  const auto& o = as_object();
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->second;
}

std::size_t Json::size() const {
  if (is_array()) return as_array().size();
  if (is_object()) return as_object().size();
  return 0;
}

const char* Json::kind() const {
  switch (v_.index()) {
    case 0: return "null";
    case 1: return "a boolean";
    case 2:
    case 3: return "a number";
    case 4: return "a string";
    case 5: return "an array";
    default: return "an object";
  }
}

bool Json::operator==(const Json& o) const {
  if (is_number() && o.is_number()) {
    if (is_int() && o.is_int()) return as_int() == o.as_int();
    return as_double() == o.as_double();
  }
  if (v_.index() != o.v_.index()) return false;
  if (is_array()) return as_array() == o.as_array();
  if (is_object()) return as_object() == o.as_object();
  return v_ == o.v_;
}

namespace {

void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void dump_into(std::string& out, const Json& j) {
  if (j.is_null()) {
    out += "null";
  } else if (j.is_bool()) {
    out += j.as_bool() ? "true" : "false";
  } else if (j.is_int()) {
    out += std::to_string(j.as_int());
  } else if (j.is_number()) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, j.as_double());
    std::string text(buf, res.ptr);
    // A double that prints like an integer keeps a fraction, so it reads back as a double.
    if (text.find_first_of(".eE") == std::string::npos && text.find_first_of("ni") == std::string::npos) text += ".0";
    out += text;
  } else if (j.is_string()) {
    dump_string(out, j.as_string());
  } else if (j.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& e : j.as_array()) {
      if (!first) out += ',';
      first = false;
      dump_into(out, e);
    }
    out += ']';
  } else {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : j.as_object()) {
      if (!first) out += ',';
      first = false;
      dump_string(out, k);
      out += ':';
      dump_into(out, v);
    }
    out += '}';
  }
}

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  Result<Json> run() {
    Json v;
    if (!value(v, 0)) return Status::invalid(error_);
    ws();
    if (p_ != t_.size()) return Status::invalid("invalid JSON at byte " + std::to_string(p_) + ": trailing characters");
    return v;
  }

 private:
  bool fail(const std::string& what) {
    if (error_.empty()) error_ = "invalid JSON at byte " + std::to_string(p_) + ": " + what;
    return false;
  }
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  bool literal(const char* word, Json v, Json& out) {
    const std::string_view w(word);
    if (t_.substr(p_, w.size()) != w) return fail("expected a value");
    p_ += w.size();
    out = std::move(v);
    return true;
  }
  bool value(Json& out, int depth) {
    if (depth > kJsonDepthMax) return fail("nested deeper than " + std::to_string(kJsonDepthMax));
    ws();
    if (p_ >= t_.size()) return fail("expected a value, found the end");
    const char c = t_[p_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      std::string s;
      if (!string(s)) return false;
      out = Json(std::move(s));
      return true;
    }
    if (c == 't') return literal("true", Json(true), out);
    if (c == 'f') return literal("false", Json(false), out);
    if (c == 'n') return literal("null", Json(), out);
    if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    return fail(std::string("expected a value, found '") + c + "'");
  }
  bool number(Json& out) {
    const std::size_t start = p_;
    bool integer = true;
    if (t_[p_] == '-') ++p_;
    if (p_ >= t_.size() || t_[p_] < '0' || t_[p_] > '9') return fail("expected a digit");
    if (t_[p_] == '0' && p_ + 1 < t_.size() && t_[p_ + 1] >= '0' && t_[p_ + 1] <= '9')
      return fail("a number may not start with 0");
    while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    if (p_ < t_.size() && t_[p_] == '.') {
      integer = false;
      ++p_;
      if (p_ >= t_.size() || t_[p_] < '0' || t_[p_] > '9') return fail("expected a digit after '.'");
      while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    }
    if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      integer = false;
      ++p_;
      if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (p_ >= t_.size() || t_[p_] < '0' || t_[p_] > '9') return fail("expected a digit in the exponent");
      while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    }
    const char* b = t_.data() + start;
    const char* e = t_.data() + p_;
    if (integer) {
      std::int64_t i = 0;
      auto r = std::from_chars(b, e, i);
      if (r.ec == std::errc() && r.ptr == e) {
        out = Json(i);
        return true;
      }
    }
    double d = 0;
    auto r = std::from_chars(b, e, d);
    if (r.ec != std::errc() || r.ptr != e) return fail("number out of range");
    out = Json(d);
    return true;
  }
  bool hex4(std::uint32_t& v) {
    if (p_ + 4 > t_.size()) return fail("truncated \\u escape");
    v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = t_[p_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return fail("bad \\u escape");
    }
    return true;
  }
  static void utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool string(std::string& s) {
    ++p_;  // the opening quote
    while (true) {
      if (p_ >= t_.size()) return fail("unterminated string");
      const char c = t_[p_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (s.size() >= kStringBytesMax) return fail("string longer than " + std::to_string(kStringBytesMax) + " bytes");
      if (c != '\\') {
        s += c;
        continue;
      }
      if (p_ >= t_.size()) return fail("unterminated escape");
      const char e = t_[p_++];
      switch (e) {
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
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo = 0;
            if (t_.substr(p_, 2) != "\\u") return fail("unpaired surrogate");
            p_ += 2;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail("unpaired surrogate");
          }
          utf8(s, cp);
          break;
        }
        default: return fail(std::string("bad escape \\") + e);
      }
    }
    return true;
  }
  bool array(Json& out, int depth) {
    ++p_;
    Json::Array a;
    ws();
    if (p_ < t_.size() && t_[p_] == ']') {
      ++p_;
      out = Json(std::move(a));
      return true;
    }
    while (true) {
      if (a.size() >= kSequenceItemsMax) return fail("too many array items");
      Json v;
      if (!value(v, depth + 1)) return false;
      a.push_back(std::move(v));
      ws();
      if (p_ >= t_.size()) return fail("unterminated array");
      if (t_[p_] == ',') {
        ++p_;
        continue;
      }
      if (t_[p_] == ']') {
        ++p_;
        break;
      }
      return fail("expected ',' or ']'");
    }
    out = Json(std::move(a));
    return true;
  }
  bool object(Json& out, int depth) {
    ++p_;
    Json::Object o;
    ws();
    if (p_ < t_.size() && t_[p_] == '}') {
      ++p_;
      out = Json(std::move(o));
      return true;
    }
    while (true) {
      ws();
      if (p_ >= t_.size() || t_[p_] != '"') return fail("expected a key string");
      std::string key;
      if (!string(key)) return false;
      ws();
      if (p_ >= t_.size() || t_[p_] != ':') return fail("expected ':'");
      ++p_;
      Json v;
      if (!value(v, depth + 1)) return false;
      if (!o.emplace(key, std::move(v)).second) return fail("duplicate key \"" + key + "\"");
      ws();
      if (p_ >= t_.size()) return fail("unterminated object");
      if (t_[p_] == ',') {
        ++p_;
        continue;
      }
      if (t_[p_] == '}') {
        ++p_;
        break;
      }
      return fail("expected ',' or '}'");
    }
    out = Json(std::move(o));
    return true;
  }

  std::string_view t_;
  std::size_t p_ = 0;
  std::string error_;
};

}  // namespace

std::string Json::dump() const {
  std::string out;
  dump_into(out, *this);
  return out;
}

Result<Json> Json::parse(std::string_view text) { return Parser(text).run(); }

}  // namespace mabeam::agents
