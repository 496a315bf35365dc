// The fixture of the multi-process tests (cluster_test, variables_test): real `mabeam node`
// processes started by real::LocalCluster (real/cluster_launcher.h) on 127.0.0.1 with
// ephemeral ports, in a private directory (cookie, config file, data dirs, traces, stderr
// logs), with Catch assertions on their startup and shorthands for reading a node's /status
// and /metrics and sending it HTTP requests. Every wait is bounded; every process is killed
// and reaped when the fixture goes away, even when an assertion throws.
#pragma once
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "real/cluster_launcher.h"

namespace mabeam::testing {

class NodeCluster {
 public:
  using Millis = real::Millis;
  using Node = real::LocalCluster::Node;
  static constexpr Millis kForm{8000};

  // `config_json`: the nodes' config file.
  explicit NodeCluster(const std::string& config_json) {
    auto c = real::LocalCluster::create(MABEAM_BINARY, config_json);
    INFO((c ? std::string() : c.status().message()));
    REQUIRE(c);
    local_ = std::move(*c);
  }

  // Starts node `name` (see LocalCluster::start; a restart kills and reaps the old process)
  // and requires its "listening on" and "http on" lines within 5 s.
  Node& start(const std::string& name, const std::string& seeds, const std::vector<std::string>& extra = {},
              std::uint16_t port = 0) {
    const Status s = local_->start(name, seeds, extra, port);
    INFO(s.message());
    REQUIRE(s);
    return node(name);
  }

  // Starts `mabeam portmap` on an ephemeral port; returns "127.0.0.1:PORT".
  std::string start_portmap() {
    auto addr = local_->start_portmap();
    INFO((addr ? std::string() : addr.status().message()));
    REQUIRE(addr);
    return *addr;
  }

  Node& node(const std::string& name) {
    Node* n = local_->node(name);
    INFO("node " << name);
    REQUIRE(n);
    return *n;
  }
  std::string addr(const std::string& name) const { return local_->addr(name); }

  // `name`'s /status (null if it does not answer).
  nlohmann::json status(const std::string& name) {
    const auto r = local_->request(name, "GET", "/status");
    if (r.status != 200) return nlohmann::json();
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
  }

  // The state and incarnation `observer` believes `subject` has ("" if not listed).
  std::pair<std::string, std::int64_t> view(const std::string& observer, const std::string& subject) {
    return local_->view(observer, subject);
  }
  bool sees(const std::string& observer, const std::string& subject, const std::string& state, Millis timeout) {
    return real::wait_until([&] { return view(observer, subject).first == state; }, timeout);
  }
  // Every listed node sees every other listed node active.
  bool formed(const std::vector<std::string>& names, Millis timeout = kForm) {
    return local_->formed(names, timeout, Millis(50));
  }

  // Every listed node's partition guard counts a majority (/status mode normal): formed
  // membership comes first, the guard's quorum lease a pull round or two later.
  bool writable(const std::vector<std::string>& names, Millis timeout = kForm) {
    return real::wait_until(
        [&] {
          for (const auto& n : names)
            if (status(n).value("mode", "") != "normal") return false;
          return true;
        },
        timeout, Millis(50));
  }

  // The value of one Prometheus series on `name`'s /metrics (0 if absent).
  double metric(const std::string& name, const std::string& series) {
    const auto r = real::http_get(node(name).http, "/metrics");
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return 0;
  }

  // One HTTP request to `name`'s HTTP port, with the cluster's API token.
  real::HttpReply request(const std::string& name, const std::string& method, const std::string& path,
                          const std::string& body = "") {
    node(name);
    return local_->request(name, method, path, body);
  }

  const real::TempDir& dir() const { return local_->dir(); }
  real::LocalCluster& local() { return *local_; }

 private:
  std::unique_ptr<real::LocalCluster> local_;
};

}  // namespace mabeam::testing
