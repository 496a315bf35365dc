// The checker against an independent oracle and against histories whose answer is known by
// construction: random small histories agree with brute force (every order tried), and
// their violations are minimal; generated linearizable histories pass and the same with one
// stale read fail with a minimal set; each budget (steps, time, cache memory) gives
// "undecided" rather than an answer it has not found.
#include <catch2/catch.hpp>

#include "engine/rng.h"
#include "sim/lincheck/checker.h"
#include "sim/lincheck/generate.h"
#include "sim/lincheck/history.h"
#include "tests/sim/lincheck_test_util.h"

using namespace mabeam;
using namespace mabeam::lincheck;

namespace {

// A random history of a few operations from 3 clients: random kinds, values from 1 to
// `values` (reads also return null), outcomes ok/fail/info, random interleaving. Many are
// linearizable, many are not. Few values make repeated writes of one value; more make
// values written once (where the search cuts branches that leave a value still to be read)
// and values never read (blind writes, which the search never chooses on their own).
History random_small(std::uint64_t seed, Model model, std::uint64_t values = 2) {
  Rng rng(seed);
  HistoryBuilder b(model);
  struct Client {
    std::int64_t process = 0;
    bool open = false;
    std::string f;
    nlohmann::json value;
  };
  std::vector<Client> clients(3);
  for (std::size_t i = 0; i < clients.size(); ++i) clients[i].process = static_cast<std::int64_t>(i);
  std::int64_t next_process = 3;
  const std::size_t ops_max = 3 + rng.below(6);
  std::size_t invoked = 0, line = 0;
  auto value = [&]() -> nlohmann::json {
    if (model == Model::kv) return std::string(1, static_cast<char>('a' + rng.below(2)));
    return static_cast<std::int64_t>(1 + rng.below(values));
  };
  while (true) {
    bool any_open = false;
    for (const auto& c : clients) any_open = any_open || c.open;
    if (invoked == ops_max && !any_open) break;
    Client& c = clients[rng.below(clients.size())];
    ++line;
    if (!c.open) {
      if (invoked == ops_max) continue;
      const std::uint64_t k = rng.below(3);
      c.f = k == 0 ? "read" : k == 1 ? "write" : (model == Model::kv ? "append" : "cas");
      c.value = c.f == "read" ? nlohmann::json() : c.f == "cas" ? nlohmann::json::array({value(), value()}) : value();
      REQUIRE(b.invoke(line, c.process, c.f, c.value, model == Model::kv ? nlohmann::json("k") : nlohmann::json(), {}));
      c.open = true;
      ++invoked;
      continue;
    }
    const std::uint64_t roll = rng.below(10);
    const Outcome outcome = roll < 7 ? Outcome::ok : roll < 9 ? Outcome::info : Outcome::fail;
    nlohmann::json result = c.value;
    if (c.f == "read") {
      const std::uint64_t v = rng.below(3);
      result = v == 0 ? nlohmann::json() : model == Model::kv ? nlohmann::json(rng.chance(0.5) ? "ab" : "a") : value();
    }
    REQUIRE(b.complete(line, c.process, outcome, c.f, result, {}));
    c.open = false;
    if (outcome == Outcome::info) c.process = next_process++;
  }
  return std::move(b).finish();
}

GenerateOptions generated(std::uint64_t seed, std::size_t ops) {
  GenerateOptions g;
  g.seed = seed;
  g.ops = ops;
  g.clients = 10;
  return g;
}

// A history that takes the search many steps (hundreds of thousands) and cache entries: 20
// clients and a stale read halfway, so every configuration before it is explored.
History hard_history(std::uint64_t seed) {
  GenerateOptions g = generated(seed, 2000);
  g.clients = 20;
  History h = generate_history(g);
  REQUIRE(make_stale_read(h, 0.5) >= 0);
  return h;
}

}  // namespace

TEST_CASE("lincheck: random small cas-register histories agree with brute force, violations minimal", "[lincheck]") {
  std::size_t linearizable = 0, not_linearizable = 0;
  for (std::uint64_t seed = 1; seed <= 4000; ++seed) {
    const std::uint64_t values = seed % 2 == 0 ? 2 : 4;
    const History h = random_small(seed, Model::cas_register, values);
    INFO("seed " << seed << ", values 1.." << values);
    const CheckReport r = check_history(h, {});
    const bool oracle = test::brute_force_orders(h);
    REQUIRE((r.verdict == Verdict::linearizable) == oracle);
    if (oracle) {
      ++linearizable;
      continue;
    }
    ++not_linearizable;
    REQUIRE(r.violation.has_value());
    test::require_minimal_violation(h, *r.violation, test::brute_force_orders);
  }
  // Both answers occur often enough for the comparison to mean something.
  CHECK(linearizable > 300);
  CHECK(not_linearizable > 300);
}

TEST_CASE("lincheck: random small kv histories with appends agree with brute force", "[lincheck]") {
  std::size_t linearizable = 0, not_linearizable = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    const History h = random_small(seed, Model::kv);
    INFO("seed " << seed);
    const CheckReport r = check_history(h, {});
    const bool oracle = test::brute_force_orders(h);
    REQUIRE((r.verdict == Verdict::linearizable) == oracle);
    if (oracle) {
      ++linearizable;
    } else {
      ++not_linearizable;
      REQUIRE(r.violation.has_value());
      test::require_minimal_violation(h, *r.violation, test::brute_force_orders);
    }
  }
  CHECK(linearizable > 200);
  CHECK(not_linearizable > 200);
}

TEST_CASE("lincheck: generated histories are linearizable by construction", "[lincheck]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    GenerateOptions g = generated(seed, 2000);
    g.value_domain = seed % 2 == 0 ? 3 : 0;         // few values (many orders look alike) or unique
    g.info_probability = seed <= 3 ? 0.0 : 0.05;    // with timeouts: info ops, fresh processes
    g.keys = seed == 6 ? 20 : 1;
    const History h = generate_history(g);
    INFO("seed " << seed);
    REQUIRE(h.ops.size() == 2000);
    const CheckReport r = check_history(h, {});
    CHECK(r.verdict == Verdict::linearizable);
    CHECK(r.keys == g.keys);
  }
}

TEST_CASE("lincheck: a generated history with one stale read fails with a minimal set around it", "[lincheck]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    GenerateOptions g = generated(seed, 2000);
    g.info_probability = seed % 2 == 0 ? 0.02 : 0.0;
    g.clients = seed <= 2 ? 10 : seed <= 4 ? 20 : 50;
    History h = generate_history(g);
    const std::ptrdiff_t stale = make_stale_read(h, 0.5);
    REQUIRE(stale >= 0);
    INFO("seed " << seed << ", " << g.clients << " clients, stale read at op " << stale);
    const CheckReport r = check_history(h, {});
    REQUIRE(r.verdict == Verdict::not_linearizable);
    REQUIRE(r.violation.has_value());
    const auto& ops = r.violation->ops;
    CHECK(std::find(ops.begin(), ops.end(), static_cast<std::size_t>(stale)) != ops.end());
    CHECK(ops.size() <= 8);
    test::require_minimal_violation(h, *r.violation, test::brute_force_orders);
  }
}

TEST_CASE("lincheck: a step budget too small gives undecided, never a verdict", "[lincheck]") {
  const History h = generate_history(generated(7, 1000));
  CheckOptions o;
  o.steps_max = 50;
  const CheckReport r = check_history(h, o);
  CHECK(r.verdict == Verdict::undecided);
  CHECK(r.undecided_reason == "the step budget of 50 steps ran out");
  CHECK(r.steps == 51);  // the step that went over is counted
  CHECK_THAT(format_report(h, r), Catch::StartsWith("undecided: the step budget of 50 steps ran out; 1000 operations"));
}

TEST_CASE("lincheck: a time budget already spent gives undecided", "[lincheck]") {
  // The clock is read every 4096 steps; this history needs far more, so the deadline (now)
  // is seen to have passed at the first reading whatever the machine's speed.
  const History h = hard_history(8);
  CheckOptions o;
  o.timeout = std::chrono::milliseconds(0);
  const CheckReport r = check_history(h, o);
  CHECK(r.verdict == Verdict::undecided);
  CHECK_THAT(r.undecided_reason, Catch::StartsWith("the time budget of 0 s ran out after 4096 steps"));
}

TEST_CASE("lincheck: a cache memory limit too small gives undecided", "[lincheck]") {
  const History h = hard_history(9);
  CheckOptions o;
  o.cache_bytes_max = 1;
  const CheckReport r = check_history(h, o);
  CHECK(r.verdict == Verdict::undecided);
  CHECK(r.undecided_reason == "the search cache outgrew its limit of 0 MiB");
}

TEST_CASE("lincheck: a budget that ends while shrinking still reports a set that cannot be ordered", "[lincheck]") {
  History h = generate_history(generated(10, 1000));
  REQUIRE(make_stale_read(h, 0.5) >= 0);
  CheckOptions decide;
  decide.minimize = false;
  const CheckReport first = check_history(h, decide);
  REQUIRE(first.verdict == Verdict::not_linearizable);
  std::size_t judged = 0;  // what the search is given: no fails, no reads without a result
  for (const auto& op : h.ops)
    judged += op.outcome != Outcome::fail && (op.kind != OpKind::read || op.outcome == Outcome::ok) ? 1 : 0;
  CHECK(first.violation->ops.size() == judged);  // nothing shrunk
  CHECK_FALSE(first.violation->minimal);
  CheckOptions tight;
  tight.steps_max = first.steps;  // enough to decide, none left to shrink
  const CheckReport r = check_history(h, tight);
  REQUIRE(r.verdict == Verdict::not_linearizable);
  CHECK_FALSE(r.violation->minimal);
  CHECK_FALSE(test::checker_orders(test::sub_history(h, r.violation->ops)));
  CHECK_THAT(format_report(h, r), Catch::Contains("The budget ran out while shrinking: a smaller set may exist."));
}

TEST_CASE("lincheck: kv histories are checked per key, and one bad key among many is named", "[lincheck]") {
  GenerateOptions g = generated(11, 3000);
  g.keys = 30;
  History h = generate_history(g);
  const std::ptrdiff_t stale = make_stale_read(h, 0.4);
  REQUIRE(stale >= 0);
  const CheckReport r = check_history(h, {});
  REQUIRE(r.verdict == Verdict::not_linearizable);
  CHECK(r.keys == 30);
  REQUIRE(r.bad_keys.size() == 1);
  CHECK(r.bad_keys[0] == h.ops[static_cast<std::size_t>(stale)].key);
  CHECK(r.violation->key == h.ops[static_cast<std::size_t>(stale)].key);
  for (std::size_t i : r.violation->ops) CHECK(h.ops[i].key == r.violation->key);
}

TEST_CASE("lincheck: the same history gives the same report", "[lincheck]") {
  History h = generate_history(generated(12, 1500));
  REQUIRE(make_stale_read(h, 0.7) >= 0);
  const CheckReport a = check_history(h, {});
  const CheckReport b = check_history(h, {});
  CHECK(a.steps == b.steps);
  CHECK(format_report(h, a) == format_report(h, b));
}

TEST_CASE("lincheck: a kv report names the undecided keys and still gives a verdict found on another key", "[lincheck]") {
  // Key a: a stale read, found in a few steps. Key b: a generated history that needs far
  // more steps than the budget leaves.
  History h = hard_history(13);
  for (auto& op : h.ops) op.key = "b";
  h.model = Model::kv;
  const std::size_t base = h.ops.size() * 2 + 10;  // lines after b's
  auto add = [&](std::int64_t process, const char* f, nlohmann::json value, nlohmann::json read, std::size_t at) {
    Operation op;
    op.process = process;
    op.kind = std::string(f) == "read" ? OpKind::read : OpKind::write;
    op.f = f;
    op.key = "a";
    op.value = std::move(value);
    op.read_value = std::move(read);
    op.outcome = Outcome::ok;
    op.invoke_line = base + at;
    op.complete_line = base + at + 1;
    h.ops.push_back(std::move(op));
  };
  add(1000, "write", 1, nullptr, 0);
  add(1000, "write", 2, nullptr, 2);
  add(1001, "read", nullptr, 1, 4);
  CheckOptions o;
  o.steps_max = 2000;
  const CheckReport r = check_history(h, o);
  CHECK(r.verdict == Verdict::not_linearizable);
  REQUIRE(r.bad_keys.size() == 1);
  CHECK(r.bad_keys[0] == "a");
  REQUIRE(r.undecided_keys.size() == 1);
  CHECK(r.undecided_keys[0] == "b");
  const std::string text = format_report(h, r);
  CHECK_THAT(text, Catch::Contains("keys not linearizable: a\n"));
  CHECK_THAT(text, Catch::Contains("keys undecided (the step budget of 2000 steps ran out (key b)): b\n"));
  CHECK_THAT(text, Catch::Contains("key a: these 3 operations cannot be ordered, a minimal set:"));
}
