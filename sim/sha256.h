// SHA-256 of a byte string, as lowercase hex: the trace hash of a run (report field
// `trace_sha256`), which determinism tests compare. sim/ may not use OpenSSL.
#pragma once
#include <string>
#include <string_view>

namespace mabeam::sim {

std::string sha256_hex(std::string_view data);

}  // namespace mabeam::sim
