// Reading config.agents and installing the agent services (see setup.h).
#include "engine/agents/setup.h"

#include <nlohmann/json.hpp>

#include "engine/agents/registry.h"
#include "engine/agents/sequencer_log.h"
#include "engine/agents/service.h"
#include "engine/duration.h"

namespace mabeam::agents {

namespace {

using nlohmann::json;

std::string found(const json& j) {
  if (j.is_string()) return "\"" + j.get<std::string>() + "\"";
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  return j.dump();
}

Status read_count(const json& obj, const char* key, const std::string& p, std::size_t& out, std::uint64_t min,
                  std::uint64_t max) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  if (!it->is_number_integer() || it->get<std::int64_t>() < static_cast<std::int64_t>(min) || it->get<std::uint64_t>() > max)
    return Status::invalid(p + "/" + key + ": expected a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", found " + found(*it));
  out = static_cast<std::size_t>(it->get<std::uint64_t>());
  return Status::ok();
}

Status read_duration(const json& obj, const char* key, const std::string& p, DurationUs& out, DurationUs min) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string kp = p + "/" + key;
  if (!it->is_string()) return Status::invalid(kp + ": expected a duration string like \"500ms\", found " + found(*it));
  auto d = parse_duration(it->get<std::string>());
  if (!d) return Status::invalid(kp + ": " + d.status().message());
  if (*d < min) return Status::invalid(kp + ": expected at least " + format_duration(min) + ", found " + found(*it));
  out = *d;
  return Status::ok();
}

}  // namespace

Status parse_agents_config(const json& j, const std::string& p, AgentsConfig& out) {
  if (j.is_null()) return Status::ok();
  if (!j.is_object()) return Status::invalid(p + ": expected an object, found " + found(j));
  static const char* kKeys[] = {"mailbox_max",  "agents_max", "channel_items_max", "retransmit_interval", "call_timeout",
                                "spawn_timeout", "replicas",  "name_lease",        "registry_timeout", "sequencer"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return it.key() == k; }) == std::end(kKeys))
      return Status::invalid(p + "/" + it.key() +
                             ": unknown key (expected one of mailbox_max, agents_max, channel_items_max, "
                             "retransmit_interval, call_timeout, spawn_timeout, replicas, name_lease, registry_timeout, "
                             "sequencer)");
  if (auto s = read_count(j, "mailbox_max", p, out.mailbox_max, 1, 1 << 24); !s) return s;
  if (auto s = read_count(j, "agents_max", p, out.agents_max, 1, 1 << 24); !s) return s;
  if (auto s = read_count(j, "channel_items_max", p, out.channel_items_max, 1, 1 << 24); !s) return s;
  std::size_t replicas = out.replicas;
  if (auto s = read_count(j, "replicas", p, replicas, 1, 100); !s) return s;
  out.replicas = static_cast<std::uint32_t>(replicas);
  if (auto s = read_duration(j, "retransmit_interval", p, out.retransmit_interval, ms(1)); !s) return s;
  if (auto s = read_duration(j, "call_timeout", p, out.call_timeout, ms(1)); !s) return s;
  if (auto s = read_duration(j, "spawn_timeout", p, out.spawn_timeout, ms(1)); !s) return s;
  if (auto s = read_duration(j, "name_lease", p, out.name_lease, ms(100)); !s) return s;
  if (auto s = read_duration(j, "registry_timeout", p, out.registry_timeout, ms(1)); !s) return s;
  if (auto it = j.find("sequencer"); it != j.end()) {
    if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>().size() > 64)
      return Status::invalid(p + "/sequencer: expected a node name (the node that orders the registry), found " +
                             found(*it));
    out.sequencer = it->get<std::string>();
  }
  return Status::ok();
}

void install_agents(Node& node, const AgentsSetup& setup, std::uint64_t boot) {
  if (!setup.enabled) return;
  // Without a consensus service exposing the log, one sequencer node orders the registry.
  if (!node.find<ReplicatedLog>() && !setup.config.sequencer.empty()) node.add<SequencerLog>(setup.config.sequencer);
  node.add<Registry>(setup.config, boot);
  node.add<AgentService>(setup.config, setup.types, boot);
}

}  // namespace mabeam::agents
