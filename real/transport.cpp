// The TCP transport (see transport.h).
#include "real/transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "real/accept_backoff.h"
#include "real/handshake.h"
#include "real/tcp_listen.h"

namespace mabeam::real {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr std::size_t kReadChunkBytes = 64 * 1024;
constexpr std::size_t kPeerListMax = 4096;

std::chrono::microseconds micros(DurationUs d) { return std::chrono::microseconds(d); }
}  // namespace

struct Peer;

// One TCP connection, from dial or accept through handshake to close. Owned by the
// transport's set of live connections and by its pending handlers.
struct Conn : std::enable_shared_from_this<Conn> {
  enum class State { connecting, handshaking, established, closed };

  Conn(Transport::Impl& impl, asio::io_context& io, bool dialer_, std::size_t frame_bytes_max)
      : t(impl), sock(io), timer(io), dialer(dialer_), reader(frame_bytes_max) {}

  void start();
  void read();
  bool process();
  void on_frame(const std::uint8_t* data, std::size_t size);
  void on_established_frame(const std::uint8_t* data, std::size_t size);
  void arm_step_deadline();
  void send_control(FrameKind kind, const Bytes& body);
  void schedule_pump();
  void pump();
  // `quiet`: an expected close (the losing side of a duplicate) that is not worth a log line.
  void close(const std::string& why, bool quiet = false);
  void fail_handshake(const std::string& why);
  // Closes after a socket error; notes when a dialed connection was reset or closed before
  // the peer sent a single byte (see lost_unheard).
  void close_on_error(const error_code& ec, const std::string& why);

  Transport::Impl& t;
  tcp::socket sock;
  asio::steady_timer timer;  // connect and handshake-step deadlines
  bool dialer;
  State state = State::connecting;
  std::optional<Handshake> hs;
  FrameReader reader;
  std::vector<std::uint8_t> out;  // connection-level frames: handshake and control
  std::size_t out_frames = 0;
  std::vector<std::uint8_t> wbuf;  // the batch being written
  std::size_t wframes = 0;
  bool writing = false;
  bool pump_posted = false;
  Peer* peer = nullptr;  // set while this is the peer's chosen connection
  std::string peer_name;
  std::uint64_t peer_session = 0;
  std::string remote;      // ip:port, for logs
  std::string dialed_for;  // the peer this was dialed for, if any
  int seed_index = -1;     // the seed this was dialed for, if any
  TimeUs last_rx = 0;
  TimeUs last_tx = 0;
  TimeUs established_at = 0;
  bool heard = false;  // the peer sent at least one byte
  // Dialed, then reset or closed before the peer sent anything: the kernel accepted it into
  // the backlog of a listener that closed (a process dying, its listener closed a moment
  // after its connections), not a process that spoke and refused us.
  bool lost_unheard = false;
};

struct Peer {
  std::string name;
  std::string addr;
  std::shared_ptr<Conn> conn;     // the established connection in use
  std::shared_ptr<Conn> dialing;  // an outbound attempt in progress
  std::vector<std::uint8_t> queue;
  std::size_t queue_frames = 0;
  DurationUs backoff = 0;
  std::unique_ptr<asio::steady_timer> retry;
  bool retry_armed = false;
  bool reported_unreachable = false;
  bool redialed_unheard = false;  // a dial lost unheard was re-dialed at once since the last handshake
};

struct SeedDial {
  HostPort addr;
  std::shared_ptr<Conn> dialing;
  bool bound = false;  // a handshake named it: from now on it is a peer like any other
  DurationUs backoff = 0;
  std::unique_ptr<asio::steady_timer> retry;
  bool retry_armed = false;
};

struct Transport::Impl {
  Impl(asio::io_context& io_, AsioContext& ctx_, Node& node_, TransportConfig cfg_)
      : io(io_), ctx(ctx_), node(node_), cfg(std::move(cfg_)), acceptor(io_), resolver(io_), sweep(io_), flush_timer(io_), accept_retry(io_) {
    if (cfg.session == 0) cfg.session = random_u64();
    jitter = Rng::for_node(cfg.session, cfg.name);
  }

  template <class... A>
  void log(const char* fmt, A... args) {
    std::string line = "mabeam node " + cfg.name + ": " + fmt + "\n";
    std::fprintf(stderr, line.c_str(), args...);
  }

  Status listen();
  void accept();
  void start_sweep();
  Peer& peer_entry(const std::string& name);
  void dial(const HostPort& addr, std::shared_ptr<Conn> conn);
  void dial_peer(Peer& p);
  void dial_seed(std::size_t i);
  void schedule_retry(Peer& p);
  void schedule_seed_retry(std::size_t i);
  DurationUs next_backoff(DurationUs& backoff);
  void on_established(const std::shared_ptr<Conn>& c);
  void on_closed(const std::shared_ptr<Conn>& c, const std::string& why);
  void learn(const std::string& name, const std::string& addr);
  Bytes peer_list(const std::string& only = {}) const;
  std::string effective_addr(const std::string& advertised, const std::string& remote_ip) const;
  void drop(const std::string& to, const MessageType& type, const char* reason);
  void deliver(Conn& c, const std::uint8_t* data, std::size_t size);
  void check_flushed();

  asio::io_context& io;
  AsioContext& ctx;
  Node& node;
  TransportConfig cfg;
  tcp::acceptor acceptor;
  tcp::resolver resolver;
  asio::steady_timer sweep;
  asio::steady_timer flush_timer;
  asio::steady_timer accept_retry;
  AcceptBackoff accept_backoff{"mabeam node " + cfg.name + ": peer listener"};
  std::uint16_t port = 0;
  std::string advertised;
  std::map<std::string, Peer> peers;
  std::deque<SeedDial> seeds;
  std::set<std::shared_ptr<Conn>> conns;
  TransportStats stats;
  Rng jitter;
  Bytes scratch;  // one incoming message at a time: reused, no allocation per message
  bool closing = false;
  TimeUs flush_deadline = 0;
  std::function<void()> flush_done;
  std::function<void(const std::string&)> on_peer_up;
  std::function<void(const std::string&)> on_peer_down;
  std::function<void(const std::string&)> on_peer_refused;
};

// ---- connection ----

void Conn::start() {
  error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  sock.set_option(asio::socket_base::keep_alive(true), ec);
  auto ep = sock.remote_endpoint(ec);
  remote = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  state = State::handshaking;
  last_rx = last_tx = t.ctx.now();
  Hello mine;
  mine.name = t.cfg.name;
  mine.listen = t.advertised;
  mine.session = t.cfg.session;
  mine.nonce = random_nonce();
  hs.emplace(t.cfg.cookie, std::move(mine), dialer);
  const Bytes hello = hs->hello_frame();
  append_frame_header(out, hello.size());
  out.insert(out.end(), hello.begin(), hello.end());
  ++out_frames;
  arm_step_deadline();
  pump();
  read();
}

void Conn::arm_step_deadline() {
  timer.expires_after(micros(t.cfg.handshake_step_timeout));
  timer.async_wait([w = weak_from_this()](const error_code& ec) {
    auto self = w.lock();
    if (ec || !self || self->state != State::handshaking) return;
    self->fail_handshake("handshake step timed out after " + std::to_string(self->t.cfg.handshake_step_timeout / 1000) + "ms");
  });
}

void Conn::read() {
  std::size_t avail = 0;
  std::uint8_t* p = reader.prepare(kReadChunkBytes, avail);
  sock.async_read_some(asio::buffer(p, avail), [self = shared_from_this()](const error_code& ec, std::size_t n) {
    if (self->state == State::closed) return;
    if (ec) {
      self->close_on_error(ec, ec == asio::error::eof ? "closed by peer" : ec.message());
      return;
    }
    self->heard = true;
    self->t.stats.bytes_received += n;
    self->last_rx = self->t.ctx.now();
    self->reader.commit(n);
    if (self->process()) self->read();
  });
}

bool Conn::process() {
  for (;;) {
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
    switch (reader.next(data, size)) {
      case FrameReader::Next::need_more: return true;
      case FrameReader::Next::oversized:
        ++t.stats.oversized_frames;
        if (state == State::handshaking) {
          fail_handshake("frame of " + std::to_string(reader.announced()) + " bytes exceeds the limit");
        } else {
          t.log("dropping connection to %s (%s): frame of %llu bytes exceeds the limit of %zu", peer_name.c_str(), remote.c_str(),
                static_cast<unsigned long long>(reader.announced()), t.cfg.frame_bytes_max);
          close("oversized frame");
        }
        return false;
      case FrameReader::Next::empty_frame:
        if (state == State::handshaking) fail_handshake("empty frame");
        else close("empty frame");
        return false;
      case FrameReader::Next::frame:
        ++t.stats.frames_received;
        on_frame(data, size);
        if (state == State::closed) return false;
        break;
    }
  }
}

void Conn::on_frame(const std::uint8_t* data, std::size_t size) {
  if (state == State::established) {
    on_established_frame(data, size);
    return;
  }
  Handshake::Step step = hs->on_frame(data, size);
  if (!step.status) {
    if (hs->connected_to_self()) {
      // A seed list naming this node too (as a StatefulSet's does): stop dialing that one.
      if (seed_index >= 0) t.seeds[static_cast<std::size_t>(seed_index)].bound = true;
      close("connected to itself", true);
      return;
    }
    fail_handshake(step.status.message());
    return;
  }
  if (!step.reply.empty()) {
    append_frame_header(out, step.reply.size());
    out.insert(out.end(), step.reply.begin(), step.reply.end());
    ++out_frames;
    pump();
  }
  if (step.done) t.on_established(shared_from_this());
  else arm_step_deadline();  // each step gets its own deadline
}

void Conn::on_established_frame(const std::uint8_t* data, std::size_t size) {
  switch (static_cast<FrameKind>(data[0])) {
    case FrameKind::message: t.deliver(*this, data + 1, size - 1); return;
    case FrameKind::ping: return;
    case FrameKind::peers: {
      Reader r(data + 1, size - 1);
      std::size_t n = 0;
      if (!r.count(n, 2, kPeerListMax)) {
        close("bad peer list: " + r.error());
        return;
      }
      std::vector<std::pair<std::string, std::string>> entries(n);
      for (auto& [name, addr] : entries) {
        r.str(name, 64);
        r.str(addr, 300);
      }
      if (!r.ok() || !r.at_end()) {
        close("bad peer list: " + (r.ok() ? std::string("trailing bytes") : r.error()));
        return;
      }
      for (const auto& [name, addr] : entries) t.learn(name, addr);
      return;
    }
    default:
      ++t.stats.corrupt_connections;
      t.log("dropping connection to %s (%s): unexpected frame kind %u", peer_name.c_str(), remote.c_str(), unsigned{data[0]});
      close("unexpected frame kind");
      return;
  }
}

void Conn::send_control(FrameKind kind, const Bytes& body) {
  append_frame(out, kind, body.data(), body.size());
  ++out_frames;
  schedule_pump();
}

// Sends are batched: the first send in a handler posts one pump, later ones only append.
void Conn::schedule_pump() {
  if (pump_posted || writing || state == State::closed) return;
  pump_posted = true;
  asio::post(t.io, [self = shared_from_this()] {
    self->pump_posted = false;
    self->pump();
  });
}

void Conn::pump() {
  if (writing || state == State::closed || state == State::connecting) return;
  if (!out.empty()) {
    wbuf.swap(out);
    out.clear();
    wframes = out_frames;
    out_frames = 0;
  } else if (state == State::established && peer && peer->conn.get() == this && !peer->queue.empty()) {
    wbuf.swap(peer->queue);
    peer->queue.clear();
    wframes = peer->queue_frames;
    peer->queue_frames = 0;
  } else {
    if (t.flush_done) t.check_flushed();
    return;
  }
  writing = true;
  asio::async_write(sock, asio::buffer(wbuf), [self = shared_from_this()](const error_code& ec, std::size_t n) {
    self->writing = false;
    if (self->state == State::closed) return;
    if (ec) {
      self->close_on_error(ec, "write: " + ec.message());
      return;
    }
    self->t.stats.bytes_sent += n;
    self->t.stats.frames_sent += self->wframes;
    self->last_tx = self->t.ctx.now();
    self->wbuf.clear();
    self->pump();
  });
}

void Conn::fail_handshake(const std::string& why) {
  if (state == State::closed) return;
  ++t.stats.handshake_failures;
  t.log("handshake with %s failed: %s", remote.c_str(), why.c_str());
  close("handshake failed");
}

void Conn::close_on_error(const error_code& ec, const std::string& why) {
  lost_unheard = dialer && state == State::handshaking && !heard &&
                 (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
  close(why);
}

void Conn::close(const std::string& why, bool quiet) {
  if (state == State::closed) return;
  const bool was_established = state == State::established;
  state = State::closed;
  error_code ec;
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
  timer.cancel();
  if (was_established && !quiet && t.cfg.log_connections && !t.closing)
    t.log("connection to %s (%s) closed: %s", peer_name.c_str(), remote.c_str(), why.c_str());
  t.on_closed(shared_from_this(), why);
}

// ---- transport ----

Status Transport::Impl::listen() {
  if (auto st = listen_on(acceptor, cfg.listen); !st) return Status::io_error("listen " + cfg.listen.str() + ": " + st.message());
  port = acceptor.local_endpoint().port();
  advertised = cfg.listen.host + ":" + std::to_string(port);
  accept_backoff.set_who("mabeam node " + cfg.name + ": peer listener " + advertised);
  accept();
  start_sweep();
  return Status::ok();
}

void Transport::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket s) {
    if (closing || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or similar: the connection waits in the backlog; try again later.
      accept_retry.expires_after(micros(accept_backoff.failed(ec.message())));
      accept_retry.async_wait([this](const error_code& e) {
        if (!e && !closing) accept();
      });
      return;
    }
    accept_backoff.succeeded();
    if (conns.size() >= cfg.connections_max) {
      ++stats.connections_refused;
      error_code ignored;
      s.close(ignored);
    } else {
      ++stats.connections_accepted;
      auto c = std::make_shared<Conn>(*this, io, false, cfg.frame_bytes_max);
      c->sock = std::move(s);
      conns.insert(c);
      c->start();
    }
    accept();
  });
}

// One timer for every connection's keepalive and idle check.
void Transport::Impl::start_sweep() {
  sweep.expires_after(micros(cfg.keepalive_interval / 2 > 0 ? cfg.keepalive_interval / 2 : 1000));
  sweep.async_wait([this](const error_code& ec) {
    if (ec || closing) return;
    const TimeUs now = ctx.now();
    std::vector<std::shared_ptr<Conn>> idle;
    for (const auto& c : conns) {
      if (c->state != Conn::State::established) continue;
      if (now - c->last_rx > cfg.idle_timeout) idle.push_back(c);
      else if (now - c->last_tx >= cfg.keepalive_interval && !c->writing) c->send_control(FrameKind::ping, {});
    }
    for (auto& c : idle) c->close("idle for " + std::to_string(cfg.idle_timeout / 1000) + "ms");
    start_sweep();
  });
}

Peer& Transport::Impl::peer_entry(const std::string& name) {
  auto [it, inserted] = peers.try_emplace(name);
  if (inserted) {
    it->second.name = name;
    it->second.retry = std::make_unique<asio::steady_timer>(io);
  }
  return it->second;
}

DurationUs Transport::Impl::next_backoff(DurationUs& backoff) {
  backoff = backoff <= 0 ? cfg.reconnect_min : std::min(backoff * 2, cfg.reconnect_max);
  // Jitter in [0.5, 1.5) of the step, so nodes that lost a peer together do not redial in step.
  return backoff / 2 + static_cast<DurationUs>(jitter.below(static_cast<std::uint64_t>(backoff) + 1));
}

void Transport::Impl::dial(const HostPort& addr, std::shared_ptr<Conn> conn) {
  ++stats.connections_dialed;
  conns.insert(conn);
  conn->remote = addr.str();
  conn->timer.expires_after(micros(cfg.connect_timeout));
  conn->timer.async_wait([w = std::weak_ptr<Conn>(conn)](const error_code& ec) {
    auto c = w.lock();
    if (ec || !c || c->state != Conn::State::connecting) return;
    error_code ignored;
    c->sock.close(ignored);  // the pending resolve/connect handler then reports the failure
    c->close("connect timed out");
  });
  resolver.async_resolve(addr.host, std::to_string(addr.port),
                         [this, conn](const error_code& ec, tcp::resolver::results_type results) {
                           if (conn->state != Conn::State::connecting) return;
                           if (ec) {
                             ++stats.dial_failures;
                             conn->close("resolve: " + ec.message());
                             return;
                           }
                           asio::async_connect(conn->sock, results, [this, conn](const error_code& e2, const tcp::endpoint&) {
                             if (conn->state != Conn::State::connecting) return;
                             if (e2) {
                               ++stats.dial_failures;
                               const std::string refused_peer =
                                   e2 == asio::error::connection_refused ? conn->dialed_for : std::string();
                               if (!refused_peer.empty()) ++stats.dials_refused;
                               // A reset that beat the connect's completion is the same
                               // unheard loss as one in the handshake (a dying listener).
                               conn->lost_unheard = e2 == asio::error::connection_reset;
                               conn->close("connect: " + e2.message());
                               if (!refused_peer.empty() && on_peer_refused && !closing) on_peer_refused(refused_peer);
                               return;
                             }
                             conn->timer.cancel();
                             conn->start();
                           });
                         });
}

void Transport::Impl::dial_peer(Peer& p) {
  if (closing || p.conn || p.dialing || p.addr.empty()) return;
  auto addr = parse_host_port(p.addr);
  if (!addr) return;
  auto c = std::make_shared<Conn>(*this, io, true, cfg.frame_bytes_max);
  c->dialed_for = p.name;
  p.dialing = c;
  dial(*addr, c);
}

void Transport::Impl::dial_seed(std::size_t i) {
  SeedDial& s = seeds[i];
  if (closing || s.bound || s.dialing) return;
  auto c = std::make_shared<Conn>(*this, io, true, cfg.frame_bytes_max);
  c->seed_index = static_cast<int>(i);
  s.dialing = c;
  dial(s.addr, c);
}

void Transport::Impl::schedule_retry(Peer& p) {
  if (closing || p.conn || p.dialing || p.retry_armed || p.addr.empty()) return;
  p.retry_armed = true;
  p.retry->expires_after(micros(next_backoff(p.backoff)));
  p.retry->async_wait([this, &p](const error_code& ec) {
    if (ec) return;
    p.retry_armed = false;
    dial_peer(p);
  });
}

void Transport::Impl::schedule_seed_retry(std::size_t i) {
  SeedDial& s = seeds[i];
  if (closing || s.bound || s.dialing || s.retry_armed) return;
  s.retry_armed = true;
  s.retry->expires_after(micros(next_backoff(s.backoff)));
  s.retry->async_wait([this, i](const error_code& ec) {
    if (ec) return;
    seeds[i].retry_armed = false;
    dial_seed(i);
  });
}

std::string Transport::Impl::effective_addr(const std::string& advertised_addr, const std::string& remote_ip) const {
  auto hp = parse_host_port(advertised_addr);
  if (!hp || hp->port == 0) return {};
  if (hp->host == "0.0.0.0" || hp->host == "::") hp->host = remote_ip;  // "the address you see me at"
  return hp->str();
}

void Transport::Impl::on_established(const std::shared_ptr<Conn>& c) {
  c->state = Conn::State::established;
  c->established_at = ctx.now();
  c->timer.cancel();
  ++stats.handshakes_ok;
  const Hello& ph = c->hs->peer();
  c->peer_name = ph.name;
  c->peer_session = ph.session;
  if (c->seed_index >= 0) {
    SeedDial& s = seeds[static_cast<std::size_t>(c->seed_index)];
    if (s.dialing == c) s.dialing.reset();
    s.bound = true;
  }
  Peer& p = peer_entry(ph.name);
  p.redialed_unheard = false;
  const std::string remote_ip = c->remote.substr(0, c->remote.rfind(':'));
  if (std::string addr = effective_addr(ph.listen, remote_ip); !addr.empty()) p.addr = addr;
  if (p.dialing == c) p.dialing.reset();

  const bool had_connection = p.conn != nullptr;
  if (p.conn && p.conn != c) {
    // Two connections to one peer: both ends must keep the same one.
    bool take_new = true;
    if (p.conn->peer_session == c->peer_session && p.conn->dialer != c->dialer) {
      const std::string& smaller = std::min(cfg.name, ph.name);
      const std::string& new_dialer = c->dialer ? cfg.name : ph.name;
      take_new = new_dialer == smaller;
    }
    if (!take_new) {
      c->close("duplicate connection", true);
      return;
    }
    auto old = p.conn;
    p.conn.reset();
    old->peer = nullptr;
    const bool restarted = old->peer_session != c->peer_session;
    old->close(restarted ? "peer restarted" : "replaced by a duplicate connection", !restarted);
  }
  p.conn = c;
  c->peer = &p;
  p.backoff = 0;
  p.reported_unreachable = false;
  if (p.retry_armed) {
    p.retry->cancel();
    p.retry_armed = false;
  }
  if (cfg.log_connections && !had_connection)
    log("connected to %s at %s (%s)", ph.name.c_str(), p.addr.c_str(), c->dialer ? "dialed" : "accepted");
  // The failure detector watches every peer we have a verified connection to.
  if (on_peer_up) on_peer_up(ph.name);
  // Address books: the newcomer gets ours, everyone else hears of the newcomer.
  c->send_control(FrameKind::peers, peer_list());
  if (!p.addr.empty()) {
    const Bytes one = peer_list(ph.name);
    for (auto& [name, other] : peers)
      if (other.conn && other.conn != c) other.conn->send_control(FrameKind::peers, one);
  }
  c->schedule_pump();
}

void Transport::Impl::on_closed(const std::shared_ptr<Conn>& c, const std::string& why) {
  ++stats.connections_closed;
  conns.erase(c);
  if (closing) return;
  if (c->peer && c->peer->conn == c) {
    Peer& p = *c->peer;
    p.conn.reset();
    c->peer = nullptr;
    // Re-dial at once: a flapping connection comes back without a gap, and a dead peer's
    // host refuses now rather than after a backoff (evidence the failure detector weighs).
    // A connection that lived only briefly backs off instead, so a peer that keeps closing
    // what it accepts cannot make us dial in a loop.
    if (ctx.now() - c->established_at >= cfg.reconnect_max) {
      p.backoff = 0;
      dial_peer(p);
    } else {
      schedule_retry(p);
    }
    if (on_peer_down) on_peer_down(p.name);
  }
  if (!c->dialed_for.empty()) {
    Peer& p = peer_entry(c->dialed_for);
    if (p.dialing == c) {
      p.dialing.reset();
      // Lost unheard (a listener closing as its process dies): dial once more at once, which
      // a dead peer's host refuses (evidence for the failure detector) instead of after a
      // backoff. Once per handshake, so a host that keeps resetting us still backs off.
      if (c->lost_unheard && !p.redialed_unheard) {
        p.redialed_unheard = true;
        dial_peer(p);
      } else {
        if (!p.reported_unreachable && cfg.log_connections) {
          log("cannot reach %s at %s: %s (retrying with backoff)", p.name.c_str(), p.addr.c_str(), why.c_str());
          p.reported_unreachable = true;
        }
        schedule_retry(p);
      }
    }
  }
  if (c->seed_index >= 0) {
    const auto i = static_cast<std::size_t>(c->seed_index);
    if (seeds[i].dialing == c) {
      seeds[i].dialing.reset();
      schedule_seed_retry(i);
    }
  }
}

void Transport::Impl::learn(const std::string& name, const std::string& addr) {
  if (closing || name == cfg.name || !valid_node_name(name)) return;
  auto hp = parse_host_port(addr);
  if (!hp || hp->port == 0) return;
  Peer& p = peer_entry(name);
  if (p.conn) return;  // connected: the handshake told us the address that works
  if (p.addr != addr) {
    p.addr = addr;
    p.backoff = 0;
  }
  if (!p.dialing && !p.retry_armed) dial_peer(p);
}

Bytes Transport::Impl::peer_list(const std::string& only) const {
  Writer w;
  std::size_t n = 0;
  for (const auto& [name, p] : peers)
    if (!p.addr.empty() && (only.empty() || name == only)) ++n;
  w.varint(std::min(n, kPeerListMax));
  std::size_t written = 0;
  for (const auto& [name, p] : peers) {
    if (p.addr.empty() || (!only.empty() && name != only) || written == kPeerListMax) continue;
    w.str(name);
    w.str(p.addr);
    ++written;
  }
  return w.take();
}

void Transport::Impl::drop(const std::string& to, const MessageType& type, const char* reason) {
  ctx.trace(TraceEvent("msg_drop").with("to", to).with("type", type.name).with("reason", reason));
}

void Transport::Impl::deliver(Conn& c, const std::uint8_t* data, std::size_t size) {
  scratch.assign(data, data + size);
  ++stats.messages_received;
  if (ctx.trace_messages())
    ctx.trace(TraceEvent("msg_recv").with("from", c.peer_name).with("type", node.type_name(peek_type(scratch))));
  const Status s = node.deliver(c.peer_name, scratch);
  if (s) return;
  if (s.code() == Status::Code::corrupt) {
    ++stats.corrupt_connections;
    log("dropping connection to %s (%s): undecodable message: %s", c.peer_name.c_str(), c.remote.c_str(), s.message().c_str());
    c.close("undecodable message");
    return;
  }
  // A type or version this build does not know (a newer peer): the message goes, the link stays.
  ++stats.dropped_undecodable;
  ctx.trace(TraceEvent("msg_drop").with("from", c.peer_name).with("type", node.type_name(peek_type(scratch))).with("reason", "undecodable"));
}

void Transport::Impl::check_flushed() {
  if (!flush_done) return;
  bool drained = true;
  for (const auto& [name, p] : peers)
    if (p.conn && (!p.queue.empty() || p.conn->writing || !p.conn->out.empty())) drained = false;
  if (drained || ctx.now() >= flush_deadline) {
    auto done = std::move(flush_done);
    flush_done = nullptr;
    flush_timer.cancel();
    done();
  }
}

// ---- public face ----

Transport::Transport(asio::io_context& io, AsioContext& ctx, Node& node, TransportConfig config)
    : impl_(std::make_unique<Impl>(io, ctx, node, std::move(config))) {}

Transport::~Transport() {
  impl_->closing = true;
  for (auto& c : std::vector<std::shared_ptr<Conn>>(impl_->conns.begin(), impl_->conns.end())) c->close("shutdown");
}

Status Transport::listen() { return impl_->listen(); }
std::uint16_t Transport::local_port() const { return impl_->port; }
std::string Transport::advertised() const { return impl_->advertised; }

void Transport::add_seed(const HostPort& addr) {
  SeedDial s;
  s.addr = addr;
  s.retry = std::make_unique<asio::steady_timer>(impl_->io);
  impl_->seeds.push_back(std::move(s));
  impl_->dial_seed(impl_->seeds.size() - 1);
}

void Transport::learn(const std::string& name, const std::string& addr) { impl_->learn(name, addr); }

void Transport::on_peer_up(std::function<void(const std::string&)> fn) { impl_->on_peer_up = std::move(fn); }
void Transport::on_peer_down(std::function<void(const std::string&)> fn) { impl_->on_peer_down = std::move(fn); }
void Transport::on_peer_refused(std::function<void(const std::string&)> fn) { impl_->on_peer_refused = std::move(fn); }

void Transport::send(const std::string& to, const MessageType& type, Bytes message) {
  Impl& t = *impl_;
  auto it = t.peers.find(to);
  if (t.closing || it == t.peers.end() || (it->second.addr.empty() && !it->second.conn)) {
    ++t.stats.dropped_no_route;
    t.drop(to, type, "no_route");
    return;
  }
  Peer& p = it->second;
  if (message.size() + 1 > t.cfg.frame_bytes_max) {
    ++t.stats.dropped_too_large;
    t.drop(to, type, "too_large");
    return;
  }
  if (p.queue_frames >= t.cfg.send_queue_frames_max ||
      p.queue.size() + kFrameHeaderBytes + 1 + message.size() > t.cfg.send_queue_bytes_max) {
    ++t.stats.dropped_queue_full;
    t.drop(to, type, "queue_full");
    return;
  }
  append_frame(p.queue, FrameKind::message, message.data(), message.size());
  ++p.queue_frames;
  ++t.stats.messages_sent;
  if (t.ctx.trace_messages())
    t.ctx.trace(TraceEvent("msg_send").with("to", to).with("type", type.name).with("bytes", static_cast<std::uint64_t>(message.size())));
  if (p.conn) p.conn->schedule_pump();
  else if (!p.dialing && !p.retry_armed) t.dial_peer(p);
}

std::vector<PeerInfo> Transport::peers() const {
  std::vector<PeerInfo> out;
  for (const auto& [name, p] : impl_->peers) out.push_back(PeerInfo{name, p.addr, p.conn != nullptr, p.queue_frames});
  return out;
}

std::string Transport::addr_of(const std::string& name) const {
  auto it = impl_->peers.find(name);
  return it == impl_->peers.end() ? std::string() : it->second.addr;
}

const TransportStats& Transport::stats() const {
  Impl& t = *impl_;
  t.stats.connections_open = t.conns.size();
  std::uint64_t connected = 0;
  for (const auto& [name, p] : t.peers) connected += p.conn ? 1 : 0;
  t.stats.peers_connected = connected;
  return t.stats;
}

std::size_t Transport::queued_frames(const std::string& peer) const {
  auto it = impl_->peers.find(peer);
  return it == impl_->peers.end() ? 0 : it->second.queue_frames;
}

void Transport::flush(DurationUs timeout, std::function<void()> done) {
  Impl& t = *impl_;
  t.flush_done = std::move(done);
  t.flush_deadline = t.ctx.now() + timeout;
  // Queued frames go out through the pumps below; poll until drained or out of time.
  struct Poller {
    static void arm(Transport::Impl& t) {
      t.flush_timer.expires_after(std::chrono::milliseconds(5));
      t.flush_timer.async_wait([&t](const error_code& ec) {
        if (ec || !t.flush_done) return;
        t.check_flushed();
        if (t.flush_done) arm(t);
      });
    }
  };
  for (auto& [name, p] : t.peers)
    if (p.conn) p.conn->schedule_pump();
  Poller::arm(t);
}

void Transport::close() {
  Impl& t = *impl_;
  t.closing = true;
  error_code ec;
  t.acceptor.close(ec);
  t.sweep.cancel();
  t.flush_timer.cancel();
  t.accept_retry.cancel();
  for (auto& [name, p] : t.peers) p.retry->cancel();
  for (auto& s : t.seeds) s.retry->cancel();
  for (auto& c : std::vector<std::shared_ptr<Conn>>(t.conns.begin(), t.conns.end())) c->close("shutdown");
}

}  // namespace mabeam::real
