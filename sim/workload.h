// The simulated clients of the variables service: issues the scenario's `write`/`read`
// events and generates its `workload` as local calls on the nodes' variables services.
//
// Determinism: each workload entry draws from its own RNG, derived from the run's seed and
// the entry's index and node, so adding a workload does not shift any other random stream.
// Operation gaps are exponential (a Poisson stream of `rate` per second).
//
// - Without `session`, each listed node runs its own stream of `rate` ops/s.
// - With `session`, the entry is one client: `rate` ops/s in total, each issued at a node
//   drawn from `nodes`, so the session moves between nodes. A session is sequential: while
//   its previous operation waits for an answer, a new one is skipped (counted).
// Session tokens are client state: they live here, not on the nodes, and survive crashes.
// Strong variables: `mixed` draws reads, writes and cas alike (values 0..4, so some cas
// match); each node's stream is one client, sequential like a session.
// An operation aimed at a node that is down or paused is not issued (counted): the client
// could not reach it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/variables/variables.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace mabeam::sim {

class ClientDriver {
 public:
  ClientDriver(World& world, const Scenario& scenario, std::uint64_t seed);
  ClientDriver(const ClientDriver&) = delete;
  ClientDriver& operator=(const ClientDriver&) = delete;

  // Schedules every write/read event and every workload stream on the world's scheduler.
  void schedule();
  // Issues one operation at a node now.
  void issue(const std::string& node, vars::ClientOp op);

  std::uint64_t issued() const { return issued_; }
  std::uint64_t processes() const { return next_process_; }
  std::uint64_t unreachable() const { return unreachable_; }
  std::uint64_t skipped_busy() const { return skipped_busy_; }

 private:
  struct Stream {
    std::size_t index;
    const WorkloadSpec* spec;
    std::string node;  // "" for a session stream (moves between nodes)
    Rng rng;
    vars::Resolve resolve;
  };
  void next(Stream& s);
  vars::ClientOp generate(Stream& s);
  // A strong variable's operation from client `client` (a node's stream or its events):
  // one operation open per client process; a process whose operation ended in info issues
  // nothing more and the client goes on under a fresh process number (Jepsen's rule).
  void issue_strong(const std::string& node, const std::string& client, const vars::ClientOp& op);
  bool strong(const std::string& var) const;

  World& world_;
  const Scenario& scenario_;
  std::uint64_t seed_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::map<std::string, vars::SessionToken> sessions_;
  static constexpr DurationUs kClientTimeout = sec(10);
  std::map<std::string, TimeUs> busy_;  // session -> since when an operation is outstanding
  std::uint64_t issued_ = 0, unreachable_ = 0, skipped_busy_ = 0;
  std::map<std::string, std::int64_t> process_of_;  // client -> its current process
  std::map<std::string, TimeUs> client_busy_;  // client -> since when its operation is open
  std::int64_t next_process_ = 0;
};

}  // namespace mabeam::sim
