// The partition guard's messages (type ids 43 and 44; partition_guard.h): a pull, and its
// answer, the sender's table of fresh two-way contacts as ages.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/codec.h"
#include "engine/time.h"

namespace mabeam::vars {

struct GuardPull {
  static constexpr MessageType kType{43, 1, "guard_pull"};
  std::uint64_t seq = 0;
  bool self_only = false;  // a rescue pull: answer with yourself only, not your table
  void encode(Writer& w) const {
    w.varint(seq);
    w.u8(self_only ? 1 : 0);
  }
  static bool decode(Reader& r, std::uint8_t, GuardPull& m) {
    std::uint8_t flag = 0;
    if (!r.varint(m.seq) || !r.u8(flag)) return false;
    if (flag > 1) return r.fail("guard_pull: self_only flag out of range");
    m.self_only = flag == 1;
    return true;
  }
};

struct GuardTable {
  static constexpr MessageType kType{44, 1, "guard_table"};
  static constexpr std::size_t kNameBytesMax = 256;
  static constexpr DurationUs kAgeMax = sec(30LL * 24 * 3600);
  std::uint64_t seq = 0;  // the pull this answers
  std::vector<std::pair<std::string, DurationUs>> ages;  // member -> how long ago, sender included at 0
  void encode(Writer& w) const {
    w.varint(seq);
    w.varint(ages.size());
    for (const auto& [name, age] : ages) {
      w.str(name);
      w.varint(static_cast<std::uint64_t>(age < 0 ? 0 : age));
    }
  }
  static bool decode(Reader& r, std::uint8_t, GuardTable& m) {
    std::size_t n = 0;
    if (!r.varint(m.seq) || !r.count(n, 2)) return false;
    m.ages.resize(n);
    for (auto& [name, age] : m.ages) {
      std::uint64_t a = 0;
      if (!r.str(name, kNameBytesMax) || !r.varint(a)) return false;
      if (name.empty()) return r.fail("guard_table: empty member name");
      if (a > static_cast<std::uint64_t>(kAgeMax)) return r.fail("guard_table: age out of range");
      age = static_cast<DurationUs>(a);
    }
    return true;
  }
};

}  // namespace mabeam::vars
