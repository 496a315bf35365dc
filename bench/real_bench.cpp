// Loopback benchmarks of the real backend (see real_bench.h). The nodes are full RealNodes
// (transport, handshake, codec, Node dispatch) without the failure detector, each running on
// its own thread, as two processes would.
#include "bench/real_bench.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "bench/stats.h"
#include "real/framing.h"
#include "real/real_node.h"

namespace mabeam::bench {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using real::append_frame;
using real::FrameKind;
using real::FrameReader;
using real::kFrameBytesMaxDefault;
using real::RealNode;
using real::RealNodeConfig;
using real::Transport;

constexpr auto kConnectTimeout = std::chrono::seconds(2);  // the two nodes' handshake
constexpr auto kReplyTimeout = std::chrono::seconds(5);    // past the end of the round trips

// A 64-byte message on the wire (3-byte header, 1-byte length, 60 bytes of payload).
struct BenchPayload {
  static constexpr MessageType kType{0xFE01, 1, "bench_payload"};
  Bytes payload;
  void encode(Writer& w) const { w.bytes(payload); }
  static bool decode(Reader& r, std::uint8_t, BenchPayload& m) { return r.bytes(m.payload); }
};
struct BenchPing {
  static constexpr MessageType kType{0xFE02, 1, "bench_ping"};
  std::uint64_t seq = 0;
  void encode(Writer& w) const { w.u64(seq); }
  static bool decode(Reader& r, std::uint8_t, BenchPing& m) { return r.u64(m.seq); }
};
struct BenchPong {
  static constexpr MessageType kType{0xFE03, 1, "bench_pong"};
  std::uint64_t seq = 0;
  void encode(Writer& w) const { w.u64(seq); }
  static bool decode(Reader& r, std::uint8_t, BenchPong& m) { return r.u64(m.seq); }
};

RealNodeConfig bench_config(const std::string& name) {
  RealNodeConfig cfg;
  cfg.name = name;
  cfg.listen = real::HostPort{"127.0.0.1", 0};
  cfg.cookie = "bench-cookie";
  cfg.install_services = false;
  cfg.handle_signals = false;
  cfg.seed = 1;
  cfg.transport.log_connections = false;
  return cfg;
}

// Two nodes "a" and "b", connected (handshake done) before the measurement starts. Handlers
// the measurements install refer to their locals: a measurement calls stop() (which joins
// the nodes' threads) before those go away.
struct Pair {
  Pair() : a(bench_config("a")), b(bench_config("b")) {}
  Status open() {
    if (auto s = a.open(); !s) return s;
    return b.open();
  }
  // Runs both nodes and connects a to b; false when no handshake completed within
  // kConnectTimeout.
  bool run() {
    ta = std::thread([this] { a.run(); });
    tb = std::thread([this] { b.run(); });
    const std::string addr_b = b.advertised();
    a.call([&] { a.transport().learn("b", addr_b); });
    const auto deadline = Clock::now() + kConnectTimeout;
    while (Clock::now() < deadline) {
      bool up = false;
      a.call([&] {
        for (const auto& p : a.transport().peers()) up = up || (p.name == "b" && p.connected);
      });
      if (up) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  void stop() {
    if (!ta.joinable()) return;
    a.request_stop();
    b.request_stop();
    ta.join();
    tb.join();
  }
  ~Pair() { stop(); }
  RealNode a;
  RealNode b;
  std::thread ta;
  std::thread tb;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Result<double> oneway_rate(double seconds) {
  Pair p;
  if (auto s = p.open(); !s) return s;
  std::atomic<std::uint64_t> received{0};
  p.b.node().route<BenchPayload>([&](const std::string&, BenchPayload&&) { received.fetch_add(1, std::memory_order_relaxed); });
  if (!p.run()) return Status::unavailable("the two nodes did not connect within 2 s");
  std::atomic<bool> stop{false};
  // Encoded once, as a service fanning one message out would; each send still hands the
  // Context its own copy, as the seam requires.
  const Bytes encoded = encode_message(BenchPayload{Bytes(60, 0x5a)});
  Node& a = p.a.node();
  Transport& ta = p.a.transport();
  // The sender keeps the send queue topped up, one batch per turn of the event loop, so the
  // transport's writes and the sends interleave as they would under a busy service.
  std::function<void()> turn = [&] {
    if (stop.load(std::memory_order_relaxed)) return;
    if (ta.queued_frames("b") < 16384)
      for (int i = 0; i < 512; ++i) a.ctx().send("b", BenchPayload::kType, encoded);
    a.ctx().after(0, turn);
  };
  p.a.call([&] { a.ctx().after(0, turn); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // warm up
  const auto t0 = Clock::now();
  const std::uint64_t c0 = received.load();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const std::uint64_t c1 = received.load();
  const double dt = seconds_since(t0);
  stop = true;
  p.stop();
  if (c1 == c0) return Status::unavailable("no message arrived in " + std::to_string(seconds) + " s");
  return static_cast<double>(c1 - c0) / dt;
}

// The median and p99 round trip, microseconds.
Result<std::pair<double, double>> round_trips(double seconds) {
  Pair p;
  if (auto s = p.open(); !s) return s;
  std::vector<double> rtts;
  rtts.reserve(1 << 20);
  std::promise<void> done;
  TimeUs sent_at = 0;
  TimeUs end_at = 0;
  Node& a = p.a.node();
  Node& b = p.b.node();
  b.route<BenchPing>([&](const std::string& from, BenchPing&& m) { b.ctx().send_msg(from, BenchPong{m.seq}); });
  a.route<BenchPong>([&](const std::string&, BenchPong&& m) {
    const TimeUs now = a.ctx().now();
    if (m.seq > 100) rtts.push_back(static_cast<double>(now - sent_at));  // the first ones warm up
    if (now >= end_at || rtts.size() >= rtts.capacity()) {
      done.set_value();
      return;
    }
    sent_at = now;
    a.ctx().send_msg("b", BenchPing{m.seq + 1});
  });
  if (!p.run()) return Status::unavailable("the two nodes did not connect within 2 s");
  p.a.call([&] {
    end_at = a.ctx().now() + static_cast<TimeUs>(seconds * 1e6);
    sent_at = a.ctx().now();
    a.ctx().send_msg("b", BenchPing{1});
  });
  const auto waited = std::chrono::duration<double>(seconds) + kReplyTimeout;
  const bool finished = done.get_future().wait_for(waited) == std::future_status::ready;
  p.stop();  // no handler runs from here on
  if (!finished)
    return Status::unavailable("a round trip did not come back within " + std::to_string(kReplyTimeout.count()) +
                               " s (" + std::to_string(rtts.size()) + " completed)");
  if (rtts.empty()) return Status::unavailable("no round trip completed after the warm-up");
  return std::make_pair(median(rtts), percentile(rtts, 0.99));
}

// The same framing and batching over a bare Asio socket: no handshake, codec, queue or node.
Result<double> raw_tcp_rate(double seconds) try {
  asio::io_context io_w, io_r;
  tcp::acceptor acceptor(io_r, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket writer(io_w), reader(io_r);
  writer.connect(acceptor.local_endpoint());
  acceptor.accept(reader);
  writer.set_option(tcp::no_delay(true));
  std::vector<std::uint8_t> batch;
  const std::uint8_t payload[63] = {};
  for (int i = 0; i < 512; ++i) append_frame(batch, FrameKind::message, payload, sizeof payload);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> frames{0};
  std::function<void()> write_more = [&] {
    asio::async_write(writer, asio::buffer(batch), [&](const boost::system::error_code& ec, std::size_t) {
      if (!ec && !stop) write_more();
    });
  };
  FrameReader fr(kFrameBytesMaxDefault);
  std::function<void()> read_more = [&] {
    std::size_t avail = 0;
    std::uint8_t* p = fr.prepare(64 * 1024, avail);
    reader.async_read_some(asio::buffer(p, avail), [&](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return;
      fr.commit(n);
      const std::uint8_t* d = nullptr;
      std::size_t sz = 0;
      std::uint64_t k = 0;
      while (fr.next(d, sz) == FrameReader::Next::frame) ++k;
      frames.fetch_add(k, std::memory_order_relaxed);
      if (!stop) read_more();
    });
  };
  write_more();
  read_more();
  std::thread tw([&] { io_w.run(); });
  std::thread tr([&] { io_r.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = Clock::now();
  const std::uint64_t c0 = frames.load();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const std::uint64_t c1 = frames.load();
  const double dt = seconds_since(t0);
  stop = true;
  boost::system::error_code ec;
  writer.shutdown(tcp::socket::shutdown_both, ec);
  io_w.stop();
  io_r.stop();
  tw.join();
  tr.join();
  if (c1 == c0) return Status::unavailable("no frame arrived in " + std::to_string(seconds) + " s");
  return static_cast<double>(c1 - c0) / dt;
} catch (const boost::system::system_error& e) {
  return Status::io_error(std::string("a loopback socket pair: ") + e.what());
}

}  // namespace

bool bench_real(std::vector<Figure>& out, const RealBenchOptions& options) {
  const double s = options.seconds_per_figure;
  bool measured = true;
  auto failed = [&](const char* what, const Status& st) {
    std::fprintf(stderr, "mabeam bench: real: %s: %s\n", what, st.message().c_str());
    measured = false;
  };
  if (auto rate = oneway_rate(s)) out.push_back({"real_oneway_64b_msgs_per_s", *rate, "/s"});
  else failed("one-way messages", rate.status());
  if (auto rtt = round_trips(s)) {
    out.push_back({"real_rtt_median_us", rtt->first, "us"});
    out.push_back({"real_rtt_p99_us", rtt->second, "us"});
  } else {
    failed("round trips", rtt.status());
  }
  if (auto rate = raw_tcp_rate(s)) out.push_back({"raw_tcp_64b_frames_per_s", *rate, "/s"});
  else failed("raw TCP frames", rate.status());
  return measured;
}

}  // namespace mabeam::bench
