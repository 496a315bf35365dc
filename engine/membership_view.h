// What other services may ask of the failure detector / membership service: who is in the
// cluster, in which state, and notifications when that changes (nodeup/nodedown, like
// Erlang's net_kernel:monitor_nodes). The heartbeat detector implements it today; SWIM
// membership implements it when it lands, so services written against this interface
// (variables, partition guard, placement) work over either.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/time.h"

namespace mabeam {

enum class MemberState { joining, active, suspect, down, leaving, left };
const char* to_string(MemberState s);

struct MemberInfo {
  std::string name;
  MemberState state = MemberState::joining;
  std::uint64_t incarnation = 0;
  TimeUs last_heard = 0;  // local monotonic time this node last heard from it (self: now)
  std::string addr;       // transport address when known (real world), "" in the simulator
  std::vector<std::string> capabilities;
  std::map<std::string, double> resources;
  double load = 0.0;
  std::uint32_t agents = 0;
};

class MembershipView {
 public:
  virtual ~MembershipView() = default;
  // Every node this node knows of, self included, sorted by name.
  virtual std::vector<MemberInfo> members() const = 0;
  // The state of one node; `left` for self after stop(); unknown nodes report `down`.
  virtual MemberState state_of(const std::string& node) const = 0;

  // A node the host has found (the real transport completed a handshake with it): start
  // watching it, or join through it. No-op for self or a node already known.
  virtual void add_peer(const std::string& node) = 0;
  // A hint from the host that `node` may be gone (the real transport's connection to it
  // closed). A hint never marks a node down by itself: a detector may check the node at
  // once and let its own protocol decide. Ignored by default.
  virtual void hint_unreachable(const std::string& node) { (void)node; }
  // Evidence from the host that no process listens at `node`'s address: a connection
  // attempt to it was refused (the real transport's dial got ECONNREFUSED; the simulator
  // refuses for a crashed node). Evidence, not proof: the address may belong to a process
  // that restarts, which then comes back with a higher incarnation. Ignored by default.
  virtual void hint_refused(const std::string& node) { (void)node; }

  // Called on every state change of another node (from, to). Returns a handle.
  using Listener = std::function<void(const std::string& node, MemberState from, MemberState to)>;
  virtual int subscribe(Listener listener) = 0;
  virtual void unsubscribe(int handle) = 0;
};

}  // namespace mabeam
