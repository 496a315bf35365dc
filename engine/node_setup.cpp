// Node assembly from configuration (see node_setup.h).
#include "engine/node_setup.h"

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "engine/duration.h"

namespace mabeam {

namespace {
std::string type_name(const nlohmann::json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

Status read_duration(const nlohmann::json& obj, const char* key, const std::string& pointer, DurationUs& out,
                     DurationUs min) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string p = pointer + "/" + key;
  if (!it->is_string()) return Status::invalid(p + ": expected a duration string like \"500ms\", found " + type_name(*it));
  auto d = parse_duration(it->get<std::string>());
  if (!d) return Status::invalid(p + ": " + d.status().message());
  if (*d < min) return Status::invalid(p + ": expected at least " + format_duration(min) + ", found " + it->get<std::string>());
  out = *d;
  return Status::ok();
}

Status read_int(const nlohmann::json& obj, const char* key, const std::string& pointer, int& out, int min, int max) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string p = pointer + "/" + key;
  if (!it->is_number_integer())
    return Status::invalid(p + ": expected an integer, found " + (it->is_number() ? it->dump() : type_name(*it)));
  const auto v = it->get<std::int64_t>();
  if (v < min || v > max)
    return Status::invalid(p + ": expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                           ", found " + std::to_string(v));
  out = static_cast<int>(v);
  return Status::ok();
}

Status parse_heartbeat(const nlohmann::json& j, const std::string& p, HeartbeatConfig& hb) {
  if (!j.is_object()) return Status::invalid(p + ": expected an object, found " + type_name(j));
  for (auto f = j.begin(); f != j.end(); ++f)
    if (f.key() != "interval" && f.key() != "down_after")
      return Status::invalid(p + "/" + f.key() + ": unknown key (expected interval or down_after)");
  if (auto s = read_duration(j, "interval", p, hb.interval, ms(1)); !s) return s;
  if (auto s = read_duration(j, "down_after", p, hb.down_after, ms(1)); !s) return s;
  if (hb.down_after <= hb.interval)
    return Status::invalid(p + "/down_after: expected more than interval (" + format_duration(hb.interval) + "), found " +
                           format_duration(hb.down_after));
  return Status::ok();
}

Status parse_membership(const nlohmann::json& j, const std::string& p, MembershipConfig& m) {
  static const char* kKeys[] = {"probe_interval",   "probe_timeout",     "indirect_probes", "suspicion_mult",
                                "suspicion_max_mult", "retransmit_mult", "push_pull_interval", "join_timeout",
                                "seeds",            "health_max",        "piggyback_bytes_max", "reap_after"};
  if (!j.is_object()) return Status::invalid(p + ": expected an object, found " + type_name(j));
  for (auto f = j.begin(); f != j.end(); ++f)
    if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return f.key() == k; }) == std::end(kKeys))
      return Status::invalid(p + "/" + f.key() +
                             ": unknown key (expected probe_interval, probe_timeout, indirect_probes, suspicion_mult, "
                             "suspicion_max_mult, retransmit_mult, push_pull_interval, join_timeout, seeds, health_max, "
                             "piggyback_bytes_max or reap_after)");
  if (auto s = read_duration(j, "probe_interval", p, m.probe_interval, ms(1)); !s) return s;
  if (auto s = read_duration(j, "probe_timeout", p, m.probe_timeout, ms(1)); !s) return s;
  if (auto s = read_duration(j, "push_pull_interval", p, m.push_pull_interval, ms(1)); !s) return s;
  if (auto s = read_duration(j, "join_timeout", p, m.join_timeout, ms(1)); !s) return s;
  if (auto s = read_duration(j, "reap_after", p, m.reap_after, ms(1)); !s) return s;
  if (auto s = read_int(j, "indirect_probes", p, m.indirect_probes, 0, 16); !s) return s;
  if (auto s = read_int(j, "suspicion_mult", p, m.suspicion_mult, 1, 100); !s) return s;
  if (auto s = read_int(j, "suspicion_max_mult", p, m.suspicion_max_mult, 1, 100); !s) return s;
  if (auto s = read_int(j, "retransmit_mult", p, m.retransmit_mult, 1, 100); !s) return s;
  if (auto s = read_int(j, "health_max", p, m.health_max, 1, 64); !s) return s;
  int bytes = static_cast<int>(m.piggyback_bytes_max);
  if (auto s = read_int(j, "piggyback_bytes_max", p, bytes, 64, 1 << 20); !s) return s;
  m.piggyback_bytes_max = static_cast<std::size_t>(bytes);
  if (m.probe_timeout > m.probe_interval)
    return Status::invalid(p + "/probe_timeout: expected at most probe_interval (" + format_duration(m.probe_interval) +
                           "), found " + format_duration(m.probe_timeout));
  if (auto it = j.find("seeds"); it != j.end()) {
    if (!it->is_array()) return Status::invalid(p + "/seeds: expected an array of node names, found " + type_name(*it));
    m.seeds.clear();
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& e = (*it)[i];
      if (!e.is_string() || e.get<std::string>().empty())
        return Status::invalid(p + "/seeds/" + std::to_string(i) + ": expected a node name, found " +
                               (e.is_string() ? std::string("an empty string") : type_name(e)));
      m.seeds.push_back(e.get<std::string>());
    }
    m.seeds_set = true;
  }
  return Status::ok();
}
}  // namespace

Status parse_node_config(const nlohmann::json& config, const std::string& pointer, NodeSetup& out) {
  out.detector = Detector::swim;  // the default for configured nodes
  if (config.is_null()) return Status::ok();
  if (!config.is_object()) return Status::invalid(pointer + ": expected an object, found " + type_name(config));
  bool has_heartbeat = false, has_membership = false, has_detector = false;
  for (auto it = config.begin(); it != config.end(); ++it) {
    const std::string p = pointer + "/" + it.key();
    if (it.key() == "heartbeat") {
      has_heartbeat = true;
      if (auto s = parse_heartbeat(*it, p, out.heartbeat); !s) return s;
    } else if (it.key() == "membership") {
      has_membership = true;
      if (auto s = parse_membership(*it, p, out.membership); !s) return s;
    } else if (it.key() == "detector") {
      has_detector = true;
      if (!it->is_string() || (*it != "swim" && *it != "heartbeat"))
        return Status::invalid(p + ": expected \"swim\" or \"heartbeat\", found " + (it->is_string() ? it->dump() : type_name(*it)));
      out.detector = *it == "swim" ? Detector::swim : Detector::heartbeat;
    } else if (it.key() == "variables") {
      if (auto s = vars::parse_variables_tuning(*it, p, out.variables.config); !s) return s;
    } else if (it.key() == "agents") {
      if (auto s = agents::parse_agents_config(*it, p, out.agents.config); !s) return s;
      out.agents.enabled = true;
    } else if (it.key() == "partition_guard") {
      if (auto s = vars::parse_guard_config(*it, p, out.variables.guard_config); !s) return s;
    } else if (it.key() == "consensus") {
      if (auto s = raft::parse_consensus_config(*it, p, out.consensus); !s) return s;
    } else if (it.key() == "max_drift") {
      if (!it->is_number() || it->get<double>() < 0.0 || it->get<double>() > 0.1)
        return Status::invalid(p + ": expected a clock drift rate from 0 to 0.1 (e.g. 0.01 = 1%), found " +
                               (it->is_number() ? it->dump() : type_name(*it)));
      out.max_drift = it->get<double>();
      out.variables.guard_config.max_drift = out.max_drift;
      out.consensus.config.max_drift = out.max_drift;
      out.agents.config.max_drift = out.max_drift;
    } else {
      return Status::invalid(p + ": unknown key (expected detector, membership, heartbeat, variables, partition_guard, "
                             "consensus, max_drift or agents)");
    }
  }
  if (!has_detector) out.detector = has_heartbeat && !has_membership ? Detector::heartbeat : Detector::swim;
  if (out.detector == Detector::heartbeat && has_membership)
    return Status::invalid(pointer + "/membership: has no effect with \"detector\": \"heartbeat\" (remove one of them)");
  return Status::ok();
}

Status parse_node_info(const nlohmann::json& doc, const std::string& pointer, swim::NodeInfo& out) {
  if (!doc.is_object()) return Status::ok();
  if (auto it = doc.find("capabilities"); it != doc.end()) {
    const std::string p = pointer + "/capabilities";
    if (!it->is_array()) return Status::invalid(p + ": expected an array of strings, found " + type_name(*it));
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& e = (*it)[i];
      if (!e.is_string() || e.get<std::string>().empty())
        return Status::invalid(p + "/" + std::to_string(i) + ": expected a non-empty string, found " + type_name(e));
      out.capabilities.push_back(e.get<std::string>());
    }
  }
  if (auto it = doc.find("resources"); it != doc.end()) {
    const std::string p = pointer + "/resources";
    if (!it->is_object()) return Status::invalid(p + ": expected an object of numbers, found " + type_name(*it));
    for (auto r = it->begin(); r != it->end(); ++r) {
      if (!r->is_number() || r->get<double>() < 0)
        return Status::invalid(p + "/" + r.key() + ": expected a non-negative number, found " +
                               (r->is_number() ? r->dump() : type_name(*r)));
      out.resources[r.key()] = r->get<double>();
    }
  }
  return Status::ok();
}

Result<std::uint64_t> record_boot(Storage& storage) {
  static const std::string kFile = "node.boot";
  auto records = storage.read(kFile);
  std::uint64_t boots = 0;
  if (records && !records->empty()) {
    Reader r(records->back());
    if (!r.varint(boots)) return Status::corrupt("node.boot: " + r.error());
  }
  ++boots;
  Writer w;
  w.varint(boots);
  if (auto s = storage.rewrite(kFile, {w.take()}); !s) return s;
  return boots;
}

void install_services(Node& node, const NodeSetup& setup, std::uint64_t incarnation) {
  if (setup.detector == Detector::heartbeat) {
    node.add<HeartbeatDetector>(setup.heartbeat, setup.peers, incarnation);
  } else {
    std::vector<std::string> seeds = setup.membership.seeds;
    if (!setup.membership.seeds_set && !setup.peers.empty()) seeds = {setup.peers.front()};
    swim::NodeInfo info;
    if (auto it = setup.node_info.find(node.name()); it != setup.node_info.end()) info = it->second;
    node.add<Membership>(setup.membership, std::move(seeds), incarnation, std::move(info));
  }
  vars::install_variables(node, setup.variables);
  raft::ConsensusSetup consensus = setup.consensus;
  consensus.strong_vars.clear();
  for (const auto& v : setup.variables.variables)
    if (v.consistency == vars::Consistency::strong) consensus.strong_vars.push_back(v.name);
  raft::install_consensus(node, consensus, setup.peers, incarnation);
  agents::AgentsSetup agents = setup.agents;
  if (agents.enabled && agents.config.sequencer.empty() && !setup.peers.empty()) agents.config.sequencer = setup.peers.front();
  agents::install_agents(node, agents, incarnation);
}

}  // namespace mabeam
