// Frame reassembly (see framing.h).
#include "real/framing.h"

#include <algorithm>
#include <cstring>

namespace mabeam::real {

void append_frame(std::vector<std::uint8_t>& out, FrameKind kind, const std::uint8_t* body, std::size_t size) {
  append_frame_header(out, size + 1);
  out.push_back(static_cast<std::uint8_t>(kind));
  out.insert(out.end(), body, body + size);
}

std::uint8_t* FrameReader::prepare(std::size_t min_free, std::size_t& available) {
  if (begin_ == end_) begin_ = end_ = 0;
  // Room for the whole pending frame at once, so a big frame is read in few calls.
  const std::size_t need = std::max(min_free, want_ > buffered() ? want_ - buffered() : 0);
  if (buf_.size() - end_ < need) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() - end_ < need) buf_.resize(end_ + need);
  }
  available = buf_.size() - end_;
  return buf_.data() + end_;
}

FrameReader::Next FrameReader::next(const std::uint8_t*& data, std::size_t& size) {
  const std::size_t have = end_ - begin_;
  if (have < kFrameHeaderBytes) {
    want_ = 0;
    return Next::need_more;
  }
  const std::uint8_t* p = buf_.data() + begin_;
  const std::uint32_t len = static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
                            static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
  if (len > frame_bytes_max_) {
    announced_ = len;
    return Next::oversized;
  }
  if (len == 0) return Next::empty_frame;  // every frame has at least its kind byte
  if (have < kFrameHeaderBytes + len) {
    want_ = kFrameHeaderBytes + len;
    return Next::need_more;
  }
  want_ = 0;
  data = p + kFrameHeaderBytes;
  size = len;
  begin_ += kFrameHeaderBytes + len;
  return Next::frame;
}

}  // namespace mabeam::real
