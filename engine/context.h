// The seam between protocol code and the world. A service acts only through its node's
// Context: the simulator (sim/) implements it on a discrete-event scheduler, the real
// runtime (real/) on an Asio io_context. Everything a node does to the outside goes
// through here, so the same service code runs, unchanged, in both worlds.
//
// Contract for implementations:
// - All calls come from, and all callbacks run on, the node's one thread.
// - now() never goes backwards. Timers due at the same instant fire in the order they were
//   set. A cancelled timer never fires; cancelling a fired or unknown id is a no-op.
// - send() never blocks and never fails synchronously: delivery is best effort, and a
//   message may be dropped, delayed, duplicated or reordered by the network. Messages to
//   oneself are delivered like any other.
// - Callbacks and in-flight messages of a node die with it when it crashes.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "engine/codec.h"
#include "engine/rng.h"
#include "engine/storage.h"
#include "engine/time.h"
#include "engine/trace_event.h"

namespace mabeam {

using TimerId = std::uint64_t;
using TimerFn = std::function<void()>;

class Context {
 public:
  virtual ~Context() = default;

  virtual const std::string& self() const = 0;
  // Monotonic time in µs (affected by the node's clock drift, never by skew jumps).
  virtual TimeUs now() const = 0;
  // Wall-clock time in µs, for hybrid logical clocks; may jump (clock skew) and differ by node.
  virtual TimeUs wall_now() const = 0;

  // Sends an encoded message (header included, see codec.h) to the named node.
  virtual void send(const std::string& to, const MessageType& type, Bytes message) = 0;

  virtual TimerId after(DurationUs delay, TimerFn fn) = 0;
  virtual void cancel(TimerId id) = 0;

  virtual Rng& rng() = 0;
  virtual Storage& storage() = 0;

  // Whether trace events are recorded at all; emitters may skip building them when not.
  virtual bool tracing() const = 0;
  virtual void emit(const TraceEvent& event) = 0;

  // Typed helper: encodes and sends.
  template <class M>
  void send_msg(const std::string& to, const M& m) {
    send(to, M::kType, encode_message(m));
  }
};

}  // namespace mabeam
