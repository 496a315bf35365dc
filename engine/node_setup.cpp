// Node assembly from configuration (see node_setup.h).
#include "engine/node_setup.h"

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
}  // namespace

Status parse_node_config(const nlohmann::json& config, const std::string& pointer, NodeSetup& out) {
  if (config.is_null()) return Status::ok();
  if (!config.is_object()) return Status::invalid(pointer + ": expected an object, found " + type_name(config));
  for (auto it = config.begin(); it != config.end(); ++it) {
    const std::string p = pointer + "/" + it.key();
    if (it.key() == "heartbeat") {
      if (!it->is_object()) return Status::invalid(p + ": expected an object, found " + type_name(*it));
      for (auto f = it->begin(); f != it->end(); ++f)
        if (f.key() != "interval" && f.key() != "down_after")
          return Status::invalid(p + "/" + f.key() + ": unknown key (expected interval or down_after)");
      if (auto s = read_duration(*it, "interval", p, out.heartbeat.interval, ms(1)); !s) return s;
      if (auto s = read_duration(*it, "down_after", p, out.heartbeat.down_after, ms(1)); !s) return s;
      if (out.heartbeat.down_after <= out.heartbeat.interval)
        return Status::invalid(p + "/down_after: expected more than interval (" + format_duration(out.heartbeat.interval) +
                               "), found " + format_duration(out.heartbeat.down_after));
    } else {
      return Status::invalid(p + ": unknown key (expected heartbeat)");
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
  node.add<HeartbeatDetector>(setup.heartbeat, setup.peers, incarnation);
}

}  // namespace mabeam
