// The binary message codec: a typed, versioned encoding for everything nodes send.
//
// Wire layout of one message (the payload of a transport frame, or of a simulated packet):
//   u16 type id | u8 version | body
// Integers are little-endian fixed width or LEB128 varints; strings and byte runs are a
// varint length then the bytes. A Reader never reads past its buffer: every get returns
// false once the input is exhausted or malformed, and the first error sticks, so a decoder
// can read a whole struct and check once at the end.
//
// A message type is a struct with
//   static constexpr MessageType kType{id, version, "name"};
//   void encode(Writer&) const;
//   static bool decode(Reader&, std::uint8_t version, T& out);
// and is registered with the Node that handles it (node.h), which is the type registry.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace mabeam {

using Bytes = std::vector<std::uint8_t>;

struct MessageType {
  std::uint16_t id;
  std::uint8_t version;  // the newest version this build writes and reads
  const char* name;
};

// Limits on what a decoder accepts; a peer cannot make us allocate more than this.
inline constexpr std::size_t kStringBytesMax = 1 << 20;
inline constexpr std::size_t kSequenceItemsMax = 1 << 20;

class Writer {
 public:
  Writer() { own_.reserve(64); }
  explicit Writer(Bytes& out) : out_(&out) {}

  void u8(std::uint8_t v) { buf().push_back(v); }
  void u16(std::uint16_t v) { fixed(v, 2); }
  void u32(std::uint32_t v) { fixed(v, 4); }
  void u64(std::uint64_t v) { fixed(v, 8); }
  void i64(std::int64_t v) { varint(zigzag(v)); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      buf().push_back(static_cast<std::uint8_t>(v) | 0x80);
      v >>= 7;
    }
    buf().push_back(static_cast<std::uint8_t>(v));
  }
  void str(std::string_view s) {
    varint(s.size());
    buf().insert(buf().end(), s.begin(), s.end());
  }
  void bytes(const Bytes& b) {
    varint(b.size());
    buf().insert(buf().end(), b.begin(), b.end());
  }
  Bytes take() { return std::move(own_); }
  std::size_t size() const { return out_ ? out_->size() : own_.size(); }

  static std::uint64_t zigzag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  }

 private:
  Bytes& buf() { return out_ ? *out_ : own_; }
  void fixed(std::uint64_t v, int n) {
    std::uint8_t le[8];
    for (int i = 0; i < n; ++i) le[i] = static_cast<std::uint8_t>(v >> (8 * i));
    Bytes& b = buf();
    b.insert(b.end(), le, le + n);  // one capacity check and copy, no zero-fill
  }
  Bytes* out_ = nullptr;
  Bytes own_;
};

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  explicit Reader(const Bytes& b) : Reader(b.data(), b.size()) {}

  bool u8(std::uint8_t& v) { return fixed(v, 1); }
  bool u16(std::uint16_t& v) { return fixed(v, 2); }
  bool u32(std::uint32_t& v) { return fixed(v, 4); }
  bool u64(std::uint64_t& v) { return fixed(v, 8); }
  bool boolean(bool& v) {
    std::uint8_t b = 0;
    if (!u8(b)) return false;
    if (b > 1) return fail("boolean byte is not 0 or 1");
    v = b == 1;
    return true;
  }
  bool f64(double& v) {
    std::uint64_t bits = 0;
    if (!u64(bits)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  bool i64(std::int64_t& v) {
    std::uint64_t z = 0;
    if (!varint(z)) return false;
    v = static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
    return true;
  }
  bool varint(std::uint64_t& v);
  bool str(std::string& s, std::size_t max = kStringBytesMax);
  bool bytes(Bytes& b, std::size_t max = kStringBytesMax);
  // Reads a sequence count and checks it against a limit and against the bytes left
  // (each item takes at least min_item_bytes), so a forged count cannot make us reserve.
  bool count(std::size_t& n, std::size_t min_item_bytes = 1, std::size_t max = kSequenceItemsMax);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  bool at_end() const { return p_ == end_; }
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    p_ = end_;
    return false;
  }

 private:
  template <class T>
  bool fixed(T& v, int n) {
    if (!ok()) return false;
    if (remaining() < static_cast<std::size_t>(n)) return fail("truncated: wanted " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
    std::uint64_t x = 0;
    for (int i = 0; i < n; ++i) x |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
    p_ += n;
    v = static_cast<T>(x);
    return true;
  }
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  std::string error_;
};

struct MessageHeader {
  std::uint16_t type = 0;
  std::uint8_t version = 0;
};
inline constexpr std::size_t kMessageHeaderBytes = 3;

// Encodes a message with its header.
template <class M>
Bytes encode_message(const M& m) {
  Writer w;
  w.u16(M::kType.id);
  w.u8(M::kType.version);
  m.encode(w);
  return w.take();
}

// Reads the header; the Reader is left at the body.
bool read_header(Reader& r, MessageHeader& h);
// Peeks the type id of an encoded message (0 if too short).
std::uint16_t peek_type(const Bytes& b);

// Decodes a whole message of a known type: header must match, body must decode and be
// consumed exactly. A newer version than this build knows is refused.
template <class M>
Result<M> decode_message(const Bytes& b) {
  Reader r(b);
  MessageHeader h;
  if (!read_header(r, h)) return Status::corrupt(r.error());
  if (h.type != M::kType.id) return Status::invalid("expected message type " + std::to_string(M::kType.id) + ", found " + std::to_string(h.type));
  if (h.version == 0 || h.version > M::kType.version)
    return Status::invalid(std::string(M::kType.name) + ": unsupported version " + std::to_string(h.version));
  M m{};
  if (!M::decode(r, h.version, m) || !r.ok()) return Status::corrupt(std::string(M::kType.name) + ": " + (r.ok() ? "bad body" : r.error()));
  if (!r.at_end()) return Status::corrupt(std::string(M::kType.name) + ": " + std::to_string(r.remaining()) + " trailing bytes");
  return m;
}

}  // namespace mabeam
