// The registry of agent types and the message types each reads, by name and version
// (DESIGN.md, "Agents": "a type registered by name and version (like a message type)").
//
// Versioning rule: a type at version N writes its state in version N and reads states of
// versions 1..N, so a state written by N is read by N and by N+1 (a rolling upgrade, a
// hand-off from an older node). The same holds for each message type it accepts. A state or
// message of a version newer than the reader's, or of a type the reader does not know, is
// refused with an error naming both versions; it never reaches the agent.
//
// A registry is filled at start-up and read-only afterwards. Each agent service is given
// one (the built-in types by default: builtin_types()), so the nodes of one simulated
// cluster may run different versions of a type, as a rolling upgrade does.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/agents/agent.h"
#include "engine/status.h"

namespace mabeam::agents {

struct MessageTypeInfo {
  std::string name;
  std::uint8_t version = 1;  // the newest version the agent type reads
};

struct AgentType {
  std::string name;
  std::uint8_t version = 1;  // the state version it writes (and the newest it reads)
  std::vector<MessageTypeInfo> accepts;  // the message types its agents handle
  std::function<std::unique_ptr<Agent>()> make;
};

class TypeRegistry {
 public:
  // Errors: a name already registered, an empty name or factory, version 0.
  Status add(AgentType type);
  const AgentType* find(const std::string& name) const;
  std::vector<std::string> names() const;

  // Whether agents of `type` read a message of (name, version); the error says why not.
  static Status check_message(const AgentType& type, const std::string& name, std::uint8_t version);
  // Whether `type` reads a state written by `version`.
  static Status check_state(const AgentType& type, std::uint8_t version);

 private:
  std::map<std::string, AgentType> types_;
};

// The built-in types (builtins.h): counter, kv, echo, pinger, supervisor.
std::shared_ptr<const TypeRegistry> builtin_types();

}  // namespace mabeam::agents
