// Consensus configuration and installation (see setup.h).
#include "engine/consensus/setup.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/consensus/strong.h"
#include "engine/duration.h"

namespace mabeam::raft {

namespace {
using json = nlohmann::json;

std::string found(const json& j) {
  if (j.is_string()) return j.dump();
  if (j.is_number()) return j.dump();
  if (j.is_boolean()) return "a boolean";
  if (j.is_null()) return "null";
  return j.is_array() ? "an array" : "an object";
}

Status duration(const json& obj, const char* key, const std::string& p, DurationUs& out, DurationUs min) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string kp = p + "/" + key;
  if (!it->is_string()) return Status::invalid(kp + ": expected a duration string like \"500ms\", found " + found(*it));
  auto d = parse_duration(it->get<std::string>());
  if (!d) return Status::invalid(kp + ": " + d.status().message());
  if (*d < min) return Status::invalid(kp + ": expected at least " + format_duration(min) + ", found " + it->get<std::string>());
  out = *d;
  return Status::ok();
}

Status count(const json& obj, const char* key, const std::string& p, std::size_t& out, std::size_t min, std::size_t max) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string kp = p + "/" + key;
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() < min || it->get<std::uint64_t>() > max)
    return Status::invalid(kp + ": expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                           ", found " + found(*it));
  out = static_cast<std::size_t>(it->get<std::uint64_t>());
  return Status::ok();
}
}  // namespace

std::vector<std::string> default_voters(const std::vector<std::string>& peers) {
  return std::vector<std::string>(peers.begin(), peers.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(5, peers.size())));
}

Status parse_consensus_config(const json& j, const std::string& p, ConsensusSetup& out) {
  static const char* kKeys[] = {"voters", "election_timeout", "heartbeat_interval", "snapshot_entries",
                                "max_inflight", "read", "op_timeout"};
  if (!j.is_object()) return Status::invalid(p + ": expected an object, found " + found(j));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::none_of(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return it.key() == k; }))
      return Status::invalid(p + "/" + it.key() +
                             ": unknown key (expected voters, election_timeout, heartbeat_interval, snapshot_entries, "
                             "max_inflight, read or op_timeout)");
  out.configured = true;
  ConsensusConfig& c = out.config;
  if (auto it = j.find("voters"); it != j.end()) {
    const std::string vp = p + "/voters";
    if (!it->is_array() || it->empty()) return Status::invalid(vp + ": expected a non-empty array of node names, found " + found(*it));
    c.voters.clear();
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& v = (*it)[i];
      const std::string ip = vp + "/" + std::to_string(i);
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 64)
        return Status::invalid(ip + ": expected a node name, found " + found(v));
      if (std::find(c.voters.begin(), c.voters.end(), v.get<std::string>()) != c.voters.end())
        return Status::invalid(ip + ": expected a node not listed before, found " + v.dump());
      c.voters.push_back(v.get<std::string>());
    }
    out.voters_set = true;
  }
  if (auto s = duration(j, "election_timeout", p, c.election_timeout, ms(1)); !s) return s;
  if (auto s = duration(j, "heartbeat_interval", p, c.heartbeat_interval, ms(1)); !s) return s;
  if (auto s = duration(j, "op_timeout", p, c.op_timeout, ms(1)); !s) return s;
  if (c.election_timeout < 3 * c.heartbeat_interval)
    return Status::invalid(p + "/election_timeout: expected at least 3 heartbeat intervals (" +
                           format_duration(3 * c.heartbeat_interval) + "), found " + format_duration(c.election_timeout));
  if (auto s = count(j, "snapshot_entries", p, c.snapshot_entries, 0, 10000000); !s) return s;
  if (auto s = count(j, "max_inflight", p, c.max_inflight, 1, 4096); !s) return s;
  if (auto it = j.find("read"); it != j.end()) {
    if (*it == "read_index")
      c.read = ReadMode::read_index;
    else if (*it == "lease")
      c.read = ReadMode::lease;
    else
      return Status::invalid(p + "/read: expected \"read_index\" or \"lease\", found " + found(*it));
  }
  return Status::ok();
}

void install_consensus(Node& node, const ConsensusSetup& setup, const std::vector<std::string>& peers,
                       std::uint64_t incarnation) {
  if (!setup.wanted()) return;
  ConsensusConfig c = setup.config;
  if (c.voters.empty()) c.voters = default_voters(peers);
  node.add<ConsensusService>(c);
  node.add<StrongVariables>(setup.strong_vars, incarnation);
}

}  // namespace mabeam::raft
