// libFuzzer target: any text given to the scenario loader and the trace reader is loaded
// or refused with an error; never a crash or an exception escaping.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/scenario.h"
#include "sim/trace_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)mabeam::sim::parse_scenario(text, "fuzz.json");
  (void)mabeam::sim::parse_trace_text(text);
  return 0;
}
