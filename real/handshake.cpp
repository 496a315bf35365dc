// Cookie challenge/response handshake (see handshake.h).
#include "real/handshake.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "real/framing.h"
#include "real/net_util.h"

namespace mabeam::real {

namespace {
constexpr const char* kProofLabel = "mabeam-handshake-v1";
}

void Hello::encode(Writer& w) const {
  w.u16(version);
  w.str(name);
  w.str(listen);
  w.u64(session);
  for (auto b : nonce) w.u8(b);
}

Result<Hello> Hello::decode(const std::uint8_t* data, std::size_t size) {
  Reader r(data, size);
  Hello h;
  r.u16(h.version);
  // A newer peer may add fields after ours; the version check comes first so it is reported.
  if (r.ok() && h.version != kProtocolVersion)
    return Status::refused("protocol version " + std::to_string(h.version) + " (this build speaks " +
                           std::to_string(kProtocolVersion) + ")");
  r.str(h.name, 64);
  r.str(h.listen, 300);
  r.u64(h.session);
  for (auto& b : h.nonce) r.u8(b);
  if (!r.ok()) return Status::corrupt("hello: " + r.error());
  if (!r.at_end()) return Status::corrupt("hello: " + std::to_string(r.remaining()) + " trailing bytes");
  if (!valid_node_name(h.name)) return Status::refused("hello: invalid node name");
  return h;
}

Nonce random_nonce() {
  Nonce n{};
  if (RAND_bytes(n.data(), static_cast<int>(n.size())) != 1) {
    std::fputs("mabeam: RAND_bytes failed: no secure randomness for handshake nonces\n", stderr);
    std::abort();
  }
  return n;
}

std::uint64_t random_u64() {
  const Nonce n = random_nonce();
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | n[static_cast<std::size_t>(i)];
  return v;
}

Digest handshake_proof(const std::string& cookie, bool dialer, const Hello& me, const Hello& peer) {
  Writer w;
  w.str(kProofLabel);
  w.str(dialer ? "dial" : "accept");
  w.str(me.name);
  w.str(peer.name);
  for (auto b : me.nonce) w.u8(b);
  for (auto b : peer.nonce) w.u8(b);
  const Bytes data = w.take();
  Digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), cookie.data(), static_cast<int>(cookie.size()), data.data(), data.size(), out.data(), &len) ==
          nullptr ||
      len != out.size()) {
    std::fputs("mabeam: HMAC-SHA256 failed\n", stderr);
    std::abort();
  }
  return out;
}

Handshake::Handshake(std::string cookie, Hello mine, bool dialer)
    : cookie_(std::move(cookie)), mine_(std::move(mine)), dialer_(dialer) {}

Bytes Handshake::hello_frame() const {
  Writer w;
  w.u8(static_cast<std::uint8_t>(FrameKind::hello));
  mine_.encode(w);
  return w.take();
}

Bytes Handshake::proof_frame() const {
  const Digest proof = handshake_proof(cookie_, dialer_, mine_, peer_);
  Bytes out(1 + proof.size());
  out[0] = static_cast<std::uint8_t>(FrameKind::proof);
  std::copy(proof.begin(), proof.end(), out.begin() + 1);
  return out;
}

Handshake::Step Handshake::fail(std::string why) {
  state_ = State::failed;
  Step s;
  s.status = Status::refused(std::move(why));
  return s;
}

Handshake::Step Handshake::on_frame(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return fail("empty frame");
  const auto kind = static_cast<FrameKind>(data[0]);
  switch (state_) {
    case State::want_hello: {
      if (kind != FrameKind::hello) return fail("expected hello, got frame kind " + std::to_string(data[0]));
      auto h = Hello::decode(data + 1, size - 1);
      if (!h) return fail(h.status().message());
      if (h->name == mine_.name && h->session == mine_.session) {
        connected_to_self_ = true;
        return fail("connected to itself");
      }
      if (h->name == mine_.name) return fail("peer claims this node's own name " + h->name);
      peer_ = std::move(*h);
      state_ = State::want_proof;
      // The dialer proves first; the acceptor answers only a valid proof, so a stranger who
      // dials in learns nothing computed from the cookie.
      Step s;
      if (dialer_) s.reply = proof_frame();
      return s;
    }
    case State::want_proof: {
      if (kind != FrameKind::proof) return fail("expected proof, got frame kind " + std::to_string(data[0]));
      const Digest expected = handshake_proof(cookie_, !dialer_, peer_, mine_);
      if (size - 1 != expected.size() || CRYPTO_memcmp(expected.data(), data + 1, expected.size()) != 0)
        return fail("cookie proof from " + peer_.name + " does not match (different cookie?)");
      state_ = State::done;
      Step s;
      if (!dialer_) s.reply = proof_frame();
      s.done = true;
      return s;
    }
    case State::done: return fail("handshake already done");
    case State::failed: return fail("handshake already failed");
  }
  return fail("unreachable");
}

}  // namespace mabeam::real
