// The time from kill -9 of a leader to the next acknowledged write (see bench_failover.h).
#include "real/bench_failover.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "real/bench_http.h"
#include "real/cluster_launcher.h"

namespace mabeam::real {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kFailoverClients = 2;         // writer threads per surviving member
constexpr int kFailoverRequestMs = 25;      // a request not answered by then is abandoned
const Millis kFailoverLimit(10000);         // no acknowledged write by then: an error
const Millis kSettleTimeout(20000);         // a restarted member back and a leader known

// How to write to a member, and which members are up.
struct Writer {
  std::vector<std::uint16_t> ports;  // by member
  std::string method, path, body, headers;
};

// Kills `leader` and returns the milliseconds to the first acknowledged write through the
// other members (a negative value: none within kFailoverLimit).
double time_failover(const Writer& w, int leader, const std::function<void()>& kill) {
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> first_us{-1};
  const auto t0 = Clock::now();
  kill();
  std::vector<std::thread> threads;
  for (std::size_t m = 0; m < w.ports.size(); ++m) {
    if (static_cast<int>(m) == leader) continue;
    for (int k = 0; k < kFailoverClients; ++k)
      threads.emplace_back([&, port = w.ports[m]] {
        KeepAlive conn(port, kFailoverRequestMs);
        while (!done.load() && Clock::now() - t0 < kFailoverLimit) {
          if (conn.request(w.method, w.path, w.body, w.headers) == 200) {
            const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
            std::int64_t seen = first_us.load();
            while ((seen < 0 || us < seen) && !first_us.compare_exchange_weak(seen, us)) {
            }
            done.store(true);
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // refused or "no leader": try again
          }
        }
      });
  }
  for (auto& t : threads) t.join();
  return first_us.load() < 0 ? -1.0 : static_cast<double>(first_us.load()) / 1000.0;
}

// Each member writes once, acknowledged (the connections and the leader's path are warm).
bool writes_everywhere(const Writer& w) {
  return wait_until(
      [&] {
        for (auto port : w.ports) {
          KeepAlive conn(port, 2000);
          if (conn.request(w.method, w.path, w.body, w.headers) != 200) return false;
        }
        return true;
      },
      kSettleTimeout, Millis(50));
}

void put_figures(const std::string& name, std::vector<double> v, std::vector<std::pair<std::string, double>>& out) {
  std::sort(v.begin(), v.end());
  out.emplace_back(name + "_ms", v[v.size() / 2]);
  out.emplace_back(name + "_max_ms", v.back());
}

Status mabeam_failover(const ConsensusBenchOptions& o, const std::string& value, bool tuned,
                       std::vector<std::pair<std::string, double>>& out) {
  const std::string timers = tuned ? R"(, "heartbeat_interval": "10ms", "election_timeout": "100ms")" : "";
  auto cluster = LocalCluster::create(o.binary, R"({"variables": [{"name": "x", "consistency": "strong"}],
    "config": {"consensus": {"voters": ["n1", "n2", "n3"])" + timers + "}}}");
  if (!cluster) return cluster.status();
  LocalCluster& c = **cluster;
  const std::vector<std::string> names = {"n1", "n2", "n3"};
  for (const auto& n : names)
    if (auto s = c.start(n, n == "n1" ? "" : c.addr("n1")); !s) return s;
  Writer w;
  for (const auto& n : names) w.ports.push_back(c.node(n)->http);
  w.method = "PUT";
  w.path = "/variables/x";
  w.body = json(value).dump();
  w.headers = std::string("Authorization: Bearer ") + LocalCluster::kApiToken + "\r\n";
  // The leader every member names (-1 until they agree).
  auto leader = [&]() -> int {
    std::string agreed;
    for (const auto& n : names) {
      auto j = json::parse(c.request(n, "GET", "/status").body, nullptr, false);
      const std::string l = j.is_object() ? j.value("leader", std::string()) : std::string();
      if (l.empty() || (!agreed.empty() && l != agreed)) return -1;
      agreed = l;
    }
    auto it = std::find(names.begin(), names.end(), agreed);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
  };
  std::vector<double> times;
  for (int round = 0; round < o.repeats; ++round) {
    int l = -1;
    if (!wait_until([&] { return (l = leader()) >= 0; }, kSettleTimeout, Millis(50)) || !writes_everywhere(w))
      return Status::unavailable("mabeam failover: no leader known to all three nodes, or writes refused, within 20 s");
    const std::string victim = names[static_cast<std::size_t>(l)];
    const double ms = time_failover(w, l, [&] { c.node(victim)->process->kill_and_reap(); });
    if (ms < 0) return Status::unavailable("mabeam failover: no write acknowledged within 10 s of killing the leader " + victim);
    times.push_back(ms);
    const std::uint16_t port = c.node(victim)->port;
    const std::string seed = c.addr(names[static_cast<std::size_t>((l + 1) % 3)]);
    if (auto s = c.start(victim, seed, {}, port); !s) return s;
    w.ports[static_cast<std::size_t>(l)] = c.node(victim)->http;
  }
  put_figures(std::string("consensus_mabeam_failover_") + (tuned ? "tuned" : "default"), times, out);
  return Status::ok();
}

Status etcd_failover(const ConsensusBenchOptions& o, const std::string& value, bool tuned,
                     std::vector<std::pair<std::string, double>>& out) {
  std::vector<std::string> flags;
  if (tuned) flags = {"--heartbeat-interval", "10", "--election-timeout", "100"};
  auto cluster = EtcdCluster::start(o.etcd, flags);
  if (!cluster) return cluster.status();
  EtcdCluster& c = **cluster;
  Writer w;
  w.ports = c.client_ports();
  w.method = "POST";
  w.path = "/v3/kv/put";
  w.body = json{{"key", base64("x")}, {"value", base64(value)}}.dump();
  w.headers = "Content-Type: application/json\r\n";
  std::vector<double> times;
  for (int round = 0; round < o.repeats; ++round) {
    int l = -1;
    if (!wait_until([&] { return (l = c.leader()) >= 0; }, kSettleTimeout, Millis(50)) || !writes_everywhere(w))
      return Status::unavailable("etcd failover: no leader, or writes refused, within 20 s");
    const double ms = time_failover(w, l, [&] { c.kill(l); });
    if (ms < 0) return Status::unavailable("etcd failover: no write acknowledged within 10 s of killing the leader");
    times.push_back(ms);
    if (auto s = c.restart(l); !s) return s;
    if (!c.healthy(kSettleTimeout)) return Status::unavailable("etcd failover: the restarted member did not rejoin within 20 s");
  }
  put_figures(std::string("consensus_etcd_failover_") + (tuned ? "tuned" : "default"), times, out);
  return Status::ok();
}

}  // namespace

Status run_failover_benchmarks(std::vector<std::pair<std::string, double>>& out, const ConsensusBenchOptions& options) {
  const std::string value(options.value_bytes, 'v');
  for (bool tuned : {false, true}) {
    if (auto s = mabeam_failover(options, value, tuned, out); !s) return s;
    if (auto s = etcd_failover(options, value, tuned, out); !s) return s;
  }
  return Status::ok();
}

}  // namespace mabeam::real
