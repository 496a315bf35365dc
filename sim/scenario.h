// A scenario as the simulator runs it: the in-memory form of the JSON scenario format
// (DESIGN.md, "Scenario format"). load_scenario() is strict: any unknown key, wrong type,
// unknown node name or out-of-range value is an error naming the JSON pointer, what was
// expected and what was found, and nothing is simulated. scenarios/schema.json describes
// the same format.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/agents/agent.h"
#include "engine/node_setup.h"
#include "engine/status.h"
#include "engine/time.h"
#include "engine/variables/setup.h"

namespace mabeam::sim {

struct Latency {
  enum class Dist { fixed, uniform, normal, exponential, pareto };
  Dist dist = Dist::uniform;
  DurationUs value = 0;             // fixed
  DurationUs min = ms(1), max = ms(5);  // uniform
  DurationUs mean = 0, stddev = 0;  // normal (mean, stddev), exponential (mean)
  DurationUs scale = 0;             // pareto
  double shape = 0;                 // pareto
};

// What a crash does to writes not yet synced (the `disk` of a `crash` event).
enum class CrashDisk { random, lose_unsynced, keep_unsynced };

// Parameters of one directed link (or the default for all links).
struct LinkParams {
  Latency latency;
  double loss = 0.0;
  double duplicate = 0.0;
  double reorder = 0.0;
};

struct LinkOverride {
  std::string from, to;
  std::optional<Latency> latency;
  std::optional<double> loss, duplicate, reorder;
};

struct NodeSpec {
  std::string name;
  std::vector<std::string> capabilities;
  std::map<std::string, double> resources;
  DurationUs start = 0;  // when the node starts; 0 = at the beginning
  bool starts_by_join = false;  // no `start` and a `join` event names it: it starts at its first join
};

// One scripted fault or operation. Only the fields of its verb are set.
struct ScenarioEvent {
  enum class Verb { crash, restart, pause, partition, partition_oneway, heal, link, clock_skew, disk_fault, join, leave,
                    write, read, cas, add_voter, remove_voter, transfer_leader, spawn, send, kill_agent };
  TimeUs at = 0;
  Verb verb = Verb::crash;
  std::string node;                            // crash, restart, pause, clock_skew, disk_fault, join, leave,
                                               // write, read, cas; add_voter, remove_voter, transfer_leader
  DurationUs duration = 0;                     // pause "for", disk_fault "for"
  std::vector<std::vector<std::string>> groups;  // partition: complete (left-out nodes form one more group)
  std::vector<std::string> from, to;           // partition_oneway (messages from -> to are cut); link: from/to
  bool both_ways = false;                      // link: apply to to->from as well
  std::optional<Latency> latency;              // link
  std::optional<double> loss, duplicate, reorder;  // link
  DurationUs offset = 0;                       // clock_skew: wall clock jumps by offset (may be negative)
  double drift = 0.0;                          // clock_skew: clock rate error, e.g. 0.001 = 1000 ppm fast
  std::string var;                             // write, read: the variable
  std::string value;                           // write: the value as JSON text ("" = the default); cas: the new value
  std::string expected;                        // cas: the expected value as JSON text ("null" = unset)
  std::string op;                              // write: set/add/remove/incr ("" = the variable's default); read: "read"
  std::string session;                         // write, read: the client session ("" = none)
  CrashDisk disk = CrashDisk::random;          // crash: what becomes of unsynced writes
  std::string layer;                           // partition, partition_oneway, heal: the cut layer ("" = scripted)
  // Fault selectors (DESIGN.md, "Exploring seeds"). With `selector` set, the target is
  // chosen when the event fires: "leader", "random" or "$X" for `node` (or, with `isolate`,
  // the node a partition cuts off alone), "halves" for a partition's groups. `chosen` marks
  // a target already resolved (a sweep writes them so): the event is traced as if its
  // selector `chosen` had picked `node` (or `groups`). `as` names the chosen node for
  // later "$X" targets.
  std::string selector;
  std::string chosen;
  std::string as;
  bool isolate = false;                        // partition: `node` (or the selector's node) alone against the rest
  // Agents (scenario_agents.h). spawn: `node` hosts it, or best (refused until placement
  // exists); send: `target` (its `to`: an agent name), `msg`, from the client of `node`; kill_agent:
  // `agent`, `reason`, from the client of `node`.
  std::string agent_type;                      // spawn
  std::string agent;                           // spawn: its name ("" = unnamed); kill_agent: the target
  std::string state;                           // spawn: the initial state as JSON text ("" = the default)
  bool durable = false;                        // spawn
  agents::PlacementSpec placement;             // spawn: demand, requires, affinity, anti_affinity (stored)
  std::string target;                          // send: the agent's name
  std::string msg;                             // send: the message as JSON text
  std::string reason;                          // kill_agent
  std::size_t index = 0;                       // position in the file's /events (before sorting)
};

// A generated stream of client operations (`workload`): on each listed node, operations at
// `rate` per second (exponential gaps) from `start` until `stop`.
struct WorkloadSpec {
  enum class Kind { writes, reads, mixed, messages };
  Kind kind = Kind::writes;
  std::string var;                  // writes, reads, mixed
  double rate = 1.0;                // operations per second on each node
  std::vector<std::string> nodes;   // empty = all
  TimeUs start = 0, stop = 0;
  std::string session;              // "" = none; else one session per node: "<session>@<node>"
  std::vector<std::string> to;      // messages: agent names, each message to one drawn from them
  std::string to_type;              // messages with "to": "all": every scenario agent of this type
  std::string msg;                  // messages: the message as JSON text
};

// The mean gap between a stream's operations, in whole microseconds, for the integer
// exponential sampler (Rng::exponential): one exact IEEE division, rounded, so the same on
// every platform. rate is above 0 (the loader checks); a rate below 1e-6/s counts as 1e-6.
inline std::int64_t mean_gap_us(double rate) {
  return rate < 1e-6 ? 1'000'000'000'000 : static_cast<std::int64_t>(1e6 / rate + 0.5);
}

struct Check {
  std::string check;        // detected_down, no_false_down, members_converged, readonly_minority, variables_converged,
                            // causal_order, session_guarantees, single_leader_per_term, linearizable,
                            // no_lost_writes
  std::string node;         // detected_down
  std::string var;          // linearizable: the strong variable whose history is judged
  DurationUs within = 0;    // detected_down, readonly_minority (default 5s)
  TimeUs by = 0;            // members_converged, variables_converged
  DurationUs grace = sec(5);  // no_false_down: how far back a fault still explains a down mark
  // no_false_down: a link whose mean latency is past this excuses a mark. The loader sets it
  // from the detector's configuration: SWIM's probe_timeout, the heartbeat's down_after.
  DurationUs probe_timeout = ms(125);
  std::string agent;          // agent_state: the counter agent's name
};

// An fsync of a few hundred microseconds, as on an SSD.
inline Latency default_sync_latency() {
  Latency l;
  l.dist = Latency::Dist::uniform;
  l.min = us(100);
  l.max = ms(1);
  return l;
}
// The `swarm` block: faults each seed of `mabeam sweep --swarm` draws for itself (sim/swarm.h).
struct SwarmSpec {
  enum Kind { crash, pause, partition, partition_oneway, link, clock_skew, disk_fault, kinds };
  TimeUs window_start = 0, window_end = 0;  // every drawn fault starts and ends within
  std::uint32_t max_down = 0;                // nodes crashed, paused or cut off from the largest group at once
  std::uint32_t faults[kinds] = {};          // the most of each kind a seed may draw
  struct Range {
    DurationUs min = 0, max = 0;
  };
  // How long each kind of fault lasts (from its start to its end: restart, resume, heal,
  // restore), at most the window's length.
  Range lasts[kinds] = {{sec(1), sec(10)}, {ms(100), sec(5)}, {sec(1), sec(10)}, {sec(1), sec(10)},
                        {sec(1), sec(10)}, {sec(1), sec(10)}, {ms(100), sec(5)}};
  double link_loss_min = 0.0, link_loss_max = 0.3;  // a drawn link fault's loss
  Range link_latency{0, ms(100)};                   // a drawn link fault's latency
  DurationUs clock_offset_max = sec(2);             // |offset| of a drawn clock skew
  double clock_drift_max = 0.005;                   // |drift| of a drawn clock skew (default max_drift / 2)
};
const char* to_string(SwarmSpec::Kind k);

struct Scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  DurationUs duration = sec(10);
  std::vector<NodeSpec> nodes;
  LinkParams network;                    // default for every directed link
  Latency disk_sync_latency = default_sync_latency();  // "disk": {"sync_latency": ...}
  std::vector<LinkOverride> links;       // per-direction overrides, applied in order
  NodeSetup setup;                       // from "config"; peers = every node name
  bool trace_messages = true;            // "trace": {"messages": bool}: msg_send/msg_recv lines
  vars::VariablesSetup variables;        // "variables" and "config"/"variables"; cluster = every node
  std::vector<WorkloadSpec> workload;
  std::vector<ScenarioEvent> events;     // sorted by `at`, stable
  std::vector<Check> expect;
  std::optional<SwarmSpec> swarm;        // only `mabeam sweep --swarm` draws from it
  std::string source;                    // file path it was loaded from, "" if from text
  // Agents: every name a spawn event (or a supervisor's child spec) gives, and its type.
  std::map<std::string, std::string> agent_names;
  bool uses_agents() const;
};

// Parses a scenario. `source` names the file in messages. JSON syntax errors give line and
// column; semantic errors give the JSON pointer.
Result<Scenario> parse_scenario(const std::string& text, const std::string& source = "");
Result<Scenario> load_scenario_file(const std::string& path);

const char* to_string(ScenarioEvent::Verb v);

}  // namespace mabeam::sim
