// What services may ask of the partition guard: whether this node is in contact with a
// majority of the cluster, and notification when that changes. The partition guard
// (engine/variables/partition_guard.h) implements it; services decide their own policy from
// it (variables refuse writes to `on_minority: readonly` variables while readonly()).
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace mabeam {

class QuorumView {
 public:
  virtual ~QuorumView() = default;
  // True while this node has no recent two-way contact with a majority of the cluster.
  virtual bool readonly() const = 0;
  // Nodes counted as reachable (this one included), and the count a majority is taken of.
  virtual std::size_t reachable() const = 0;
  virtual std::size_t cluster_size() const = 0;
  // Why the node is read-only, for error messages ("" when it is not).
  virtual std::string why() const = 0;
  // Called after every change of readonly().
  virtual void on_change(std::function<void(bool readonly)> fn) = 0;
};

}  // namespace mabeam
