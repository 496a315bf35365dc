// A node's counters and gauges, by name. Services bump them; the real runtime exposes them
// as Prometheus text, the simulator folds them into the run's report. Ordered by name so
// every listing is stable.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace mabeam {

class Metrics {
 public:
  void inc(const std::string& counter, double by = 1.0) { counters_[counter] += by; }
  void set(const std::string& gauge, double value) { gauges_[gauge] = value; }
  double counter(const std::string& name) const {
    auto it = counters_.find(name);
    return it == counters_.end() ? 0.0 : it->second;
  }
  double gauge(const std::string& name) const {
    auto it = gauges_.find(name);
    return it == gauges_.end() ? 0.0 : it->second;
  }
  const std::map<std::string, double>& counters() const { return counters_; }
  const std::map<std::string, double>& gauges() const { return gauges_; }

 private:
  std::map<std::string, double> counters_;
  std::map<std::string, double> gauges_;
};

}  // namespace mabeam
