// Reading a trace file (trace_reader.h). The whole input is taken into one buffer and cut
// into lines; each line is parsed on its own with nlohmann's non-throwing parser, and only a
// line that fails is parsed a second time, with exceptions, to learn the column. A big trace
// is cut into one stretch of lines per core, parsed in parallel and joined in file order;
// the result (records, or the earliest error by line) does not depend on the cut.
#include "sim/trace_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string_view>
#include <system_error>
#include <thread>

namespace mabeam::sim {
namespace {

constexpr std::size_t kFoundChars_max = 60;  // how much of an offending value a message quotes

// The offending value as JSON text, cut short so one huge field does not flood a message.
std::string found(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > kFoundChars_max) {
    s.resize(kFoundChars_max);
    s += "...";
  }
  return s;
}

Status line_error(std::size_t line, const std::string& problem) {
  return Status::invalid("line " + std::to_string(line) + ": " + problem);
}

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// nlohmann's what() without its "[json.exception.kind.N] " prefix.
std::string without_prefix(const std::string& what) {
  if (what.rfind("[json.exception.", 0) == 0) {
    auto close = what.find("] ");
    if (close != std::string::npos) return what.substr(close + 2);
  }
  return what;
}

// Parses one line; on failure describes the problem as "invalid JSON at column C: ...".
bool parse_line(std::string_view text, nlohmann::json& out, std::string& problem) {
  try {
    // Even the non-throwing parse throws on a number too large for a double ("1E999").
    out = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (!out.is_discarded()) return true;
    // Rare path: parse again with exceptions for nlohmann's position and explanation.
    nlohmann::json again = nlohmann::json::parse(text.begin(), text.end());
    (void)again;
    problem = "invalid JSON";
  } catch (const nlohmann::json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 13: why".
    std::string what = e.what();
    std::string column = std::to_string(e.byte);
    std::string why = without_prefix(what);
    auto at = what.find(", column ");
    if (at != std::string::npos) {
      auto colon = what.find(": ", at);
      if (colon != std::string::npos) {
        column = what.substr(at + 9, colon - (at + 9));
        why = what.substr(colon + 2);
      }
    }
    problem = "invalid JSON at column " + column + ": " + why;
  } catch (const nlohmann::json::exception& e) {
    problem = "invalid JSON: " + without_prefix(e.what());
  }
  return false;
}

Status check_header(const nlohmann::json& h, TraceHeader& header) {
  auto bad = [](const std::string& problem) { return line_error(1, "header: " + problem); };
  if (!h.is_object()) {
    return line_error(1,
                      "not a mabeam trace: the header must be a JSON object "
                      "{\"trace\":\"mabeam\",\"version\":1,...}, found " +
                          found(h));
  }
  auto trace = h.find("trace");
  if (trace == h.end() || !trace->is_string() || trace->get_ref<const std::string&>() != "mabeam") {
    return line_error(1, std::string("not a mabeam trace: the header must have \"trace\":\"mabeam\", found ") +
                             (trace == h.end() ? std::string("no \"trace\"") : found(*trace)));
  }
  auto version = h.find("version");
  if (version == h.end()) return bad("missing \"version\"");
  if (!version->is_number_integer() || *version != 1) {
    return bad("unsupported \"version\" " + found(*version) + " (this reader knows version 1)");
  }
  auto source = h.find("source");
  if (source == h.end()) return bad("missing \"source\"");
  if (!source->is_string() || (*source != "sim" && *source != "real")) {
    return bad("\"source\" must be \"sim\" or \"real\", found " + found(*source));
  }
  header.source = source->get<std::string>();
  auto nodes = h.find("nodes");
  if (nodes == h.end()) return bad("missing \"nodes\"");
  if (!nodes->is_array()) return bad("\"nodes\" must be an array of node names, found " + found(*nodes));
  for (const auto& n : *nodes) {
    if (!n.is_string()) return bad("\"nodes\" must hold strings, found " + found(n));
    header.nodes.push_back(n.get<std::string>());
  }
  auto seed = h.find("seed");
  if (seed != h.end()) {
    if (!seed->is_number_unsigned()) return bad("\"seed\" must be a non-negative integer, found " + found(*seed));
    header.seed = seed->get<std::uint64_t>();
  }
  auto scenario = h.find("scenario");
  if (scenario != h.end()) {
    if (!scenario->is_string()) return bad("\"scenario\" must be a string, found " + found(*scenario));
    header.scenario = scenario->get<std::string>();
  }
  if (auto start = h.find("start_unix_us"); start != h.end()) {
    if (!start->is_number_integer()) return bad("\"start_unix_us\" must be an integer (microseconds), found " + found(*start));
    header.start_unix_us = start->get<std::int64_t>();
  }
  return Status::ok();
}

// Validates one record's t/node/ev and fills `rec` from it; "" when fine, else the problem.
std::string take_record(nlohmann::json&& j, TraceRecord& rec) {
  if (!j.is_object()) return "a record must be a JSON object, found " + found(j);
  auto t = j.find("t");
  if (t == j.end()) return "missing \"t\"";
  // nlohmann stores non-negative integers as unsigned; anything else (negative, fraction,
  // string) is not a time.
  if (!t->is_number_unsigned() ||
      t->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<TimeUs>::max())) {
    return "\"t\" must be a non-negative integer, found " + found(*t);
  }
  auto node = j.find("node");
  if (node == j.end()) return "missing \"node\"";
  if (!node->is_string()) return "\"node\" must be a string, found " + found(*node);
  auto ev = j.find("ev");
  if (ev == j.end()) return "missing \"ev\"";
  if (!ev->is_string() || ev->get_ref<const std::string&>().empty()) {
    return "\"ev\" must be a non-empty string, found " + found(*ev);
  }
  rec.t = static_cast<TimeUs>(t->get<std::uint64_t>());
  rec.node = node->get<std::string>();
  rec.ev = ev->get<std::string>();
  rec.fields = std::move(j);
  return {};
}

// One stretch of whole lines after the header, parsed on its own (maybe on its own thread).
// It stops at its first problem; parse_buffer() reports the earliest one in the file.
struct Chunk {
  std::string_view text;
  std::size_t first_line = 0;  // line number of text's first line
  bool ends_file = false;      // its last line is the file's last line
  std::vector<TraceRecord> records;
  std::size_t error_line = 0;  // 0: none
  std::string error;
  std::size_t trailing_blank = 0;  // first line of a run of blank lines at its end, 0: none
  bool has_content = false;        // any non-blank line
};

void parse_chunk(Chunk& c) {
  c.records.reserve(c.text.size() / 90 + 1);  // a rough line count: no copying on growth
  std::size_t line = c.first_line - 1;
  std::size_t pos = 0;
  nlohmann::json j;
  std::string problem;
  auto fail = [&](std::size_t at, std::string why) {
    c.error_line = at;
    c.error = std::move(why);
  };
  while (pos < c.text.size()) {
    std::size_t end = c.text.find('\n', pos);
    const bool has_newline = end != std::string_view::npos;
    if (!has_newline) end = c.text.size();
    std::string_view content = c.text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (is_blank(content)) {
      if (c.trailing_blank == 0) c.trailing_blank = line;
      continue;
    }
    c.has_content = true;
    if (c.trailing_blank != 0) {
      return fail(c.trailing_blank, "blank line inside the trace (only trailing blank lines are allowed)");
    }
    if (!parse_line(content, j, problem)) {
      if (!has_newline && c.ends_file) problem += " (the last line has no newline: was the trace cut short?)";
      return fail(line, problem);
    }
    TraceRecord& rec = c.records.emplace_back();
    problem = take_record(std::move(j), rec);
    if (!problem.empty()) {
      c.records.pop_back();
      return fail(line, problem);
    }
    if (c.records.size() >= 2) {
      TimeUs prev = c.records[c.records.size() - 2].t;
      if (rec.t < prev) {
        return fail(line, "time goes backwards (" + std::to_string(rec.t) + " after " + std::to_string(prev) + ")");
      }
    }
  }
}

constexpr std::size_t kChunkBytes_min = 4 << 20;  // below this a thread costs more than it saves
constexpr unsigned kThreads_max = 8;

Result<Trace> parse_buffer(std::string_view text) {
  // The header: the first line, which must not be blank.
  std::size_t header_end = text.find('\n');
  const bool header_has_newline = header_end != std::string_view::npos;
  if (!header_has_newline) header_end = text.size();
  std::string_view header_text = text.substr(0, header_end);
  if (is_blank(header_text)) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return line_error(1, "empty trace: expected a header line {\"trace\":\"mabeam\",\"version\":1,...}");
    }
    return line_error(1, "blank line inside the trace (only trailing blank lines are allowed)");
  }
  Trace trace;
  {
    nlohmann::json h;
    std::string problem;
    if (!parse_line(header_text, h, problem)) {
      if (!header_has_newline) problem += " (the last line has no newline: was the trace cut short?)";
      return line_error(1, problem);
    }
    Status s = check_header(h, trace.header);
    if (!s) return s;
  }
  if (!header_has_newline) return trace;
  std::string_view body = text.substr(header_end + 1);

  // Cut the body into chunks of whole lines, one per core for a big trace. The records and
  // the first error do not depend on the cut: errors are ranked by line, and time order
  // across a cut is checked below.
  unsigned threads = std::max(1u, std::min(kThreads_max, std::thread::hardware_concurrency()));
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, body.size() / kChunkBytes_min + 1));
  std::vector<Chunk> chunks;
  std::size_t begin = 0;
  std::size_t line = 2;
  for (unsigned k = 0; k < threads && begin < body.size(); ++k) {
    std::size_t end = body.size();
    if (k + 1 < threads) {
      std::size_t cut = body.find('\n', begin + (body.size() - begin) / (threads - k));
      end = cut == std::string_view::npos ? body.size() : cut + 1;
    }
    Chunk& c = chunks.emplace_back();
    c.text = body.substr(begin, end - begin);
    c.first_line = line;
    c.ends_file = end == body.size();
    line += static_cast<std::size_t>(std::count(c.text.begin(), c.text.end(), '\n'));
    begin = end;
  }
  {
    std::vector<std::thread> workers;
    std::size_t k = 1;
    try {
      for (; k < chunks.size(); ++k) workers.emplace_back(parse_chunk, std::ref(chunks[k]));
    } catch (const std::system_error&) {
      // No more threads to be had: this thread parses what is left.
      for (; k < chunks.size(); ++k) parse_chunk(chunks[k]);
    }
    if (!chunks.empty()) parse_chunk(chunks[0]);
    for (auto& w : workers) w.join();
  }

  // The earliest problem wins: a chunk's own error, a blank run followed by content, or
  // time going backwards across a cut.
  std::size_t error_line = 0;
  std::string error;
  auto consider = [&](std::size_t at, const std::string& why) {
    if (at != 0 && (error_line == 0 || at < error_line)) {
      error_line = at;
      error = why;
    }
  };
  const TraceRecord* last = nullptr;
  std::size_t pending_blank = 0;  // a trailing blank run of an earlier chunk
  for (auto& c : chunks) {
    if (pending_blank != 0 && c.has_content) {
      consider(pending_blank, "blank line inside the trace (only trailing blank lines are allowed)");
    }
    consider(c.error_line, c.error);
    if (last != nullptr && !c.records.empty() && c.records.front().t < last->t) {
      // The first record's line: blank lines may come before it within the chunk.
      std::size_t at = c.first_line;
      std::size_t pos = 0;
      while (pos < c.text.size()) {
        std::size_t end = c.text.find('\n', pos);
        if (end == std::string_view::npos) end = c.text.size();
        if (!is_blank(c.text.substr(pos, end - pos))) break;
        pos = end + 1;
        ++at;
      }
      consider(at, "time goes backwards (" + std::to_string(c.records.front().t) + " after " + std::to_string(last->t) +
                       ")");
    }
    if (!c.records.empty()) last = &c.records.back();
    if (c.has_content) pending_blank = 0;
    if (c.trailing_blank != 0 && pending_blank == 0) pending_blank = c.trailing_blank;
  }
  if (error_line != 0) return line_error(error_line, error);

  std::size_t total = 0;
  for (const auto& c : chunks) total += c.records.size();
  if (chunks.size() == 1) {
    trace.records = std::move(chunks[0].records);
  } else {
    trace.records.reserve(total);
    for (auto& c : chunks) {
      std::move(c.records.begin(), c.records.end(), std::back_inserter(trace.records));
      std::vector<TraceRecord>().swap(c.records);
    }
  }
  return trace;
}

// Appends everything left in `in` to `text`, a block at a time.
void read_all(std::istream& in, std::string& text) {
  std::vector<char> block(std::size_t{1} << 20);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    text.append(block.data(), static_cast<std::size_t>(in.gcount()));
  }
}

}  // namespace

Result<Trace> parse_trace(std::istream& in) {
  std::string text;
  read_all(in, text);
  if (in.bad()) return Status::io_error("read error");
  return parse_buffer(text);
}

Result<Trace> parse_trace_text(const std::string& text) { return parse_buffer(text); }

Result<Trace> read_trace_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(st)) return Status::io_error("cannot read trace " + path + ": it is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    int err = errno;
    std::string why = err != 0 ? std::strerror(err) : "cannot be opened";
    if (err == ENOENT) return Status::not_found("cannot open trace " + path + ": " + why);
    return Status::io_error("cannot open trace " + path + ": " + why);
  }
  // Size the buffer once for a regular file (a trace can be hundreds of megabytes); a pipe
  // or a file still growing is read to its end all the same.
  std::string text;
  if (std::filesystem::is_regular_file(st)) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) text.reserve(static_cast<std::size_t>(size) + 1);
  }
  read_all(f, text);
  if (f.bad()) return Status::io_error("cannot read trace " + path);
  return parse_buffer(text);
}

}  // namespace mabeam::sim
