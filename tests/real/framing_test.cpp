// Transport framing: frames split anywhere across reads are reassembled, several frames in
// one read come out one by one, and an oversized or empty frame is refused up front.
#include <catch2/catch.hpp>
#include <cstring>

#include "real/framing.h"

using namespace mabeam::real;

namespace {
std::vector<std::uint8_t> frame(FrameKind kind, const std::string& body) {
  std::vector<std::uint8_t> out;
  append_frame(out, kind, reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  return out;
}

void feed(FrameReader& r, const std::uint8_t* data, std::size_t n) {
  std::size_t avail = 0;
  std::uint8_t* p = r.prepare(n, avail);
  REQUIRE(avail >= n);
  std::memcpy(p, data, n);
  r.commit(n);
}
}  // namespace

TEST_CASE("framing: a frame is a 4-byte big-endian length, then the kind byte and body", "[real]") {
  auto f = frame(FrameKind::message, "abc");
  REQUIRE(f.size() == 8);
  CHECK(f[0] == 0);
  CHECK(f[3] == 4);
  CHECK(f[4] == 0);
  CHECK(f[5] == 'a');
}

TEST_CASE("framing: frames split at every byte boundary are reassembled", "[real]") {
  std::vector<std::uint8_t> stream;
  for (const char* body : {"hello", "", "world!", "x"}) {
    auto f = frame(FrameKind::message, body);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    FrameReader r(1024);
    std::vector<std::string> got;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
      feed(r, stream.data() + pos, std::min(chunk, stream.size() - pos));
      const std::uint8_t* d = nullptr;
      std::size_t n = 0;
      while (r.next(d, n) == FrameReader::Next::frame) got.emplace_back(reinterpret_cast<const char*>(d) + 1, n - 1);
    }
    REQUIRE(got == std::vector<std::string>{"hello", "", "world!", "x"});
    CHECK(r.buffered() == 0);
  }
}

TEST_CASE("framing: a partial frame waits for more bytes", "[real]") {
  FrameReader r(1024);
  auto f = frame(FrameKind::message, "payload");
  feed(r, f.data(), 6);
  const std::uint8_t* d = nullptr;
  std::size_t n = 0;
  CHECK(r.next(d, n) == FrameReader::Next::need_more);
  feed(r, f.data() + 6, f.size() - 6);
  REQUIRE(r.next(d, n) == FrameReader::Next::frame);
  CHECK(n == 8);
}

TEST_CASE("framing: a frame over the maximum is refused from its header alone", "[real]") {
  FrameReader r(100);
  const std::uint8_t header[4] = {0x00, 0x00, 0x00, 101};
  feed(r, header, 4);
  const std::uint8_t* d = nullptr;
  std::size_t n = 0;
  CHECK(r.next(d, n) == FrameReader::Next::oversized);
  CHECK(r.announced() == 101);

  FrameReader big(16u << 20);
  const std::uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff};
  feed(big, huge, 4);
  CHECK(big.next(d, n) == FrameReader::Next::oversized);
}

TEST_CASE("framing: an empty frame (no kind byte) is refused", "[real]") {
  FrameReader r(100);
  const std::uint8_t header[4] = {0, 0, 0, 0};
  feed(r, header, 4);
  const std::uint8_t* d = nullptr;
  std::size_t n = 0;
  CHECK(r.next(d, n) == FrameReader::Next::empty_frame);
}
