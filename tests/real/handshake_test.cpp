// The cookie handshake: the same cookie completes it on both ends; a different cookie, a
// replayed proof, a wrong protocol version or an out-of-order frame fails it; and a peer that
// stops half-way through is cut off by the step deadline without reaching the node.
#include <catch2/catch.hpp>
#include <thread>

#include "process_harness.h"
#include "real/framing.h"
#include "real/handshake.h"
#include "real/real_node.h"

using namespace mabeam;
using namespace mabeam::real;

namespace {
Hello hello(const std::string& name, std::uint64_t session) {
  Hello h;
  h.name = name;
  h.listen = "127.0.0.1:1";
  h.session = session;
  h.nonce = random_nonce();
  return h;
}

// Runs a dialer `a` against an acceptor `b`; returns each end's last status.
std::pair<Status, Status> run(Handshake& a, Handshake& b) {
  Bytes ha = a.hello_frame(), hb = b.hello_frame();
  auto sa = a.on_frame(hb.data(), hb.size());  // the dialer proves first
  auto sb = b.on_frame(ha.data(), ha.size());
  if (!sa.status || !sb.status) return {sa.status, sb.status};
  REQUIRE(sb.reply.empty());  // the acceptor says nothing cookie-derived before a valid proof
  auto fb = b.on_frame(sa.reply.data(), sa.reply.size());
  if (!fb.status) return {Status::unavailable("no proof received"), fb.status};
  auto fa = a.on_frame(fb.reply.data(), fb.reply.size());
  return {fa.status, fb.status};
}
}  // namespace

TEST_CASE("handshake: the same cookie completes on both ends", "[real]") {
  Handshake a("secret", hello("n1", 1), true), b("secret", hello("n2", 2), false);
  auto [sa, sb] = run(a, b);
  CHECK(sa.is_ok());
  CHECK(sb.is_ok());
  CHECK(a.done());
  CHECK(b.done());
  CHECK(a.peer().name == "n2");
  CHECK(b.peer().name == "n1");
}

TEST_CASE("handshake: a different cookie is refused on both ends", "[real]") {
  Handshake a("secret", hello("n1", 1), true), b("guess", hello("mallory", 2), false);
  auto [sa, sb] = run(a, b);
  CHECK_FALSE(sa.is_ok());
  CHECK_FALSE(sb.is_ok());
  CHECK(sb.message().find("does not match") != std::string::npos);
  CHECK_FALSE(a.done());
  CHECK_FALSE(b.done());

  // And the other way round: a stranger accepting with a wrong cookie is refused by the dialer.
  Handshake c("secret", hello("n1", 1), true), d("guess", hello("mallory", 2), false);
  Bytes hc = c.hello_frame(), hd = d.hello_frame();
  auto sc = c.on_frame(hd.data(), hd.size());
  REQUIRE(d.on_frame(hc.data(), hc.size()).status.is_ok());
  // mallory cannot verify n1's proof either, and a forged answer does not pass.
  CHECK_FALSE(d.on_frame(sc.reply.data(), sc.reply.size()).status.is_ok());
  Bytes forged(33, 0);
  forged[0] = static_cast<std::uint8_t>(FrameKind::proof);
  CHECK_FALSE(c.on_frame(forged.data(), forged.size()).status.is_ok());
}

TEST_CASE("handshake: a proof recorded from an earlier handshake is refused (fresh nonces)", "[real]") {
  Handshake a1("secret", hello("n1", 1), true), b1("secret", hello("n2", 2), false);
  Bytes ha = a1.hello_frame(), hb = b1.hello_frame();
  auto sa = a1.on_frame(hb.data(), hb.size());
  REQUIRE(sa.status.is_ok());
  const Bytes recorded_proof = sa.reply;  // n1's proof for n2's first nonce

  Handshake b2("secret", hello("n2", 2), false);  // a new handshake: new nonce on n2's side
  Bytes old_hello = ha;
  auto s2 = b2.on_frame(old_hello.data(), old_hello.size());
  REQUIRE(s2.status.is_ok());
  auto replay = b2.on_frame(recorded_proof.data(), recorded_proof.size());
  CHECK_FALSE(replay.status.is_ok());
}

TEST_CASE("handshake: a proof reflected back at its sender is refused", "[real]") {
  Handshake a("secret", hello("n1", 1), true), b("secret", hello("n2", 2), false);
  Bytes hb = b.hello_frame();
  auto sa = a.on_frame(hb.data(), hb.size());
  REQUIRE(sa.status.is_ok());
  auto back = a.on_frame(sa.reply.data(), sa.reply.size());
  CHECK_FALSE(back.status.is_ok());
}

TEST_CASE("handshake: a wrong protocol version, a bad name and an out-of-order frame are refused", "[real]") {
  {
    Handshake a("secret", hello("n1", 1), true);
    Hello old = hello("n2", 2);
    old.version = 99;
    Writer w;
    w.u8(static_cast<std::uint8_t>(FrameKind::hello));
    old.encode(w);
    Bytes f = w.take();
    auto s = a.on_frame(f.data(), f.size());
    CHECK_FALSE(s.status.is_ok());
    CHECK(s.status.message().find("protocol version 99") != std::string::npos);
  }
  {
    Handshake a("secret", hello("n1", 1), true);
    Hello bad = hello("bad name!", 2);
    Writer w;
    w.u8(static_cast<std::uint8_t>(FrameKind::hello));
    bad.encode(w);
    Bytes f = w.take();
    CHECK_FALSE(a.on_frame(f.data(), f.size()).status.is_ok());
  }
  {
    Handshake a("secret", hello("n1", 1), true);
    const std::uint8_t message[] = {0, 1, 0, 1};
    CHECK_FALSE(a.on_frame(message, sizeof message).status.is_ok());
  }
  {
    Handshake a("secret", hello("n1", 1), true);
    const std::uint8_t truncated[] = {static_cast<std::uint8_t>(FrameKind::hello), 1, 0, 2, 'n'};
    CHECK_FALSE(a.on_frame(truncated, sizeof truncated).status.is_ok());
  }
}

namespace {
// An in-process node without HTTP or services, run on its own thread.
struct InProcessNode {
  explicit InProcessNode(DurationUs handshake_timeout) {
    RealNodeConfig cfg;
    cfg.name = "target";
    cfg.listen = HostPort{"127.0.0.1", 0};
    cfg.cookie = "secret";
    cfg.install_services = false;
    cfg.handle_signals = false;
    cfg.transport.handshake_step_timeout = handshake_timeout;
    cfg.transport.log_connections = false;
    node = std::make_unique<RealNode>(std::move(cfg));
    REQUIRE(node->open().is_ok());
    thread = std::thread([this] { node->run(); });
  }
  ~InProcessNode() {
    node->request_stop();
    thread.join();
  }
  TransportStats stats() {
    TransportStats s;
    node->call([&] { s = node->transport().stats(); });
    return s;
  }
  std::unique_ptr<RealNode> node;
  std::thread thread;
};
}  // namespace

TEST_CASE("handshake: a peer that stops half-way is cut off at the step deadline", "[real]") {
  InProcessNode target(ms(200));
  testing::RawSocket s(target.node->listen_port(), Millis(3000));
  REQUIRE(s.connected());
  // Half of a hello frame, then silence.
  Bytes hello_frame;
  Hello h = hello("slowpoke", 7);
  Writer w;
  w.u8(static_cast<std::uint8_t>(FrameKind::hello));
  h.encode(w);
  Bytes body = w.take();
  append_frame_header(hello_frame, body.size());
  hello_frame.insert(hello_frame.end(), body.begin(), body.begin() + static_cast<long>(body.size() / 2));
  REQUIRE(s.send_all(hello_frame));
  const auto start = std::chrono::steady_clock::now();
  auto [bytes, eof] = s.read_to_eof();  // the node's own hello, then the close
  const auto waited = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
  CHECK(eof);
  CHECK(waited.count() >= 150);
  CHECK(waited.count() < 2000);
  CHECK(wait_until([&] { return target.stats().handshake_failures == 1; }, Millis(1000)));
  CHECK(target.stats().handshakes_ok == 0);
}

TEST_CASE("handshake: over TCP, the right cookie is accepted and a wrong one refused", "[real]") {
  InProcessNode target(sec(2));
  for (const std::string cookie : {"secret", "wrong"}) {
    testing::RawSocket s(target.node->listen_port());
    REQUIRE(s.connected());
    Handshake me(cookie, hello("client", 9), true);
    Bytes out;
    Bytes hf = me.hello_frame();
    append_frame_header(out, hf.size());
    out.insert(out.end(), hf.begin(), hf.end());
    REQUIRE(s.send_all(out));
    auto read_frame = [&](Bytes& payload) {
      std::uint8_t len[4];
      if (!s.read_exact(len, 4)) return false;
      const std::size_t n = static_cast<std::size_t>(len[0]) << 24 | len[1] << 16 | len[2] << 8 | len[3];
      payload.resize(n);
      return n < 4096 && s.read_exact(payload.data(), n);
    };
    Bytes their_hello, their_proof;
    REQUIRE(read_frame(their_hello));
    auto step = me.on_frame(their_hello.data(), their_hello.size());
    REQUIRE(step.status.is_ok());
    Bytes proof;
    append_frame_header(proof, step.reply.size());
    proof.insert(proof.end(), step.reply.begin(), step.reply.end());
    REQUIRE(s.send_all(proof));
    const bool got_proof = read_frame(their_proof);
    if (cookie == "secret") {
      REQUIRE(got_proof);
      CHECK(me.on_frame(their_proof.data(), their_proof.size()).done);
      CHECK(wait_until([&] { return target.stats().handshakes_ok == 1; }, Millis(1000)));
    } else {
      // The node verifies our proof before sending its own: a wrong cookie gets nothing more.
      CHECK_FALSE(got_proof);
      CHECK(wait_until([&] { return target.stats().handshake_failures == 1; }, Millis(1000)));
      CHECK(target.stats().handshakes_ok == 1);
    }
  }
}
