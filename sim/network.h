// The simulated network: decides, for each message, whether it is lost, how many copies
// arrive (duplication) and when (per-link latency distribution, FIFO per directed link
// unless the message is picked for reordering). Partitions cut links: symmetric partitions
// assign every node a group (links between groups are cut), one-way partitions cut the
// links from one set of nodes to another. Cuts live in named layers ("" holds the scripted
// ones; a swarm run draws each of its cuts in a layer of its own): a link is cut while any
// layer cuts it, a partition replaces only its own layer's symmetric partition, and a heal
// ends only its own layer's cuts. All randomness comes from the network's own seeded
// stream, drawn in event order.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/rng.h"
#include "sim/scenario.h"

namespace mabeam::sim {

// Samples a latency in µs (never negative) from a distribution.
DurationUs sample_latency(const Latency& l, Rng& rng);
// The distribution's mean in µs (what a `link` trace record writes as `latency_mean`):
// uniform the midpoint, pareto scale * shape / (shape - 1); a distribution without a finite
// mean (pareto with shape <= 1) or a mean past an hour gives kLatencyMeanMaxUs.
inline constexpr DurationUs kLatencyMeanMaxUs = 3'600'000'000;
DurationUs latency_mean_us(const Latency& l);

class Network {
 public:
  Network(std::size_t node_count, LinkParams defaults, std::uint64_t seed);

  // Changes the parameters of the directed link from -> to (only the fields that are set).
  void override_link(std::uint32_t from, std::uint32_t to, const std::optional<Latency>& latency,
                     std::optional<double> loss, std::optional<double> duplicate, std::optional<double> reorder);
  // Replaces the layer's symmetric partition: group_of[i] is node i's group.
  void partition(const std::string& layer, std::vector<std::uint32_t> group_of);
  void partition_oneway(const std::string& layer, const std::vector<std::uint32_t>& from,
                        const std::vector<std::uint32_t>& to);
  // Ends every cut of the layer.
  void heal(const std::string& layer);
  bool cut(std::uint32_t from, std::uint32_t to) const;

  // The fate of one message sent now from -> to.
  struct Fate {
    const char* dropped = nullptr;  // "partition" or "loss", or null when it is sent
    int copies = 0;                 // 1, or 2 when duplicated
    TimeUs arrive[2]{};             // arrival instants of each copy
  };
  Fate route(std::uint32_t from, std::uint32_t to, TimeUs now);

 private:
  const LinkParams& params(std::uint32_t from, std::uint32_t to) const;
  std::uint64_t key(std::uint32_t from, std::uint32_t to) const { return (std::uint64_t{from} << 32) | to; }
  TimeUs& last_arrival(std::uint32_t from, std::uint32_t to);

  std::size_t n_;
  LinkParams defaults_;
  Rng rng_;
  std::unordered_map<std::uint64_t, LinkParams> overrides_;  // looked up, never iterated
  struct OneWay {
    std::vector<bool> from, to;
  };
  struct CutLayer {
    std::string name;
    std::vector<std::uint32_t> group_of;  // empty when the layer has no symmetric partition
    std::vector<OneWay> oneway;
  };
  CutLayer& layer(const std::string& name);
  std::vector<CutLayer> layers_;  // the layers holding cuts, in the order they were first cut
  // FIFO per directed link: the latest arrival scheduled on it. Dense for small clusters.
  std::vector<TimeUs> last_dense_;
  std::unordered_map<std::uint64_t, TimeUs> last_sparse_;
};

}  // namespace mabeam::sim
