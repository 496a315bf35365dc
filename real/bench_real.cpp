// Loopback benchmarks of the real backend (see bench_real.h). The nodes are full RealNodes
// (transport, handshake, codec, Node dispatch) without the failure detector, each running on
// its own thread, as two processes would.
#include "real/bench_real.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "real/framing.h"
#include "real/real_node.h"

namespace mabeam::real {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

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
  cfg.listen = HostPort{"127.0.0.1", 0};
  cfg.cookie = "bench-cookie";
  cfg.install_services = false;
  cfg.handle_signals = false;
  cfg.seed = 1;
  cfg.transport.log_connections = false;
  return cfg;
}

// Two nodes "a" and "b", connected (handshake done) before the measurement starts.
struct Pair {
  Pair() : a(bench_config("a")), b(bench_config("b")) {}
  bool open() { return a.open().is_ok() && b.open().is_ok(); }
  void run() {
    ta = std::thread([this] { a.run(); });
    tb = std::thread([this] { b.run(); });
    const std::string addr_b = b.advertised();
    a.call([&] { a.transport().learn("b", addr_b); });
    for (int i = 0; i < 2000; ++i) {
      bool up = false;
      a.call([&] {
        for (const auto& p : a.transport().peers()) up = up || (p.name == "b" && p.connected);
      });
      if (up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~Pair() {
    if (ta.joinable()) {
      a.request_stop();
      b.request_stop();
      ta.join();
      tb.join();
    }
  }
  RealNode a;
  RealNode b;
  std::thread ta;
  std::thread tb;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double oneway_rate(double seconds) {
  Pair p;
  if (!p.open()) return 0;
  std::atomic<std::uint64_t> received{0};
  p.b.node().route<BenchPayload>([&](const std::string&, BenchPayload&&) { received.fetch_add(1, std::memory_order_relaxed); });
  p.run();
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
  p.a.call([] {});
  return static_cast<double>(c1 - c0) / dt;
}

std::pair<double, double> round_trips(double seconds) {
  Pair p;
  if (!p.open()) return {0, 0};
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
  p.run();
  p.a.call([&] {
    end_at = a.ctx().now() + static_cast<TimeUs>(seconds * 1e6);
    sent_at = a.ctx().now();
    a.ctx().send_msg("b", BenchPing{1});
  });
  done.get_future().wait();
  if (rtts.empty()) return {0, 0};
  std::sort(rtts.begin(), rtts.end());
  return {rtts[rtts.size() / 2], rtts[std::min(rtts.size() - 1, rtts.size() * 99 / 100)]};
}

// The same framing and batching over a bare Asio socket: no handshake, codec, queue or node.
double raw_tcp_rate(double seconds) {
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
  return static_cast<double>(c1 - c0) / dt;
}

}  // namespace

void run_real_benchmarks(std::vector<std::pair<std::string, double>>& out, const RealBenchOptions& options) {
  const double s = options.seconds_per_figure;
  out.emplace_back("real_oneway_64b_msgs_per_s", oneway_rate(s));
  auto [median, p99] = round_trips(s);
  out.emplace_back("real_rtt_median_us", median);
  out.emplace_back("real_rtt_p99_us", p99);
  out.emplace_back("raw_tcp_64b_frames_per_s", raw_tcp_rate(s));
}

}  // namespace mabeam::real
