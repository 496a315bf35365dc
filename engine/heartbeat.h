// A heartbeat failure detector: the simplest service that runs the platform end to end.
// Every `interval` each node sends a Heartbeat to each of its configured peers; a peer not
// heard from for `down_after` is marked down, and marked active again when heard. Each
// change of view is a `member` trace event (observer = this node). It knows a fixed peer
// list and nothing of joins or leaves: SWIM membership replaces it as the default detector.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/node.h"

namespace mabeam {

struct HeartbeatConfig {
  DurationUs interval = ms(500);
  DurationUs down_after = ms(2000);
};

struct Heartbeat {
  static constexpr MessageType kType{1, 1, "heartbeat"};
  std::uint64_t incarnation = 0;  // the sender's boot count: grows at every restart
  std::uint64_t seq = 0;
  void encode(Writer& w) const {
    w.varint(incarnation);
    w.varint(seq);
  }
  static bool decode(Reader& r, std::uint8_t, Heartbeat& m) { return r.varint(m.incarnation) && r.varint(m.seq); }
};

class HeartbeatDetector : public Service {
 public:
  enum class PeerState { unknown, active, down };

  HeartbeatDetector(Node& node, HeartbeatConfig config, std::vector<std::string> peers, std::uint64_t incarnation);
  const char* name() const override { return "heartbeat"; }
  void start() override;

  PeerState state_of(const std::string& peer) const;
  // Names of peers currently believed active, sorted.
  std::vector<std::string> active_peers() const;

 private:
  struct Peer {
    PeerState state = PeerState::unknown;
    TimeUs last_heard = 0;
    std::uint64_t incarnation = 0;
  };
  void tick();
  void on_heartbeat(const std::string& from, Heartbeat&& hb);
  void set_state(const std::string& name, Peer& p, PeerState s);

  HeartbeatConfig config_;
  std::map<std::string, Peer> peers_;
  std::uint64_t incarnation_;
  std::uint64_t seq_ = 0;
};

const char* to_string(HeartbeatDetector::PeerState s);

}  // namespace mabeam
