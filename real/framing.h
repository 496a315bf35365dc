// Transport framing: each frame on a TCP stream is a 4-byte big-endian length and then that
// many bytes of payload. The first payload byte is the frame kind (FrameKind): a handshake
// step, an engine message (the codec bytes of engine/codec.h), or a transport control frame.
//
// FrameReader reassembles frames from whatever chunks the socket returns (a frame may arrive
// split anywhere, several frames may arrive in one read). A length over the configured
// maximum is reported before any byte of the frame is buffered, so a peer cannot make us
// allocate more than frame_bytes_max (+ one read chunk).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mabeam::real {

inline constexpr std::size_t kFrameHeaderBytes = 4;
inline constexpr std::size_t kFrameBytesMaxDefault = 16u << 20;

enum class FrameKind : std::uint8_t {
  message = 0,  // an engine message: u16 type | u8 version | body
  peers = 1,    // the sender's address book: count, then (name, host:port) pairs
  ping = 2,     // keepalive; carries nothing
  hello = 16,   // handshake step 1 (handshake.h)
  proof = 17,   // handshake step 2
};

// Appends a frame header announcing `payload_bytes`.
inline void append_frame_header(std::vector<std::uint8_t>& out, std::size_t payload_bytes) {
  const auto n = static_cast<std::uint32_t>(payload_bytes);
  out.push_back(static_cast<std::uint8_t>(n >> 24));
  out.push_back(static_cast<std::uint8_t>(n >> 16));
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
}
// Appends one whole frame: header, kind byte, body.
void append_frame(std::vector<std::uint8_t>& out, FrameKind kind, const std::uint8_t* body, std::size_t size);

class FrameReader {
 public:
  explicit FrameReader(std::size_t frame_bytes_max = kFrameBytesMaxDefault) : frame_bytes_max_(frame_bytes_max) {}

  // Returns a writable region of at least `min_free` bytes at the end of the buffer; read
  // into it, then commit() the count actually read.
  std::uint8_t* prepare(std::size_t min_free, std::size_t& available);
  void commit(std::size_t n) { end_ += n; }

  enum class Next { frame, need_more, oversized, empty_frame };
  // Extracts the next complete frame. On `frame`, [data, data+size) is the payload, valid
  // until the next prepare(). On `oversized`, announced() is the length the peer claimed.
  Next next(const std::uint8_t*& data, std::size_t& size);
  std::uint64_t announced() const { return announced_; }
  std::size_t buffered() const { return end_ - begin_; }

 private:
  std::size_t frame_bytes_max_;
  std::vector<std::uint8_t> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t want_ = 0;  // bytes a partial frame needs in total (header + payload), 0 if unknown
  std::uint64_t announced_ = 0;
};

}  // namespace mabeam::real
