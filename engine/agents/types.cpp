// The registry of agent types (see types.h).
#include "engine/agents/types.h"

#include "engine/agents/builtins.h"
#include "engine/agents/ids.h"

namespace mabeam::agents {

Status TypeRegistry::add(AgentType type) {
  if (!valid_name(type.name)) return Status::invalid("agent type name \"" + type.name + "\" is not [A-Za-z_][A-Za-z0-9_-]*");
  if (type.version == 0) return Status::invalid("agent type " + type.name + ": version 0 (versions start at 1)");
  if (!type.make) return Status::invalid("agent type " + type.name + ": no factory");
  for (const auto& m : type.accepts)
    if (m.name.empty() || m.version == 0)
      return Status::invalid("agent type " + type.name + ": a message type needs a name and a version from 1");
  const std::string name = type.name;
  if (!types_.emplace(name, std::move(type)).second) return Status::invalid("agent type " + name + " is registered twice");
  return Status::ok();
}

const AgentType* TypeRegistry::find(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> TypeRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, t] : types_) out.push_back(n);
  return out;
}

Status TypeRegistry::check_message(const AgentType& type, const std::string& name, std::uint8_t version) {
  for (const auto& m : type.accepts) {
    if (m.name != name) continue;
    if (version == 0 || version > m.version)
      return Status::invalid("message type " + name + " version " + std::to_string(version) + " is newer than " +
                             type.name + " reads here (up to version " + std::to_string(m.version) + ")");
    return Status::ok();
  }
  std::string known;
  for (const auto& m : type.accepts) known += (known.empty() ? "" : ", ") + m.name;
  return Status::invalid("agent type " + type.name + " does not handle message type \"" + name + "\" (it handles " +
                         (known.empty() ? std::string("none") : known) + ")");
}

Status TypeRegistry::check_state(const AgentType& type, std::uint8_t version) {
  if (version == 0 || version > type.version)
    return Status::invalid("state of " + type.name + " version " + std::to_string(version) +
                           " is newer than this node reads (up to version " + std::to_string(type.version) + ")");
  return Status::ok();
}

std::shared_ptr<const TypeRegistry> builtin_types() {
  static const std::shared_ptr<const TypeRegistry> registry = [] {
    auto r = std::make_shared<TypeRegistry>();
    add_builtin_types(*r);
    return r;
  }();
  return registry;
}

}  // namespace mabeam::agents
