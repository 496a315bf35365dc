// Hybrid logical clocks (Kulkarni et al., "Logical Physical Clocks"): a timestamp that
// follows the wall clock (ctx.wall_now()) when clocks behave, and still orders every event
// after the ones it has seen when a wall clock is behind or jumps back. Last-writer-wins
// registers order writes by (wall, logical, node): the node name breaks exact ties, so every
// replica picks the same winner.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>

#include "engine/time.h"

namespace mabeam::vars {

struct Hlc {
  std::int64_t wall = 0;      // µs of the wall clock it follows
  std::uint32_t logical = 0;  // orders events within one wall µs
  std::string node;           // the writer: the last tie-break

  friend bool operator<(const Hlc& a, const Hlc& b) {
    return std::tie(a.wall, a.logical, a.node) < std::tie(b.wall, b.logical, b.node);
  }
  friend bool operator==(const Hlc& a, const Hlc& b) {
    return a.wall == b.wall && a.logical == b.logical && a.node == b.node;
  }
};

// The clock of one node. Contract: every timestamp tick() returns is greater than every
// timestamp it returned or observed before, whatever the wall clock does.
class HlcClock {
 public:
  Hlc tick(TimeUs wall, const std::string& self) {
    if (wall > wall_) {
      wall_ = wall;
      logical_ = 0;
    } else {
      ++logical_;
    }
    return Hlc{wall_, logical_, self};
  }
  // Takes in a timestamp from another node (a write it applies).
  void observe(const Hlc& seen, TimeUs wall) {
    const std::int64_t w = std::max({wall_, seen.wall, wall});
    if (w == wall_ && w == seen.wall) logical_ = std::max(logical_, seen.logical) + 1;
    else if (w == wall_) ++logical_;
    else if (w == seen.wall) logical_ = seen.logical + 1;
    else logical_ = 0;
    wall_ = w;
  }
  Hlc last(const std::string& self) const { return Hlc{wall_, logical_, self}; }

 private:
  std::int64_t wall_ = 0;
  std::uint32_t logical_ = 0;
};

}  // namespace mabeam::vars
