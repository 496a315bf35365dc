// Bounds-checked decoding primitives of the message codec (see codec.h).
#include "engine/codec.h"

namespace mabeam {

bool Reader::varint(std::uint64_t& v) {
  if (!ok()) return false;
  std::uint64_t x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ == end_) return fail("truncated varint");
    const std::uint8_t b = *p_++;
    if (shift == 63 && (b & 0x7e) != 0) return fail("varint overflows 64 bits");
    x |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      v = x;
      return true;
    }
  }
  return fail("varint longer than 10 bytes");
}

bool Reader::str(std::string& s, std::size_t max) {
  std::uint64_t n = 0;
  if (!varint(n)) return false;
  if (n > max) return fail("string of " + std::to_string(n) + " bytes exceeds limit " + std::to_string(max));
  if (n > remaining()) return fail("string of " + std::to_string(n) + " bytes, only " + std::to_string(remaining()) + " left");
  s.assign(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n));
  p_ += n;
  return true;
}

bool Reader::bytes(Bytes& b, std::size_t max) {
  std::uint64_t n = 0;
  if (!varint(n)) return false;
  if (n > max) return fail("byte run of " + std::to_string(n) + " exceeds limit " + std::to_string(max));
  if (n > remaining()) return fail("byte run of " + std::to_string(n) + ", only " + std::to_string(remaining()) + " left");
  b.assign(p_, p_ + n);
  p_ += n;
  return true;
}

bool Reader::count(std::size_t& n, std::size_t min_item_bytes, std::size_t max) {
  std::uint64_t c = 0;
  if (!varint(c)) return false;
  if (c > max) return fail("count " + std::to_string(c) + " exceeds limit " + std::to_string(max));
  if (min_item_bytes > 0 && c > remaining() / min_item_bytes)
    return fail("count " + std::to_string(c) + " cannot fit in " + std::to_string(remaining()) + " bytes left");
  n = static_cast<std::size_t>(c);
  return true;
}

bool read_header(Reader& r, MessageHeader& h) {
  if (!r.u16(h.type)) return false;
  return r.u8(h.version);
}

std::uint16_t peek_type(const Bytes& b) {
  if (b.size() < 2) return 0;
  return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
}

}  // namespace mabeam
