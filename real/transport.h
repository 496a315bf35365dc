// The TCP transport between real nodes: it carries the engine's messages (the bytes of
// engine/codec.h) in frames (framing.h) over authenticated connections (handshake.h).
//
// - One connection per peer pair. Both ends may dial; when two connections to one peer are
//   up at once, both ends keep the same one: the one dialed by the lexicographically smaller
//   name, unless the peer restarted (a new session id), in which case the newer wins.
// - Each peer has a bounded send queue (frames and bytes). A message that does not fit is
//   shed: counted and traced as msg_drop with reason "queue_full". A message for a name with
//   no known address is shed as "no_route". Queued frames are written in large batches.
// - A lost connection is re-dialed at once, then with exponential backoff and jitter. A
//   closed connection is only a hint, and a refused dial only evidence: the failure detector
//   decides whether a peer is down. A dial that the peer's host accepted but that was reset
//   or closed before the peer sent a byte (the backlog of a listener closing as its process
//   dies) is dialed once more at once, so a dead peer's refusal comes without a backoff.
// - Keepalive: an idle connection sends a ping every keepalive interval; one that hears
//   nothing for the idle timeout is closed. TCP keepalive and TCP_NODELAY are on.
// - A peer that fails the handshake is dropped and logged, and nothing it sent reaches the
//   node. Oversized frames and undecodable messages drop that connection, never the node.
// - Discovery: static seeds (dialed until a handshake names them), addresses learned from the
//   port mapper (learn()), and the address book that connected peers exchange (a `peers`
//   control frame on every new connection), so seeding everyone with one node forms a mesh.
// - When a handshake completes the peer is reported through on_peer_up (the node daemon hands
//   it to the failure detector's add_peer).
//
// All of it runs on the node's thread (the io_context's one runner).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/node.h"
#include "real/asio_context.h"
#include "real/framing.h"
#include "real/net_util.h"

namespace mabeam::real {

struct TransportConfig {
  std::string name;
  std::string cookie;
  HostPort listen;
  std::uint64_t session = 0;  // this process's handshake session id; 0: drawn at random
  std::size_t frame_bytes_max = kFrameBytesMaxDefault;
  std::size_t send_queue_frames_max = 65536;
  std::size_t send_queue_bytes_max = 32u << 20;
  std::size_t connections_max = 1024;
  DurationUs handshake_step_timeout = sec(3);
  DurationUs connect_timeout = sec(3);
  DurationUs reconnect_min = ms(50);
  DurationUs reconnect_max = sec(2);
  DurationUs keepalive_interval = sec(1);
  DurationUs idle_timeout = sec(15);
  bool log_connections = true;  // connection up/down lines on stderr
};

struct TransportStats {
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t handshakes_ok = 0;
  std::uint64_t handshake_failures = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_dialed = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t connections_refused = 0;  // over connections_max
  std::uint64_t dial_failures = 0;
  std::uint64_t dials_refused = 0;  // of which refused by the peer's host (nothing listening)
  std::uint64_t dropped_queue_full = 0;
  std::uint64_t dropped_no_route = 0;
  std::uint64_t dropped_too_large = 0;
  std::uint64_t dropped_undecodable = 0;  // messages of an unknown type or version
  std::uint64_t corrupt_connections = 0;  // connections dropped for undecodable bytes
  std::uint64_t oversized_frames = 0;
  std::uint64_t connections_open = 0;  // gauge
  std::uint64_t peers_connected = 0;   // gauge
};

struct PeerInfo {
  std::string name;
  std::string addr;
  bool connected = false;
  std::size_t queued_frames = 0;
};

class Transport final : public MessageSink {
 public:
  Transport(boost::asio::io_context& io, AsioContext& ctx, Node& node, TransportConfig config);
  ~Transport() override;

  // Binds and starts accepting. Error: io_error naming the address.
  Status listen();
  std::uint16_t local_port() const;
  // host:port that peers are told to dial (the listen host with the bound port).
  std::string advertised() const;

  // Called (on the node's thread) for every peer whose handshake completes: the host hands
  // it to the failure detector.
  void on_peer_up(std::function<void(const std::string&)> fn);
  // Called when the established connection in use for a peer closes (not while the
  // transport itself closes): a hint for the failure detector, which decides.
  void on_peer_down(std::function<void(const std::string&)> fn);
  // Called when a connection attempt to a known peer is refused (ECONNREFUSED: nothing
  // listens at its address): evidence for the failure detector, not proof (the address may
  // be a process that is restarting).
  void on_peer_refused(std::function<void(const std::string&)> fn);

  void add_seed(const HostPort& addr);
  // A peer's address from discovery; dials it if not connected.
  void learn(const std::string& name, const std::string& addr);

  void send(const std::string& to, const MessageType& type, Bytes message) override;

  std::vector<PeerInfo> peers() const;
  std::string addr_of(const std::string& name) const;
  const TransportStats& stats() const;
  std::size_t queued_frames(const std::string& peer) const;

  // Calls done() once every connected peer's queue is written out, or after `timeout`.
  void flush(DurationUs timeout, std::function<void()> done);
  // Stops accepting and dialing and closes every connection.
  void close();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mabeam::real
