// CRC-32C (Castagnoli), the checksum of FileStorage records. Table-driven, byte at a time:
// records are small and the disk is slower than this loop.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mabeam::real {

// Extends `crc` (0 to start) over `size` bytes.
std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size);

}  // namespace mabeam::real
