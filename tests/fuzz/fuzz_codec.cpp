// libFuzzer target: arbitrary bytes delivered to a node must come back as an error or be
// handled; never a crash, a hang or an out-of-bounds read (run under ASan by the build).
#include <cstddef>
#include <cstdint>

#include "engine/heartbeat.h"
#include "../engine/fake_context.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static mabeam::test::FakeContext ctx("n1");
  static mabeam::Node node(ctx);
  static bool started = [] {
    node.add<mabeam::HeartbeatDetector>(mabeam::HeartbeatConfig{}, std::vector<std::string>{"n1", "n2"}, 1);
    return true;
  }();
  (void)started;
  const mabeam::Bytes bytes(data, data + size);
  (void)node.deliver("n2", bytes);
  (void)mabeam::decode_message<mabeam::Heartbeat>(bytes);
  (void)mabeam::decode_message<mabeam::Leave>(bytes);
  mabeam::Reader r(data, size);
  std::string s;
  std::uint64_t v = 0;
  while (r.varint(v) && r.str(s)) {
  }
  ctx.emitted.clear();
  ctx.sent.clear();
  return 0;
}
