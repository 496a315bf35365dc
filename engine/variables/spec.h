// What a distributed variable is declared as (DESIGN.md, "Scenario format", `variables`):
// its consistency level, how concurrent writes are resolved, how many replicas hold it and
// what a node in a minority partition does with writes to it. Also the registry of
// user-defined merge functions that `resolve` may name.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/time.h"

namespace mabeam::vars {

enum class Consistency { eventual, causal, session, strong };
enum class Resolve { lww, vector_clock, g_counter, pn_counter, or_set, max, min, custom };

const char* to_string(Consistency c);
const char* to_string(Resolve r);

struct VariableSpec {
  std::string name;
  Consistency consistency = Consistency::eventual;
  Resolve resolve = Resolve::lww;
  std::string merge;              // resolve == custom: the registered merge function's name
  std::uint32_t replicas = 3;     // replication factor; at least the cluster size = every node
  bool available = false;         // on_minority: "available" (true) or "readonly" (false)
};

// Tuning of the variables service (`config.variables` in a scenario).
struct VariablesConfig {
  DurationUs anti_entropy_interval = ms(500);  // one digest exchange with a random peer per interval
  DurationUs flush_interval = 0;               // eager pushes are batched this long; 0 = sent at once
  DurationUs session_wait = sec(2);            // how long a session op waits for a node to catch up
  std::size_t batch_ops_max = 4096;            // writes per message at most (anti-entropy, hand-off)
  std::size_t pending_ops_max = 65536;         // writes buffered for missing dependencies at most
  std::size_t waiting_ops_max = 1024;          // session operations waiting at most
  std::size_t log_compact_records = 1000;      // the durable log is rewritten as a snapshot once
                                               // this many records follow the last one
  std::size_t log_keep_writes = 1000;          // recent writes kept in memory per variable and
                                               // writer; a peer lacking older ones gets the state
};

// A user merge function: takes two values (JSON texts) and returns the merged one. For
// replicas to converge it must be commutative, associative and idempotent.
using MergeFn = std::function<std::string(const std::string& a, const std::string& b)>;

// Names -> merge functions. Register before loading scenarios that name them. One instance
// per process (merge_registry()); holds pure functions only, never state of a run.
class MergeRegistry {
 public:
  void add(const std::string& name, MergeFn fn) { fns_[name] = std::move(fn); }
  const MergeFn* find(const std::string& name) const {
    auto it = fns_.find(name);
    return it == fns_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, fn] : fns_) out.push_back(name);
    return out;
  }

 private:
  std::map<std::string, MergeFn> fns_;
};

// The process's registry; comes with "longest" (the longer text wins, ties by the greater
// text), an example that satisfies the merge laws.
MergeRegistry& merge_registry();

}  // namespace mabeam::vars
