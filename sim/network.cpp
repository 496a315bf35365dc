// The simulated network (see network.h).
#include "sim/network.h"

#include <algorithm>
#include <cmath>

namespace mabeam::sim {

namespace {
constexpr std::size_t kDenseNodesMax = 2048;
constexpr DurationUs kLatencyMax = 3'600'000'000;  // an hour: a latency cap
DurationUs clamp_us(std::int64_t v) { return std::clamp<std::int64_t>(v, 0, kLatencyMax); }
// A pareto shape in millionths, for the integer sampler (Rng::pareto): llround of one exact
// IEEE product, so the same on every platform.
std::int64_t shape_micro(double shape) {
  if (!(shape < 1e12)) return 1'000'000'000'000'000'000;
  return std::max<std::int64_t>(1, std::llround(shape * 1e6));
}
}  // namespace

DurationUs latency_mean_us(const Latency& l) {
  double mean = 0;
  switch (l.dist) {
    case Latency::Dist::fixed: mean = static_cast<double>(l.value); break;
    case Latency::Dist::uniform: mean = (static_cast<double>(l.min) + static_cast<double>(l.max)) / 2; break;
    case Latency::Dist::normal:
    case Latency::Dist::exponential: mean = static_cast<double>(l.mean); break;
    case Latency::Dist::pareto:
      if (l.shape <= 1) return kLatencyMeanMaxUs;
      mean = static_cast<double>(l.scale) * l.shape / (l.shape - 1);
      break;
  }
  if (!(mean < static_cast<double>(kLatencyMeanMaxUs))) return kLatencyMeanMaxUs;
  return mean < 0 ? 0 : static_cast<DurationUs>(mean);
}

DurationUs sample_latency(const Latency& l, Rng& rng) {
  switch (l.dist) {
    case Latency::Dist::fixed: return l.value;
    case Latency::Dist::uniform: return rng.between(l.min, l.max);
    case Latency::Dist::normal: return clamp_us(rng.normal(l.mean, l.stddev));
    case Latency::Dist::exponential: return clamp_us(rng.exponential(l.mean));
    case Latency::Dist::pareto: return clamp_us(rng.pareto(l.scale, shape_micro(l.shape)));
  }
  return 0;
}

Network::Network(std::size_t node_count, LinkParams defaults, std::uint64_t seed)
    : n_(node_count), defaults_(defaults), rng_(Rng::derived(seed, "network")) {
  if (n_ <= kDenseNodesMax) last_dense_.assign(n_ * n_, 0);
}

void Network::override_link(std::uint32_t from, std::uint32_t to, const std::optional<Latency>& latency,
                            std::optional<double> loss, std::optional<double> duplicate, std::optional<double> reorder) {
  auto [it, inserted] = overrides_.try_emplace(key(from, to), defaults_);
  LinkParams& p = it->second;
  if (latency) p.latency = *latency;
  if (loss) p.loss = *loss;
  if (duplicate) p.duplicate = *duplicate;
  if (reorder) p.reorder = *reorder;
}

Network::CutLayer& Network::layer(const std::string& name) {
  for (auto& l : layers_)
    if (l.name == name) return l;
  layers_.push_back(CutLayer{name, {}, {}});
  return layers_.back();
}

void Network::partition(const std::string& name, std::vector<std::uint32_t> group_of) {
  layer(name).group_of = std::move(group_of);
}

void Network::partition_oneway(const std::string& name, const std::vector<std::uint32_t>& from,
                               const std::vector<std::uint32_t>& to) {
  OneWay w{std::vector<bool>(n_, false), std::vector<bool>(n_, false)};
  for (auto f : from) w.from[f] = true;
  for (auto t : to) w.to[t] = true;
  layer(name).oneway.push_back(std::move(w));
}

void Network::heal(const std::string& name) {
  layers_.erase(std::remove_if(layers_.begin(), layers_.end(), [&](const CutLayer& l) { return l.name == name; }),
                layers_.end());
}

bool Network::cut(std::uint32_t from, std::uint32_t to) const {
  for (const auto& l : layers_) {
    if (!l.group_of.empty() && l.group_of[from] != l.group_of[to]) return true;
    for (const auto& w : l.oneway)
      if (w.from[from] && w.to[to]) return true;
  }
  return false;
}

const LinkParams& Network::params(std::uint32_t from, std::uint32_t to) const {
  if (overrides_.empty()) return defaults_;
  auto it = overrides_.find(key(from, to));
  return it == overrides_.end() ? defaults_ : it->second;
}

TimeUs& Network::last_arrival(std::uint32_t from, std::uint32_t to) {
  if (!last_dense_.empty()) return last_dense_[std::size_t{from} * n_ + to];
  return last_sparse_[key(from, to)];
}

Network::Fate Network::route(std::uint32_t from, std::uint32_t to, TimeUs now) {
  Fate f;
  if (cut(from, to)) {
    f.dropped = "partition";
    return f;
  }
  const LinkParams& p = params(from, to);
  if (rng_.chance(p.loss)) {
    f.dropped = "loss";
    return f;
  }
  f.copies = rng_.chance(p.duplicate) ? 2 : 1;
  for (int c = 0; c < f.copies; ++c) {
    const DurationUs lat = sample_latency(p.latency, rng_);
    TimeUs t = now + lat;
    if (c == 0 && !rng_.chance(p.reorder)) {
      // In order on this link (like a TCP stream): never before an earlier message.
      TimeUs& last = last_arrival(from, to);
      t = std::max(t, last);
      last = t;
    } else if (c == 0) {
      t += rng_.between(0, std::max<DurationUs>(lat, 1));  // picked to overtake or lag: extra jitter
    }
    f.arrive[c] = t;
  }
  return f;
}

}  // namespace mabeam::sim
