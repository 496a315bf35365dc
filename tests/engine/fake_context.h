// A Context for unit tests of one service: time moves only when the test says so, sends
// are recorded instead of delivered, and timers fire when the test advances the clock.
// A test feeds inputs and looks at what the service asked the Context to do.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/context.h"

namespace mabeam::test {

class MemoryStorage final : public Storage {
 public:
  Status append(const std::string& f, const Bytes& r) override {
    if (faulty) return Status::io_error("disk fault: append to " + f + " failed");
    files[f].push_back(r);
    return Status::ok();
  }
  Status sync(const std::string& f) override {
    if (faulty) return Status::io_error("disk fault: sync of " + f + " failed");
    if (fail_syncs == 0) return Status::ok();
    --fail_syncs;
    return Status::io_error("sync of " + f + " failed (injected)");
  }
  // Completes through `post` (the FakeContext's timers, at the current time); with
  // `hold_syncs` the completions wait in `held` until release_syncs().
  void sync_async(const std::string& f, SyncDone done) override {
    ++syncs_started;
    const Status st = sync(f);
    if (hold_syncs) {
      held.push_back(std::move(done));
    } else if (post) {
      post([done = std::move(done), st] { done(st); });
    } else {
      done(st);
    }
  }
  void release_syncs() {
    auto ready = std::move(held);
    held.clear();
    for (auto& d : ready) d(Status::ok());
  }
  Result<std::vector<Bytes>> read(const std::string& f) override { return files[f]; }
  Status rewrite(const std::string& f, const std::vector<Bytes>& rs) override {
    if (faulty) return Status::io_error("disk fault: rewrite of " + f + " failed");
    files[f] = rs;
    return Status::ok();
  }
  std::map<std::string, std::vector<Bytes>> files;
  int fail_syncs = 0;  // the next this many syncs fail (appends stay, as a torn disk's may)
  bool faulty = false;  // every write fails while set (a disk fault)
  std::function<void(std::function<void()>)> post;
  bool hold_syncs = false;
  std::vector<SyncDone> held;
  std::size_t syncs_started = 0;
};

class FakeContext final : public Context {
 public:
  explicit FakeContext(std::string name, std::uint64_t seed = 1) : name_(std::move(name)), rng_(seed) {
    storage_.post = [this](std::function<void()> fn) { after(0, std::move(fn)); };
  }

  struct Sent {
    std::string to;
    std::string type;
    Bytes bytes;
  };
  struct Emitted {
    TimeUs t;
    TraceEvent ev;
  };

  const std::string& self() const override { return name_; }
  TimeUs now() const override { return now_; }
  TimeUs wall_now() const override { return now_; }
  void send(const std::string& to, const MessageType& type, Bytes message) override {
    sent.push_back({to, type.name, std::move(message)});
  }
  TimerId after(DurationUs delay, TimerFn fn) override {
    const TimerId id = next_++;
    timers_.emplace(std::make_pair(now_ + delay, id), std::move(fn));
    return id;
  }
  void cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
  }
  Rng& rng() override { return rng_; }
  Storage& storage() override { return storage_; }
  MemoryStorage& memory() { return storage_; }
  bool tracing() const override { return true; }
  void emit(const TraceEvent& e) override { emitted.push_back({now_, e}); }

  // Fires every timer due up to t, in order, then sets the clock to t.
  void advance_to(TimeUs t) {
    while (!timers_.empty() && timers_.begin()->first.first <= t) {
      auto it = timers_.begin();
      now_ = it->first.first;
      TimerFn fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    now_ = t;
  }
  std::size_t pending_timers() const { return timers_.size(); }

  std::vector<Sent> sent;
  std::vector<Emitted> emitted;

 private:
  std::string name_;
  Rng rng_;
  MemoryStorage storage_;
  TimeUs now_ = 0;
  TimerId next_ = 1;
  std::map<std::pair<TimeUs, TimerId>, TimerFn> timers_;
};

}  // namespace mabeam::test
