// Names of event kinds and membership states, shared by the reader, the index and the views.
#include "viz/model/trace.h"

#include <array>

namespace mabeam::viz {
namespace {
constexpr std::array<const char*, kKindCount> kKindNames = {
    "node_start", "node_crash", "node_restart", "node_pause", "node_resume", "msg_send",
    "msg_recv", "msg_drop", "partition", "partition_oneway", "heal", "member", "mode",
    "var_write", "var_read", "leader", "agent_spawn", "agent_migrate_begin", "agent_migrate_end",
    "agent_stop", "metric", "other"};
constexpr std::array<const char*, 7> kStateNames = {"unknown", "joining", "active", "suspect",
                                                     "down", "leaving", "left"};
}  // namespace

const char* kind_name(Kind k) { return kKindNames[static_cast<std::size_t>(k)]; }

Kind kind_from_name(std::string_view name) {
  for (int i = 0; i < kKindCount - 1; ++i)
    if (name == kKindNames[static_cast<std::size_t>(i)]) return static_cast<Kind>(i);
  return Kind::Other;
}

const char* member_state_name(MemberState s) { return kStateNames[static_cast<std::size_t>(s)]; }

MemberState member_state_from_name(std::string_view name) {
  for (std::size_t i = 1; i < kStateNames.size(); ++i)
    if (name == kStateNames[i]) return static_cast<MemberState>(i);
  return MemberState::Unknown;
}

}  // namespace mabeam::viz
