// The simulator's benchmarks (see sim_bench.h). Each figure is the median (stats.h) of a
// few repetitions, so one noisy run on a shared machine does not decide it.
#include "bench/sim_bench.h"

#include <algorithm>
#include <chrono>

#include "bench/stats.h"
#include "engine/node_setup.h"
#include "sim/scheduler.h"
#include "sim/world.h"

namespace mabeam::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <class F>
double median_of(int reps, F f) {
  std::vector<double> v;
  for (int i = 0; i < reps; ++i) v.push_back(f());
  return median(std::move(v));
}

// A 64-byte message for the message-rate benchmark.
struct Blob {
  static constexpr MessageType kType{900, 1, "bench.blob"};
  std::uint64_t words[7]{};  // 56 bytes + 3 header + length-free fixed body = 59..64 bytes on the wire
  std::uint8_t pad[5]{};
  void encode(Writer& w) const {
    for (auto x : words) w.u64(x);
    for (auto p : pad) w.u8(p);
  }
  static bool decode(Reader& r, std::uint8_t, Blob& m) {
    for (auto& x : m.words)
      if (!r.u64(x)) return false;
    for (auto& p : m.pad)
      if (!r.u8(p)) return false;
    return true;
  }
};

// Each round, sends one Blob to a random peer.
class Flood : public Service {
 public:
  Flood(Node& node, const std::vector<std::string>& names, DurationUs round, std::uint64_t* received)
      : Service(node), names_(names), round_(round), received_(received) {
    self_ = static_cast<std::uint32_t>(std::find(names_.begin(), names_.end(), ctx_.self()) - names_.begin());
    node_.route<Blob>([this](const std::string&, Blob&&) { ++*received_; });
  }
  const char* name() const override { return "bench.flood"; }
  void start() override { ctx_.after(round_, [this] { tick(); }); }

 private:
  void tick() {
    auto peer = static_cast<std::uint32_t>(ctx_.rng().below(names_.size() - 1));
    if (peer >= self_) ++peer;  // any node but self
    Blob b;
    b.words[0] = peer;
    ctx_.send_msg(names_[peer], b);
    ctx_.after(round_, [this] { tick(); });
  }
  const std::vector<std::string>& names_;
  std::uint32_t self_ = 0;
  DurationUs round_;
  std::uint64_t* received_;
};

std::vector<std::string> node_names(std::uint32_t n) {
  std::vector<std::string> names;
  for (std::uint32_t i = 1; i <= n; ++i) names.push_back("n" + std::to_string(i));
  return names;
}

sim::LinkParams default_network() {
  sim::LinkParams p;
  p.latency.dist = sim::Latency::Dist::uniform;
  p.latency.min = ms(1);
  p.latency.max = ms(5);
  return p;
}

}  // namespace

void bench_scheduler(std::vector<Figure>& out) {
  constexpr std::size_t kPending = 100000;
  constexpr std::uint64_t kFires = 5000000;
  const double rate = median_of(3, [] {
    sim::Scheduler s;
    Rng rng(42);
    std::uint64_t fired = 0;
    std::function<void()> hold;
    hold = [&] {
      ++fired;
      if (fired + kPending <= kFires) s.after(static_cast<DurationUs>(rng.below(1000000)) + 1, [&] { hold(); });
    };
    for (std::size_t i = 0; i < kPending; ++i) s.after(static_cast<DurationUs>(rng.below(1000000)) + 1, [&] { hold(); });
    const auto t0 = Clock::now();
    s.run_until(INT64_MAX / 2);
    return static_cast<double>(fired) / seconds_since(t0);
  });
  out.push_back({"des_events_per_sec", rate, "events/s"});
}

void bench_sim_speedup(std::vector<Figure>& out) {
  struct Case {
    std::uint32_t nodes;
    DurationUs simulated;
    const char* name;
  };
  for (const Case c : {Case{5, sec(600), "sim_speedup_5_nodes"}, Case{100, sec(600), "sim_speedup_100_nodes"}}) {
    std::vector<double> walls;  // seconds, one per run
    for (int rep = 0; rep < 3; ++rep) {
      sim::WorldOptions wo;
      wo.seed = 1;
      wo.trace = false;
      wo.trace_messages = false;
      NodeSetup setup;
      setup.peers = node_names(c.nodes);
      sim::World w(setup.peers, default_network(), wo,
                   [&setup](Node& node, std::uint64_t inc) { install_services(node, setup, inc); });
      for (std::uint32_t i = 0; i < c.nodes; ++i) w.start(i);
      const auto t0 = Clock::now();
      w.run_until(c.simulated);
      walls.push_back(seconds_since(t0));
    }
    // Both figures are the median run's (speed falls as wall time grows).
    const double wall = median(walls);
    out.push_back({c.name, static_cast<double>(c.simulated) / 1e6 / wall, "sim-s/wall-s"});
    if (c.nodes == 100) out.push_back({"sim_wall_ms_100_nodes_10_min", wall * 1000.0, "ms"});
  }
}

void bench_sim_messages(std::vector<Figure>& out) {
  for (std::uint32_t n : {100u, 1000u}) {
    const DurationUs round = ms(10);
    const std::uint64_t rounds = 1000000 / n;
    const double rate = median_of(3, [&] {
      std::uint64_t received = 0;
      sim::WorldOptions wo;
      wo.seed = 1;
      wo.trace = false;
      wo.trace_messages = false;
      const auto names = node_names(n);
      sim::World w(names, default_network(), wo,
                   [&](Node& node, std::uint64_t) { node.add<Flood>(names, round, &received); });
      for (std::uint32_t i = 0; i < n; ++i) w.start(i);
      const auto t0 = Clock::now();
      w.run_until(static_cast<TimeUs>(rounds) * round + ms(5));
      return static_cast<double>(received) / seconds_since(t0);
    });
    out.push_back({"sim_msgs_per_sec_" + std::to_string(n) + "_nodes", rate, "msgs/s"});
  }
}

}  // namespace mabeam::bench
