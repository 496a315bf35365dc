// Tuning of the agent service (`config.agents` in a scenario or a node's config file) and
// the test-only switches that break it on purpose. Read by setup.cpp; every limit is named
// with its unit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/time.h"

namespace mabeam::agents {

// Test-only switches that break the protocol on purpose, so the checks and sweeps can be
// shown to catch each bug. Off by default and never reachable from a config file.
struct AgentBugs {
  bool duplicate_delivery = false;    // a message is handed to its agent twice
  bool ack_without_delivery = false;  // a message is acknowledged ok but never handled
  bool ignore_lease = false;          // a named agent keeps dispatching after its lease lapsed
  bool no_reorder_buffer = false;     // an item that arrives early is handed over at once
};

struct AgentsConfig {
  std::size_t mailbox_max = 1024;              // messages waiting in one agent's mailbox
  std::size_t agents_max = 100000;             // agents hosted by one node
  std::size_t channel_items_max = 4096;        // unacknowledged items from one endpoint to another
  std::size_t early_items_max = 1024;          // items buffered ahead of a gap, per channel
  std::size_t batch_items_max = 256;           // items per agent.items message
  std::size_t dispatch_batch = 64;             // items one agent handles before others get a turn
  std::size_t tombstones_max = 16384;          // ended agents remembered (to answer late items)
  DurationUs retransmit_interval = ms(200);    // unacknowledged items are sent again this often
  DurationUs call_timeout = sec(5);            // a client call or a request without its own timeout
  DurationUs spawn_timeout = sec(10);          // a remote spawn without an answer fails after this
  std::uint32_t replicas = 3;                  // nodes holding a durable agent's state, its host included
  DurationUs name_lease = sec(3);              // a node's hold on its registered names without renewal
  DurationUs registry_timeout = sec(5);        // a registry operation without an outcome fails after this
  double max_drift = 0.01;                     // config.max_drift: the clock bound leases rely on
  // The node that orders the registry's commands when no consensus service provides the
  // log (sequencer_log.h); "" = the cluster's first node.
  std::string sequencer;
  AgentBugs bugs;
};

}  // namespace mabeam::agents
