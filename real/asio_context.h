// The Context seam (engine/context.h) on an Asio io_context: the real world.
//
// - now(): steady clock, µs since process start; wall_now(): system clock, µs since epoch.
// - Timers: one Asio steady_timer armed for the earliest deadline of an ordered queue, so
//   timers due at the same instant fire in the order they were set (as the contract asks).
// - send(): to self, posted back to the node; to anyone else, handed to the MessageSink (the
//   TCP transport), which never blocks.
// - rng(): seeded from a flag, or from a hash of name, pid and time; the seed is written in
//   the trace header so a run can be told apart, though the real world does not replay.
// - emit(): every event goes to an observer (the node daemon keeps its view of the members
//   from `member` and `mode` events) and, with --trace, to a JSON Lines file in the format
//   the simulator writes. msg_send/msg_recv lines only with trace_messages.
//
// Everything here runs on the node's one thread; only the constructor and open_trace() may
// run elsewhere before the loop starts.
#pragma once
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/context.h"

namespace boost::asio {
class io_context;
}

namespace mabeam {
class Node;
}

namespace mabeam::real {

// Where messages to other nodes go (the transport).
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual void send(const std::string& to, const MessageType& type, Bytes message) = 0;
};

// Monotonic µs since this process started.
TimeUs process_now_us();
// A seed for a node that was given none: name, pid and the time, mixed.
std::uint64_t fresh_seed(const std::string& name);

class AsioContext final : public Context {
 public:
  AsioContext(boost::asio::io_context& io, std::string self, std::uint64_t seed, Storage& storage);
  ~AsioContext() override;

  // Opens the trace file and writes the header. Error: io_error naming the path.
  Status open_trace(const std::string& path, const std::vector<std::string>& nodes, bool trace_messages);
  void set_sink(MessageSink* sink) { sink_ = sink; }
  void set_node(Node* node) { node_ = node; }
  void set_observer(std::function<void(const TraceEvent&)> fn) { observer_ = std::move(fn); }
  std::uint64_t seed() const { return seed_; }
  bool trace_messages() const { return trace_messages_; }
  // Writes a host event (node_start, msg_drop, ...) to the trace only.
  void trace(const TraceEvent& e);
  void flush_trace();

  const std::string& self() const override { return self_; }
  TimeUs now() const override { return process_now_us(); }
  TimeUs wall_now() const override;
  void send(const std::string& to, const MessageType& type, Bytes message) override;
  TimerId after(DurationUs delay, TimerFn fn) override;
  void cancel(TimerId id) override;
  Rng& rng() override { return rng_; }
  Storage& storage() override { return storage_; }
  bool tracing() const override { return true; }
  void emit(const TraceEvent& event) override;

  std::size_t timers_pending() const;

 private:
  struct Timers;
  void write_line(const TraceEvent& e, bool flush);
  void arm();
  void fire();

  boost::asio::io_context& io_;
  std::string self_;
  std::uint64_t seed_;
  Rng rng_;
  Storage& storage_;
  MessageSink* sink_ = nullptr;
  Node* node_ = nullptr;
  std::function<void(const TraceEvent&)> observer_;
  std::unique_ptr<Timers> timers_;
  std::FILE* trace_ = nullptr;
  bool trace_messages_ = false;
  std::string line_;
};

}  // namespace mabeam::real
