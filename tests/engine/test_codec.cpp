// The message codec: round trips, and decoding of hostile bytes (truncated, oversized,
// random) that must return an error and never crash or read out of bounds.
#include <catch2/catch.hpp>

#include "engine/codec.h"
#include "engine/heartbeat.h"
#include "engine/rng.h"

using namespace mabeam;

namespace {
struct Sample {
  static constexpr MessageType kType{77, 2, "test.sample"};
  std::uint64_t id = 0;
  std::int64_t delta = 0;
  std::string name;
  std::vector<std::string> tags;
  bool flag = false;
  double ratio = 0;
  void encode(Writer& w) const {
    w.u64(id);
    w.i64(delta);
    w.str(name);
    w.varint(tags.size());
    for (const auto& t : tags) w.str(t);
    w.boolean(flag);
    w.f64(ratio);
  }
  static bool decode(Reader& r, std::uint8_t, Sample& m) {
    std::size_t n = 0;
    if (!r.u64(m.id) || !r.i64(m.delta) || !r.str(m.name) || !r.count(n)) return false;
    m.tags.resize(n);
    for (auto& t : m.tags)
      if (!r.str(t)) return false;
    return r.boolean(m.flag) && r.f64(m.ratio);
  }
};
}  // namespace

TEST_CASE("codec: a message survives an encode/decode round trip", "[codec]") {
  Sample s{123456789012345ULL, -42, "n1", {"a", "", "longer tag"}, true, 0.25};
  const Bytes b = encode_message(s);
  auto d = decode_message<Sample>(b);
  REQUIRE(d.is_ok());
  CHECK(d->id == s.id);
  CHECK(d->delta == -42);
  CHECK(d->name == "n1");
  CHECK(d->tags == s.tags);
  CHECK(d->flag);
  CHECK(d->ratio == 0.25);
}

TEST_CASE("codec: varints and zigzag cover the edges of 64 bits", "[codec]") {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, INT64_MAX, INT64_MIN}) {
    Writer w;
    w.i64(v);
    Bytes b = w.take();
    Reader r(b);
    std::int64_t out = 7;
    REQUIRE(r.i64(out));
    CHECK(out == v);
    CHECK(r.at_end());
  }
}

TEST_CASE("codec: every truncation of a valid message is rejected with an error", "[codec]") {
  const Bytes b = encode_message(Sample{1, 2, "name", {"x", "y"}, false, 1.5});
  for (std::size_t len = 0; len < b.size(); ++len) {
    Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(len));
    auto d = decode_message<Sample>(cut);
    CHECK_FALSE(d.is_ok());
  }
}

TEST_CASE("codec: trailing bytes after a message are rejected", "[codec]") {
  Bytes b = encode_message(Sample{});
  b.push_back(0);
  auto d = decode_message<Sample>(b);
  REQUIRE_FALSE(d.is_ok());
  CHECK_THAT(d.status().message(), Catch::Contains("trailing"));
}

TEST_CASE("codec: a newer version than this build reads is refused", "[codec]") {
  Bytes b = encode_message(Sample{});
  b[2] = 3;  // version byte: this build reads up to 2
  auto d = decode_message<Sample>(b);
  REQUIRE_FALSE(d.is_ok());
  CHECK_THAT(d.status().message(), Catch::Contains("unsupported version 3"));
}

TEST_CASE("codec: a forged huge length or count cannot make the decoder allocate", "[codec]") {
  Writer w;
  w.u16(Sample::kType.id);
  w.u8(1);
  w.u64(1);
  w.i64(0);
  w.varint(std::uint64_t{1} << 40);  // a string "of a terabyte"
  Bytes b = w.take();
  auto d = decode_message<Sample>(b);
  REQUIRE_FALSE(d.is_ok());
  CHECK_THAT(d.status().message(), Catch::Contains("exceeds limit"));

  Writer w2;
  w2.u16(Sample::kType.id);
  w2.u8(1);
  w2.u64(1);
  w2.i64(0);
  w2.str("n");
  w2.varint(1000);  // 1000 tags in a few bytes
  auto d2 = decode_message<Sample>(w2.take());
  REQUIRE_FALSE(d2.is_ok());
  CHECK_THAT(d2.status().message(), Catch::Contains("cannot fit"));
}

TEST_CASE("codec: an overlong varint is rejected", "[codec]") {
  Bytes b(11, 0xff);
  Reader r(b);
  std::uint64_t v = 0;
  CHECK_FALSE(r.varint(v));
  CHECK_FALSE(r.ok());
}

TEST_CASE("codec: random bytes never crash the decoder", "[codec]") {
  Rng rng(2024);
  int rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b(rng.below(64));
    for (auto& x : b) x = static_cast<std::uint8_t>(rng.below(256));
    if (i % 2 == 0 && b.size() >= 3) {  // half of them with a plausible header
      b[0] = Sample::kType.id;
      b[1] = 0;
      b[2] = 1;
    }
    if (!decode_message<Sample>(b).is_ok()) ++rejected;
    (void)decode_message<Heartbeat>(b);
  }
  CHECK(rejected > 19000);  // random bytes are almost never a valid message
}
