// The connection handshake, as a pure state machine (no socket): the transport feeds it the
// frames it reads and writes the frames it returns, under a deadline per step.
//
// Both ends run the same two steps, whoever dialed:
//   1. each sends Hello: protocol version, node name, advertised listen address, a session id
//      (random per process: a restarted node has a new one) and a fresh 32-byte nonce from
//      RAND_bytes;
//   2. the dialer, on the acceptor's Hello, sends Proof = HMAC-SHA256(cookie, label | role |
//      own name | peer name | own nonce | peer nonce), role being "dial" or "accept";
//   3. the acceptor checks it and only then sends its own Proof (like Erlang's handshake,
//      a stranger who dials in gets nothing computed from the cookie).
// An end is done when the peer's Proof matches (CRYPTO_memcmp, constant time). The peer's
// fresh nonce makes a recorded Proof useless later, and the role and the name order make a
// Proof reflected back at its sender wrong. Only a done handshake lets frames through to the
// node; any other frame before that, a bad version, a bad name or a bad Proof is a failure.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "engine/codec.h"
#include "engine/status.h"
#include "engine/version.h"

namespace mabeam::real {

inline constexpr std::uint16_t kProtocolVersion = kWireProtocolVersion;
inline constexpr std::size_t kNonceBytes = 32;
using Nonce = std::array<std::uint8_t, kNonceBytes>;
using Digest = std::array<std::uint8_t, 32>;

struct Hello {
  std::uint16_t version = kProtocolVersion;
  std::string name;
  std::string listen;  // host:port others can dial; host 0.0.0.0 means "the address you see"
  std::uint64_t session = 0;
  Nonce nonce{};
  void encode(Writer& w) const;
  static Result<Hello> decode(const std::uint8_t* data, std::size_t size);
};

// Fresh random bytes from OpenSSL's CSPRNG (aborts if it cannot deliver: no nonce, no trust).
Nonce random_nonce();
std::uint64_t random_u64();

// HMAC-SHA256 proof that the prover (`me`, dialing or accepting) knows the cookie.
Digest handshake_proof(const std::string& cookie, bool dialer, const Hello& me, const Hello& peer);

class Handshake {
 public:
  // `mine.nonce` should be fresh (random_nonce()).
  Handshake(std::string cookie, Hello mine, bool dialer);

  // The frame payload (kind byte included) to send first: our Hello.
  Bytes hello_frame() const;

  struct Step {
    Status status;  // not ok: the handshake failed; close the connection
    Bytes reply;    // a frame payload to send, if not empty
    bool done = false;
  };
  // Feeds one received frame payload (kind byte first).
  Step on_frame(const std::uint8_t* data, std::size_t size);

  bool done() const { return state_ == State::done; }
  // The failure was this process talking to itself (e.g. a seed list that includes it).
  bool connected_to_self() const { return connected_to_self_; }
  bool dialer() const { return dialer_; }
  const Hello& peer() const { return peer_; }
  const Hello& mine() const { return mine_; }

 private:
  enum class State { want_hello, want_proof, done, failed };
  Step fail(std::string why);
  Bytes proof_frame() const;

  std::string cookie_;
  Hello mine_;
  Hello peer_;
  bool dialer_;
  State state_ = State::want_hello;
  bool connected_to_self_ = false;
};

}  // namespace mabeam::real
