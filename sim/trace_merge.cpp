// Merging real nodes' traces onto one time base (see trace_merge.h).
#include "sim/trace_merge.h"

#include <algorithm>
#include <limits>
#include <set>

#include "engine/version.h"

namespace mabeam::sim {

namespace {

// One record as a line: t, node and ev first (the writers' order), then the other fields.
void append_record(std::string& out, TimeUs t, const TraceRecord& r) {
  out += "{\"t\":" + std::to_string(t) + ",\"node\":" + nlohmann::json(r.node).dump() + ",\"ev\":" + nlohmann::json(r.ev).dump();
  for (auto it = r.fields.begin(); it != r.fields.end(); ++it) {
    if (it.key() == "t" || it.key() == "node" || it.key() == "ev") continue;
    out += ',' + nlohmann::json(it.key()).dump() + ':' + it->dump();
  }
  out += "}\n";
}

}  // namespace

Result<std::string> merge_traces(const std::vector<std::pair<std::string, Trace>>& inputs) {
  if (inputs.size() < 2) return Status::invalid("merge needs at least two traces, found " + std::to_string(inputs.size()));
  std::int64_t base = std::numeric_limits<std::int64_t>::max();
  for (const auto& [name, trace] : inputs) {
    if (trace.header.source != "real")
      return Status::invalid(name + ": a " + trace.header.source +
                             " trace; only traces of real nodes are merged (a simulated run is one trace already)");
    if (!trace.header.start_unix_us)
      return Status::invalid(name + ": the header has no \"start_unix_us\" (written by an older mabeam node?), so its "
                                    "times cannot be put on a common clock");
    base = std::min(base, *trace.header.start_unix_us);
  }

  // Every node, in input order, each once.
  std::vector<std::string> nodes;
  std::set<std::string> seen;
  for (const auto& [name, trace] : inputs)
    for (const auto& n : trace.header.nodes)
      if (seen.insert(n).second) nodes.push_back(n);

  struct Item {
    TimeUs t;
    std::size_t input;
    std::size_t index;
  };
  std::vector<Item> items;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TimeUs shift = *inputs[i].second.header.start_unix_us - base;
    const auto& records = inputs[i].second.records;
    for (std::size_t k = 0; k < records.size(); ++k) items.push_back({records[k].t + shift, i, k});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.t < b.t; });

  std::string out = "{\"trace\":\"mabeam\",\"version\":" + std::to_string(kTraceFormatVersion) + ",\"source\":\"real\",\"scenario\":\"merged\",\"nodes\":" +
                    nlohmann::json(nodes).dump() + ",\"start_unix_us\":" + std::to_string(base) + "}\n";
  for (const Item& it : items) append_record(out, it.t, inputs[it.input].second.records[it.index]);
  return out;
}

}  // namespace mabeam::sim
