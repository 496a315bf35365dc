// Reading the variables configuration and installing the services (see setup.h).
#include "engine/variables/setup.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/duration.h"
#include "engine/variables/partition_guard.h"
#include "engine/variables/variables.h"

namespace mabeam::vars {

namespace {

using nlohmann::json;

constexpr std::size_t kVariablesMax = 1000;
constexpr std::uint64_t kReplicasMax = 10000;
constexpr std::uint64_t kLogRecordsMax = 100000000;  // log_compact_records, log_keep_writes

std::string found(const json& j) {
  if (j.is_string()) return "\"" + j.get<std::string>() + "\"";
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  return j.dump();
}

Status expected(const std::string& p, const std::string& what, const json& j) {
  return Status::invalid(p + ": expected " + what + ", found " + found(j));
}

Status read_enum(const json& obj, const char* key, const std::string& p, const std::vector<std::string>& allowed,
                 std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string kp = p + "/" + key;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  if (!it->is_string()) return expected(kp, "one of " + list, *it);
  out = it->get<std::string>();
  if (std::find(allowed.begin(), allowed.end(), out) == allowed.end()) return expected(kp, "one of " + list, *it);
  return Status::ok();
}

Status read_duration(const json& obj, const char* key, const std::string& p, DurationUs& out, DurationUs min) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string kp = p + "/" + key;
  if (!it->is_string()) return expected(kp, "a duration string like \"500ms\"", *it);
  auto d = parse_duration(it->get<std::string>());
  if (!d) return Status::invalid(kp + ": " + d.status().message());
  if (*d < min) return expected(kp, "at least " + format_duration(min), *it);
  out = *d;
  return Status::ok();
}

Status read_count(const json& obj, const char* key, const std::string& p, std::size_t& out, std::uint64_t max) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string what = "a whole number from 1 to " + std::to_string(max);
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::uint64_t>() > max)
    return expected(p + "/" + key, what, *it);
  out = static_cast<std::size_t>(it->get<std::uint64_t>());
  return Status::ok();
}

Status parse_one(const json& v, const std::string& p, VariableSpec& spec) {
  if (!v.is_object()) return expected(p, "a variable object like {\"name\": \"x\", \"resolve\": \"lww\"}", v);
  for (auto it = v.begin(); it != v.end(); ++it)
    if (it.key() != "name" && it.key() != "consistency" && it.key() != "resolve" && it.key() != "replicas" &&
        it.key() != "on_minority")
      return Status::invalid(p + "/" + it.key() +
                             ": unknown key (expected one of name, consistency, resolve, replicas, on_minority)");
  auto name = v.find("name");
  if (name == v.end()) return Status::invalid(p + "/name: required key is missing (expected a variable name)");
  if (!name->is_string() || name->get<std::string>().empty() || name->get<std::string>().size() > 64)
    return expected(p + "/name", "a variable name of 1 to 64 characters", *name);
  spec.name = name->get<std::string>();
  std::string consistency = "eventual";
  if (auto s = read_enum(v, "consistency", p, {"eventual", "causal", "session", "strong"}, consistency); !s) return s;
  spec.consistency = consistency == "causal"    ? Consistency::causal
                     : consistency == "session" ? Consistency::session
                     : consistency == "strong"  ? Consistency::strong
                                                : Consistency::eventual;
  if (spec.consistency == Consistency::strong)
    for (const char* key : {"resolve", "replicas", "on_minority"})
      if (v.contains(key))
        return Status::invalid(p + "/" + key +
                               ": does not apply to a strong variable (a register held by the consensus group's voters: "
                               "read, write, cas)");
  if (auto it = v.find("resolve"); it != v.end()) {
    const std::string rp = p + "/resolve";
    std::string list = "lww, vector_clock, g_counter, pn_counter, or_set, max, min";
    for (const auto& n : merge_registry().names()) list += ", " + n;
    if (!it->is_string()) return expected(rp, "one of " + list, *it);
    const std::string r = it->get<std::string>();
    if (r == "lww") spec.resolve = Resolve::lww;
    else if (r == "vector_clock") spec.resolve = Resolve::vector_clock;
    else if (r == "g_counter") spec.resolve = Resolve::g_counter;
    else if (r == "pn_counter") spec.resolve = Resolve::pn_counter;
    else if (r == "or_set") spec.resolve = Resolve::or_set;
    else if (r == "max") spec.resolve = Resolve::max;
    else if (r == "min") spec.resolve = Resolve::min;
    else if (merge_registry().find(r)) {
      spec.resolve = Resolve::custom;
      spec.merge = r;
    } else {
      return expected(rp, "one of " + list + " (a registered merge function)", *it);
    }
  }
  if (auto it = v.find("replicas"); it != v.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() < 1 || it->get<std::uint64_t>() > kReplicasMax)
      return expected(p + "/replicas", "a replica count from 1 to 10000", *it);
    spec.replicas = static_cast<std::uint32_t>(it->get<std::uint64_t>());
  }
  std::string on_minority = "readonly";
  if (auto s = read_enum(v, "on_minority", p, {"readonly", "available"}, on_minority); !s) return s;
  spec.available = on_minority == "available";
  return Status::ok();
}

}  // namespace

Status parse_variables_tuning(const json& t, const std::string& p, VariablesConfig& out) {
  if (t.is_null()) return Status::ok();
  if (!t.is_object()) return expected(p, "an object", t);
  for (auto it = t.begin(); it != t.end(); ++it)
    if (it.key() != "anti_entropy_interval" && it.key() != "flush_interval" && it.key() != "session_wait" &&
        it.key() != "log_compact_records" && it.key() != "log_keep_writes")
      return Status::invalid(p + "/" + it.key() +
                             ": unknown key (expected one of anti_entropy_interval, flush_interval, session_wait, "
                             "log_compact_records, log_keep_writes)");
  if (auto s = read_duration(t, "anti_entropy_interval", p, out.anti_entropy_interval, ms(1)); !s) return s;
  if (auto s = read_duration(t, "flush_interval", p, out.flush_interval, 0); !s) return s;
  if (auto s = read_duration(t, "session_wait", p, out.session_wait, 0); !s) return s;
  if (auto s = read_count(t, "log_compact_records", p, out.log_compact_records, kLogRecordsMax); !s) return s;
  if (auto s = read_count(t, "log_keep_writes", p, out.log_keep_writes, kLogRecordsMax); !s) return s;
  return Status::ok();
}

Status parse_guard_config(const json& t, const std::string& p, GuardConfig& out) {
  if (t.is_null()) return Status::ok();
  if (!t.is_object()) return expected(p, "an object", t);
  for (auto it = t.begin(); it != t.end(); ++it)
    if (it.key() != "quorum_lease" && it.key() != "round" && it.key() != "fanout")
      return Status::invalid(p + "/" + it.key() + ": unknown key (expected one of quorum_lease, round, fanout)");
  if (auto s = read_duration(t, "quorum_lease", p, out.quorum_lease, ms(10)); !s) return s;
  if (auto s = read_duration(t, "round", p, out.round, ms(1)); !s) return s;
  std::size_t fanout = 0;
  if (auto s = read_count(t, "fanout", p, fanout, 64); !s) return s;
  if (fanout > 0) out.fanout = static_cast<int>(fanout);
  if (out.quorum_lease > 0 && out.round > 0 && out.round * 2 > out.quorum_lease)
    return expected(p + "/round", "at most half the quorum_lease (" + format_duration(out.quorum_lease) + ")", t["round"]);
  return Status::ok();
}

Status parse_variables_config(const json& root, const std::string& pointer, VariablesSetup& out) {
  if (!root.is_object()) return Status::ok();
  if (auto c = root.find("config"); c != root.end() && c->is_object())
    if (auto t = c->find("variables"); t != c->end())
      if (auto s = parse_variables_tuning(*t, pointer + "/config/variables", out.config); !s) return s;
  auto vs = root.find("variables");
  if (vs == root.end()) return Status::ok();
  const std::string p = pointer + "/variables";
  if (!vs->is_array() || vs->size() > kVariablesMax) return expected(p, "an array of at most 1000 variables", *vs);
  for (std::size_t i = 0; i < vs->size(); ++i) {
    const std::string ip = p + "/" + std::to_string(i);
    VariableSpec spec;
    if (auto s = parse_one((*vs)[i], ip, spec); !s) return s;
    for (const auto& other : out.variables)
      if (other.name == spec.name) return expected(ip + "/name", "a name not used by another variable", (*vs)[i]["name"]);
    out.variables.push_back(std::move(spec));
  }
  return Status::ok();
}

void install_variables(Node& node, const VariablesSetup& setup) {
  const bool eventual = std::any_of(setup.variables.begin(), setup.variables.end(),
                                    [](const VariableSpec& v) { return v.consistency != Consistency::strong; });
  if (!eventual && !setup.guard) return;
  node.add<PartitionGuard>(setup.cluster, setup.cluster_size, setup.guard_config);
  // Strong variables belong to the consensus group (engine/consensus/strong.h), not here.
  std::vector<VariableSpec> others;
  for (const auto& v : setup.variables)
    if (v.consistency != Consistency::strong) others.push_back(v);
  if (!others.empty()) node.add<VariablesService>(others, setup.config);
}

}  // namespace mabeam::vars
