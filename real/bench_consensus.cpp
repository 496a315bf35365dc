// mabeam's strong variables against etcd on loopback (see bench_consensus.h).
#include "real/bench_consensus.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "real/bench_failover.h"
#include "real/bench_http.h"
#include "real/cluster_launcher.h"

namespace mabeam::real {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

const Millis kLeaderTimeout(20000);

struct Target {
  std::vector<std::uint16_t> ports;  // client k uses ports[k % size]
  std::string headers;               // extra request headers, each ending in \r\n
  std::string method, write_path, write_body, read_method, read_path, read_body;
};

struct Run {
  double ops_per_s = 0, p50_us = 0, p99_us = 0;
  std::uint64_t errors = 0;
};

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

double median(std::vector<double> v) { return percentile(v, 0.5); }

// `clients` threads, each with its own connection, one request open at a time, for `seconds`.
Run load(const Target& t, bool writes, int clients, double seconds) {
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::atomic<std::uint64_t> errors{0};
  const auto stop = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto begin = Clock::now();
  std::vector<std::thread> threads;
  for (int k = 0; k < clients; ++k) {
    threads.emplace_back([&, k] {
      KeepAlive conn(t.ports[static_cast<std::size_t>(k) % t.ports.size()]);
      auto& mine = lat[static_cast<std::size_t>(k)];
      while (Clock::now() < stop) {
        const auto t0 = Clock::now();
        const int status = writes ? conn.request(t.method, t.write_path, t.write_body, t.headers)
                                  : conn.request(t.read_method, t.read_path, t.read_body, t.headers);
        if (status == 200)
          mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        else
          errors.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  std::vector<double> all;
  for (const auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  Run r;
  r.ops_per_s = static_cast<double>(all.size()) / elapsed;
  r.p50_us = percentile(all, 0.5);
  r.p99_us = percentile(all, 0.99);
  r.errors = errors.load();
  return r;
}

// Writes and reads against one system: figures named consensus_<system>_...
void measure(const std::string& system, const Target& t, const ConsensusBenchOptions& o,
             std::vector<std::pair<std::string, double>>& out, std::map<std::string, double>& by_name) {
  auto put = [&](const std::string& name, double v) {
    out.emplace_back(name, v);
    by_name[name] = v;
  };
  load(t, true, 1, 0.3);  // warm up: connections, the leader's first entries
  std::uint64_t errors = 0;
  for (int c : o.clients) {
    std::vector<double> rate, p50, p99;
    for (int i = 0; i < o.repeats; ++i) {
      const Run r = load(t, true, c, o.seconds_per_figure);
      errors += r.errors;
      rate.push_back(r.ops_per_s);
      p50.push_back(r.p50_us);
      p99.push_back(r.p99_us);
    }
    const std::string cs = "c" + std::to_string(c);
    put("consensus_" + system + "_writes_" + cs + "_per_s", median(rate));
    put("consensus_" + system + "_write_p50_" + cs + "_us", median(p50));
    put("consensus_" + system + "_write_p99_" + cs + "_us", median(p99));
  }
  std::vector<double> p50, p99;
  for (int i = 0; i < o.repeats; ++i) {
    const Run r = load(t, false, 1, o.seconds_per_figure);
    errors += r.errors;
    p50.push_back(r.p50_us);
    p99.push_back(r.p99_us);
  }
  put("consensus_" + system + "_read_p50_us", median(p50));
  put("consensus_" + system + "_read_p99_us", median(p99));
  put("consensus_" + system + "_errors", static_cast<double>(errors));  // requests not answered 200, all runs
}

Status bench_mabeam(const ConsensusBenchOptions& o, const std::string& value, std::vector<std::pair<std::string, double>>& out,
                    std::map<std::string, double>& by_name) {
  auto cluster = LocalCluster::create(o.binary, R"({"variables": [{"name": "x", "consistency": "strong"}],
    "config": {"consensus": {"voters": ["n1", "n2", "n3"]}}})");
  if (!cluster) return cluster.status();
  LocalCluster& c = **cluster;
  for (const char* n : {"n1", "n2", "n3"})
    if (auto s = c.start(n, std::string(n) == "n1" ? "" : c.addr("n1")); !s) return s;
  const bool led = wait_until(
      [&] {
        for (const char* n : {"n1", "n2", "n3"}) {
          auto j = json::parse(c.request(n, "GET", "/status").body, nullptr, false);
          if (!j.is_object() || j.value("leader", std::string()).empty()) return false;
        }
        return true;
      },
      kLeaderTimeout, Millis(50));
  if (!led) return Status::unavailable("mabeam: no leader known on all three nodes within 20 s");
  Target t;
  for (const char* n : {"n1", "n2", "n3"}) t.ports.push_back(c.node(n)->http);
  t.headers = std::string("Authorization: Bearer ") + LocalCluster::kApiToken + "\r\n";
  t.method = "PUT";
  t.write_path = "/variables/x";
  t.write_body = json(value).dump();
  t.read_method = "GET";
  t.read_path = "/variables/x";
  measure("mabeam", t, o, out, by_name);
  return Status::ok();
}

Status bench_etcd(const ConsensusBenchOptions& o, const std::string& value, std::vector<std::pair<std::string, double>>& out,
                  std::map<std::string, double>& by_name) {
  auto cluster = EtcdCluster::start(o.etcd);
  if (!cluster) return cluster.status();
  Target t;
  t.ports = (*cluster)->client_ports();
  t.headers = "Content-Type: application/json\r\n";
  t.method = "POST";
  t.write_path = "/v3/kv/put";
  t.write_body = json{{"key", base64("x")}, {"value", base64(value)}}.dump();
  t.read_method = "POST";
  t.read_path = "/v3/kv/range";
  t.read_body = json{{"key", base64("x")}}.dump();
  measure("etcd", t, o, out, by_name);
  return Status::ok();
}

}  // namespace

Status run_consensus_benchmarks(std::vector<std::pair<std::string, double>>& out, const ConsensusBenchOptions& options) {
  const std::string value(options.value_bytes, 'v');
  std::map<std::string, double> f;
  if (auto s = bench_mabeam(options, value, out, f); !s) return s;
  if (auto s = bench_etcd(options, value, out, f); !s) return s;
  for (int c : options.clients) {
    const std::string cs = "c" + std::to_string(c);
    const double e = f["consensus_etcd_writes_" + cs + "_per_s"];
    if (e > 0) out.emplace_back("consensus_write_ratio_" + cs, f["consensus_mabeam_writes_" + cs + "_per_s"] / e);
  }
  if (f["consensus_mabeam_read_p50_us"] > 0)
    out.emplace_back("consensus_read_p50_ratio", f["consensus_etcd_read_p50_us"] / f["consensus_mabeam_read_p50_us"]);
  return run_failover_benchmarks(out, options);
}

}  // namespace mabeam::real
