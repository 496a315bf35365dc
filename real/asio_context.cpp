// Context on an Asio io_context (see asio_context.h).
#include "real/asio_context.h"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>

#include "engine/node.h"
#include "engine/version.h"

namespace mabeam::real {

namespace {
const std::chrono::steady_clock::time_point kProcessStart = std::chrono::steady_clock::now();
}

TimeUs process_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - kProcessStart).count();
}

std::uint64_t fresh_seed(const std::string& name) {
  const auto wall = std::chrono::system_clock::now().time_since_epoch().count();
  const std::string mix = name + "/" + std::to_string(::getpid()) + "/" + std::to_string(wall);
  return fnv1a64(mix) & 0x7fffffffffffffffULL;  // fits the trace header's signed integer
}

// The ordered timer queue: (due, id) keys keep same-instant timers in the order they were set.
struct AsioContext::Timers {
  explicit Timers(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
  std::map<std::pair<TimeUs, TimerId>, TimerFn> queue;
  std::map<TimerId, TimeUs> due_of;
  TimerId next_id = 1;
  TimeUs armed_for = -1;
};

AsioContext::AsioContext(boost::asio::io_context& io, std::string self, std::uint64_t seed, Storage& storage)
    : io_(io), self_(std::move(self)), seed_(seed), rng_(Rng::for_node(seed, self_)), storage_(storage),
      timers_(std::make_unique<Timers>(io)) {}

AsioContext::~AsioContext() {
  if (trace_) {
    std::fflush(trace_);
    std::fclose(trace_);
  }
}

Status AsioContext::open_trace(const std::string& path, const std::vector<std::string>& nodes, bool trace_messages) {
  trace_ = std::fopen(path.c_str(), "w");
  if (!trace_) return Status::io_error("trace file " + path + ": " + std::strerror(errno));
  trace_messages_ = trace_messages;
  std::string header = "{\"trace\":\"mabeam\",\"version\":" + std::to_string(kTraceFormatVersion) + ",\"source\":\"real\",\"seed\":" + std::to_string(seed_) +
                       ",\"scenario\":\"\",\"nodes\":[";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i) header += ',';
    append_json_string(header, nodes[i]);
  }
  // The wall clock at t = 0, so `mabeam trace merge` can put several nodes' traces on one clock.
  header += "],\"start_unix_us\":" + std::to_string(wall_now() - now()) + "}\n";
  std::fputs(header.c_str(), trace_);
  std::fflush(trace_);
  return Status::ok();
}

TimeUs AsioContext::wall_now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void AsioContext::write_line(const TraceEvent& e, bool flush) {
  if (!trace_) return;
  line_.clear();
  append_trace_line(line_, now(), self_, e);
  std::fwrite(line_.data(), 1, line_.size(), trace_);
  if (flush) std::fflush(trace_);
}

void AsioContext::trace(const TraceEvent& e) {
  // Message lines are many and of little value one by one: buffered. The rest are rare and
  // wanted even if the process is killed right after: flushed.
  const bool bulk = e.ev == "msg_send" || e.ev == "msg_recv" || e.ev == "msg_drop";
  write_line(e, !bulk);
}

void AsioContext::flush_trace() {
  if (trace_) std::fflush(trace_);
}

void AsioContext::emit(const TraceEvent& event) {
  if (observer_) observer_(event);
  trace(event);
}

void AsioContext::send(const std::string& to, const MessageType& type, Bytes message) {
  if (to == self_) {
    if (trace_messages_)
      trace(TraceEvent("msg_send").with("to", to).with("type", type.name).with("bytes", static_cast<std::uint64_t>(message.size())));
    boost::asio::post(io_, [this, m = std::move(message)] {
      if (!node_) return;
      if (trace_messages_) trace(TraceEvent("msg_recv").with("from", self_).with("type", node_->type_name(peek_type(m))));
      if (auto s = node_->deliver(self_, m); !s) std::fprintf(stderr, "mabeam node %s: own message refused: %s\n", self_.c_str(), s.message().c_str());
    });
    return;
  }
  if (sink_) sink_->send(to, type, std::move(message));
}

TimerId AsioContext::after(DurationUs delay, TimerFn fn) {
  Timers& t = *timers_;
  const TimerId id = t.next_id++;
  const TimeUs due = now() + (delay > 0 ? delay : 0);
  t.queue.emplace(std::make_pair(due, id), std::move(fn));
  t.due_of.emplace(id, due);
  arm();
  return id;
}

void AsioContext::arm() {
  Timers& t = *timers_;
  if (t.queue.empty()) return;
  const TimeUs next = t.queue.begin()->first.first;
  if (t.armed_for >= 0 && t.armed_for <= next) return;
  t.armed_for = next;
  // Re-arming cancels the earlier wait (its handler sees operation_aborted). If that wait had
  // already completed, its handler runs fire() early, which fires only what is due.
  t.timer.expires_at(kProcessStart + std::chrono::microseconds(next));
  t.timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) fire();
  });
}

void AsioContext::fire() {
  Timers& t = *timers_;
  t.armed_for = -1;
  const TimeUs now_us = now();
  // In (due, id) order. A callback may set or cancel timers, so look the head up each time.
  while (!t.queue.empty() && t.queue.begin()->first.first <= now_us) {
    auto it = t.queue.begin();
    const TimerId fired = it->first.second;
    TimerFn f = std::move(it->second);
    t.queue.erase(it);
    t.due_of.erase(fired);
    f();
  }
  arm();
}

void AsioContext::cancel(TimerId id) {
  Timers& t = *timers_;
  auto it = t.due_of.find(id);
  if (it == t.due_of.end()) return;
  t.queue.erase(std::make_pair(it->second, id));
  t.due_of.erase(it);
}

std::size_t AsioContext::timers_pending() const { return timers_->queue.size(); }

}  // namespace mabeam::real
