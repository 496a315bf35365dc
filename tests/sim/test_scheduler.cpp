// The discrete-event scheduler: time order, scheduling order among ties, cancellation,
// and agreement with a reference model over random schedules spanning every wheel level.
#include <catch2/catch.hpp>

#include <map>

#include "engine/rng.h"
#include "sim/scheduler.h"

using mabeam::Rng;
using mabeam::TimeUs;
using mabeam::sim::Scheduler;

TEST_CASE("scheduler: events fire in time order and ties in scheduling order", "[scheduler]") {
  Scheduler s;
  std::vector<int> order;
  s.at(50, [&] { order.push_back(3); });
  s.at(10, [&] { order.push_back(1); });
  s.at(50, [&] { order.push_back(4); });
  s.at(10, [&] { order.push_back(2); });
  s.run_until(100);
  CHECK(order == std::vector<int>{1, 2, 3, 4});
  CHECK(s.now() == 100);
}

TEST_CASE("scheduler: an event scheduled for now from a callback fires after those already due now", "[scheduler]") {
  Scheduler s;
  std::vector<int> order;
  s.at(5, [&] {
    order.push_back(1);
    s.at(5, [&] { order.push_back(3); });
  });
  s.at(5, [&] { order.push_back(2); });
  s.run_until(5);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("scheduler: a cancelled event never fires and a stale id cancels nothing", "[scheduler]") {
  Scheduler s;
  int fired = 0;
  auto a = s.at(10, [&] { fired += 1; });
  s.cancel(a);
  s.run_until(20);
  CHECK(fired == 0);
  auto b = s.at(30, [&] { fired += 10; });  // may reuse a's slot
  s.cancel(a);                               // stale: must not cancel b
  s.run_until(40);
  CHECK(fired == 10);
  s.cancel(b);  // already fired: no-op
  CHECK(s.pending() == 0);
}

TEST_CASE("scheduler: run_until stops before later events and the clock never goes back", "[scheduler]") {
  Scheduler s;
  int fired = 0;
  s.at(1000000, [&] { ++fired; });
  s.run_until(999999);
  CHECK(fired == 0);
  CHECK(s.now() == 999999);
  s.at(5, [&] { fired += 100; });  // in the past: clamped to now
  s.run_until(999999);
  CHECK(fired == 100);
  s.run_until(2000000);
  CHECK(fired == 101);
}

TEST_CASE("scheduler: random schedules match a reference ordered map, across all wheel levels", "[scheduler]") {
  Rng rng(99);
  Scheduler s;
  std::map<std::pair<TimeUs, std::uint64_t>, int> model;  // (time, scheduling seq) -> tag
  std::vector<int> fired_order;
  std::uint64_t seq = 0;
  std::map<int, Scheduler::EventId> ids;
  int next_tag = 0;
  auto schedule = [&](TimeUs t) {
    const int tag = next_tag++;
    const TimeUs when = std::max(t, s.now());
    model.emplace(std::make_pair(when, seq++), tag);
    ids[tag] = s.at(t, [&, tag] { fired_order.push_back(tag); });
  };
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 50; ++i) {
      // Spread over µs to years so every level of the wheel is used.
      const int scale = static_cast<int>(rng.below(7));
      TimeUs span = 1;
      for (int k = 0; k < scale; ++k) span *= 256;
      schedule(s.now() + static_cast<TimeUs>(rng.below(static_cast<std::uint64_t>(span) * 2)));
    }
    // Cancel a few.
    for (int i = 0; i < 5 && !model.empty(); ++i) {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng.below(model.size())));
      s.cancel(ids[it->second]);
      model.erase(it);
    }
    const TimeUs until = s.now() + static_cast<TimeUs>(rng.below(1000000));
    std::vector<int> expected;
    while (!model.empty() && model.begin()->first.first <= until) {
      expected.push_back(model.begin()->second);
      model.erase(model.begin());
    }
    fired_order.clear();
    s.run_until(until);
    REQUIRE(fired_order == expected);
  }
}
