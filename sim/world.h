// The simulated world: a whole cluster in one process on one virtual clock. It owns the
// scheduler, the network and, per node, a Context implementation (SimNode) with its clock,
// RNG, disk, timers and lifecycle (start, crash, restart, pause/resume, clock skew, disk
// faults). Faults and messages are traced; the trace is the run's history.
//
// Determinism: every decision depends only on the seed, the scenario and the order of
// events, which the scheduler fixes. Nodes are indexed in the order they are listed.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/node.h"
#include "sim/disk.h"
#include "sim/network.h"
#include "sim/scheduler.h"

namespace mabeam::sim {

class World;

struct WorldOptions {
  std::uint64_t seed = 1;
  std::string scenario;     // the name written in the trace header
  bool trace = true;        // record a trace at all
  bool trace_messages = true;  // msg_send / msg_recv / msg_drop lines
};

// Installs services on a freshly built node (at start and at every restart).
using NodeInstaller = std::function<void(Node& node, std::uint64_t incarnation)>;

class SimNode final : public Context {
 public:
  SimNode(World& world, std::uint32_t index, std::string name, std::uint64_t seed);
  ~SimNode() override;

  // Context
  const std::string& self() const override { return name_; }
  TimeUs now() const override;
  TimeUs wall_now() const override;
  void send(const std::string& to, const MessageType& type, Bytes message) override;
  TimerId after(DurationUs delay, TimerFn fn) override;
  void cancel(TimerId id) override;
  Rng& rng() override { return rng_; }
  Storage& storage() override { return disk_; }
  bool tracing() const override;
  void emit(const TraceEvent& event) override;

  bool up() const { return node_ != nullptr; }
  bool paused() const { return paused_; }
  Node* node() { return node_.get(); }
  SimDisk& disk() { return disk_; }
  std::uint32_t index() const { return index_; }

 private:
  friend class World;
  void fire_timer(TimerId id);
  // The global (true) delay for a local delay under this node's drift.
  DurationUs to_global(DurationUs local) const;

  World& world_;
  std::uint32_t index_;
  std::string name_;
  Rng rng_;
  SimDisk disk_;
  std::unique_ptr<Node> node_;
  bool paused_ = false;
  bool booted_ = false;  // has started at least once
  std::uint64_t boots_ = 0;  // lives so far: a connection event belongs to the life it was sent to
  std::uint64_t pauses_ = 0;  // counts pauses, so a resume ends only the pause it belongs to
  // Its latest `leader` claim since it started: the term, and the claim's order in the run.
  std::int64_t leader_term_ = -1;
  std::uint64_t leader_claim_ = 0;
  // Clock: local = local_anchor + (global - global_anchor) * (1 + drift); wall = local + offset.
  TimeUs local_anchor_ = 0, global_anchor_ = 0;
  std::int64_t drift_ppb_ = 0;  // drift in parts per billion (integer clock maths)
  DurationUs wall_offset_ = 0;
  // Timers in a slot pool: id = generation << 32 | slot, so a stale id matches nothing.
  struct TimerSlot {
    TimerFn fn;
    std::uint32_t gen = 1;
    bool armed = false;
  };
  std::vector<TimerSlot> timers_;
  std::vector<std::uint32_t> timers_free_;
  void clear_timers();
  struct Deferred {
    enum class Kind : std::uint8_t { timer, message, closed, refused };
    Kind kind;
    std::uint64_t id;  // timer id, in-flight message slot, or the peer's index
  };
  // A connection event from the world (see World, "Connections"); deferred while paused.
  void notify(Deferred::Kind kind, std::uint32_t peer);
  std::vector<Deferred> deferred_;  // what came due while paused, in order
};

class World {
 public:
  World(std::vector<std::string> names, LinkParams network, WorldOptions options, NodeInstaller installer);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  Scheduler& scheduler() { return sched_; }
  Network& network() { return net_; }
  TimeUs now() const { return sched_.now(); }
  std::size_t size() const { return nodes_.size(); }
  SimNode& node(std::uint32_t i) { return *nodes_[i]; }
  // Index of a node name; -1 if unknown.
  int index_of(const std::string& name) const;
  const std::vector<std::string>& names() const { return names_; }

  // Lifecycle and faults, effective now. Each is traced. Invalid transitions (crash of a
  // crashed node, restart of a running one) are traced as ignored and change nothing.
  void start(std::uint32_t i);
  // `disk`: what becomes of writes not yet synced (disk.h).
  void crash(std::uint32_t i, CrashDisk disk = CrashDisk::random);
  void restart(std::uint32_t i);
  // Starts a node that is not running (first start, or after a leave or crash).
  void join(std::uint32_t i);
  // Graceful stop: the node's services stop (saying goodbye), then the process exits
  // cleanly (appended writes reach the disk; nothing is lost).
  void leave(std::uint32_t i);
  void pause(std::uint32_t i, DurationUs for_us);
  void resume(std::uint32_t i);
  void clock_skew(std::uint32_t i, DurationUs offset, double drift);
  void disk_fault(std::uint32_t i, DurationUs for_us);
  // Cuts are kept in layers (network.h): "" for scripted cuts, a name of its own for each
  // cut a swarm run draws. The trace carries `layer` when it is not "".
  void partition(const std::vector<std::vector<std::string>>& groups, const std::string& layer = "");
  void partition_oneway(const std::vector<std::string>& from, const std::vector<std::string>& to,
                        const std::string& layer = "");
  void heal(const std::string& layer = "");
  void link(const std::string& from, const std::string& to, const std::optional<Latency>& latency,
            std::optional<double> loss, std::optional<double> duplicate, std::optional<double> reorder, bool both_ways);

  void run_until(TimeUs t) { sched_.run_until(t); }

  bool tracing() const { return options_.trace; }
  const std::string& trace() const { return trace_; }
  std::string take_trace() { return std::move(trace_); }
  // Emits a cluster-wide event (node "*").
  void emit_global(const TraceEvent& e);
  // Emits an event about one node on the world's behalf (e.g. the node a selector chose).
  void emit_about(const std::string& node, const TraceEvent& e) { trace_line(node, e); }

  // The node claiming leadership of the highest term among nodes that are up (the `leader`
  // trace events with `term` they emitted since they last started; of two claims of one
  // term, the later), or -1 when none does.
  int leader() const;

  struct Counters {
    std::uint64_t sent = 0, delivered = 0, dropped_partition = 0, dropped_loss = 0, dropped_node_down = 0,
                  dropped_decode = 0, duplicated = 0;
  };
  const Counters& counters() const { return counters_; }
  // Sum of every running node's metrics (crashed nodes' volatile counters are gone).
  std::map<std::string, double> node_metrics() const;

 private:
  friend class SimNode;
  struct InFlight {
    std::uint32_t from = 0, to = 0;
    std::uint64_t id = 0;
    const char* type_name = "";
    Bytes bytes;
  };
  void send_from(SimNode& from, const std::string& to, const MessageType& type, Bytes message);
  void deliver(std::uint32_t slot);
  void release(std::uint32_t slot);
  void boot(std::uint32_t i, const char* ev);
  // Drops the running node's volatile state: its services, timers and deferred messages.
  void stop_process(SimNode& n);
  void trace_line(const std::string& node, const TraceEvent& e);
  // Connections (see the file comment).
  void close_connections(std::uint32_t i);
  void refuse(std::uint32_t from, std::uint32_t dead);
  // When a control packet from -> to sent now arrives, through loss; -1 if it never does.
  TimeUs control_arrival(std::uint32_t from, std::uint32_t to);

  WorldOptions options_;
  NodeInstaller installer_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> index_;  // looked up, never iterated
  Scheduler sched_;
  Network net_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<InFlight> inflight_;
  std::vector<std::uint32_t> inflight_free_;
  std::uint64_t next_msg_id_ = 1;
  std::vector<std::uint8_t> connected_;        // n*n, symmetric: the pair has a connection
  std::vector<std::uint8_t> refusal_pending_;  // n*n: a refusal from -> dead is on its way
  std::uint64_t leader_claims_ = 0;
  Counters counters_;
  std::string trace_;
};

}  // namespace mabeam::sim
