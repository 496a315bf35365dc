// A heartbeat failure detector: the simplest service that runs the platform end to end.
// Every `interval` each node sends a Heartbeat to each of its known peers; a peer not heard
// from for `down_after` is marked down, and marked active again when heard. Time this node
// itself stalled (a tick far later than its interval) is not counted against any peer. A
// node that stops gracefully sends Leave, and its peers mark it `left`. Each change of view is a
// `member` trace event (observer = this node). Peers come from configuration or are added
// by the host (the real transport adds a peer when a handshake completes). It has no
// indirect probes, suspicion or gossip: SWIM membership replaces it as the default.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/membership_view.h"
#include "engine/node.h"

namespace mabeam {

struct HeartbeatConfig {
  DurationUs interval = ms(1000);
  DurationUs down_after = ms(4000);
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

struct Leave {
  static constexpr MessageType kType{2, 1, "leave"};
  std::uint64_t incarnation = 0;
  void encode(Writer& w) const { w.varint(incarnation); }
  static bool decode(Reader& r, std::uint8_t, Leave& m) { return r.varint(m.incarnation); }
};

class HeartbeatDetector : public Service, public MembershipView {
 public:
  enum class PeerState { unknown, active, down, left };

  HeartbeatDetector(Node& node, HeartbeatConfig config, std::vector<std::string> peers, std::uint64_t incarnation);
  const char* name() const override { return "heartbeat"; }
  void start() override;
  // Graceful leave: tells every peer, which then marks this node `left`.
  void stop() override;
  // Starts watching a peer not in the configured list (no-op if known or self).
  void add_peer(const std::string& name) override;

  PeerState peer_state(const std::string& peer) const;
  // Names of peers currently believed active, sorted.
  std::vector<std::string> active_peers() const;

  // MembershipView
  std::vector<MemberInfo> members() const override;
  MemberState state_of(const std::string& node) const override;
  int subscribe(Listener listener) override;
  void unsubscribe(int handle) override;

 private:
  struct Peer {
    PeerState state = PeerState::unknown;
    TimeUs last_heard = 0;
    std::uint64_t incarnation = 0;
  };
  void tick();
  void on_heartbeat(const std::string& from, Heartbeat&& hb);
  void on_leave(const std::string& from, Leave&& m);
  void set_state(const std::string& name, Peer& p, PeerState s);

  HeartbeatConfig config_;
  std::map<std::string, Peer> peers_;
  std::uint64_t incarnation_;
  std::uint64_t seq_ = 0;
  TimeUs last_tick_ = -1;  // when tick() last ran: a much later tick means this node stalled
  bool stopped_ = false;
  std::map<int, Listener> listeners_;
  int next_listener_ = 1;
};

const char* to_string(HeartbeatDetector::PeerState s);

}  // namespace mabeam
