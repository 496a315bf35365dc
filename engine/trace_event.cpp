// Formatting of trace events as JSON Lines (see trace_event.h). Numbers are written with a
// fixed, locale-free format so the same event always gives the same bytes.
#include "engine/trace_event.h"

#include <charconv>
#include <cmath>

namespace mabeam {

TraceEvent& TraceEvent::with(std::string key, std::int64_t v) {
  fields.emplace_back(std::move(key), FieldValue{v});
  return *this;
}
TraceEvent& TraceEvent::with(std::string key, int v) { return with(std::move(key), std::int64_t{v}); }
TraceEvent& TraceEvent::with(std::string key, std::uint64_t v) { return with(std::move(key), static_cast<std::int64_t>(v)); }
TraceEvent& TraceEvent::with(std::string key, double v) {
  fields.emplace_back(std::move(key), FieldValue{v});
  return *this;
}
TraceEvent& TraceEvent::with(std::string key, bool v) {
  fields.emplace_back(std::move(key), FieldValue{v});
  return *this;
}
TraceEvent& TraceEvent::with(std::string key, std::string v) {
  fields.emplace_back(std::move(key), FieldValue{std::move(v)});
  return *this;
}
TraceEvent& TraceEvent::with(std::string key, const char* v) { return with(std::move(key), std::string(v)); }
TraceEvent& TraceEvent::with(std::string key, RawJson v) {
  fields.emplace_back(std::move(key), FieldValue{std::move(v)});
  return *this;
}

void append_json_string(std::string& out, const std::string& s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

namespace {
void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  out.append(buf, r.ptr);
}
}  // namespace

std::string json_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, items[i]);
  }
  return out + "]";
}

void append_trace_line(std::string& out, std::int64_t t, const std::string& node, const TraceEvent& e) {
  out += "{\"t\":";
  append_int(out, t);
  out += ",\"node\":";
  append_json_string(out, node);
  out += ",\"ev\":";
  append_json_string(out, e.ev);
  for (const auto& [key, value] : e.fields) {
    out.push_back(',');
    append_json_string(out, key);
    out.push_back(':');
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::int64_t>) append_int(out, v);
          else if constexpr (std::is_same_v<V, double>) append_double(out, v);
          else if constexpr (std::is_same_v<V, bool>) out += v ? "true" : "false";
          else if constexpr (std::is_same_v<V, std::string>) append_json_string(out, v);
          else out += v.text;
        },
        value);
  }
  out += "}\n";
}

}  // namespace mabeam
