// The seeded RNG (same seed, same stream; distributions in range) and duration parsing.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/duration.h"
#include "engine/rng.h"

using namespace mabeam;

TEST_CASE("rng: the same run seed and node name give the same stream", "[rng]") {
  Rng a = Rng::for_node(7, "n1"), b = Rng::for_node(7, "n1"), c = Rng::for_node(7, "n2"), d = Rng::for_node(8, "n1");
  bool differs_by_name = false, differs_by_seed = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    differs_by_name |= x != c.next();
    differs_by_seed |= x != d.next();
  }
  CHECK(differs_by_name);
  CHECK(differs_by_seed);
}

TEST_CASE("rng: below(n) stays in range and covers it evenly", "[rng]") {
  Rng r(1);
  std::vector<int> hist(10, 0);
  for (int i = 0; i < 100000; ++i) {
    const auto v = r.below(10);
    REQUIRE(v < 10);
    ++hist[v];
  }
  for (int h : hist) CHECK(std::abs(h - 10000) < 600);
}

TEST_CASE("rng: distributions have the right means", "[rng]") {
  Rng r(3);
  const int n = 200000;
  double sum_n = 0, sum_e = 0, sum_u = 0;
  for (int i = 0; i < n; ++i) {
    sum_n += static_cast<double>(r.normal(10'000, 2'000));
    sum_e += static_cast<double>(r.exponential(5'000));
    sum_u += r.unit();
  }
  CHECK(sum_n / n == Approx(10'000).epsilon(0.01));
  CHECK(sum_e / n == Approx(5'000).epsilon(0.02));
  CHECK(sum_u / n == Approx(0.5).epsilon(0.01));
  for (int i = 0; i < 1000; ++i) CHECK(r.pareto(2'000, 1'500'000) >= 2'000);
  CHECK_FALSE(r.chance(0.0));
  CHECK(r.chance(1.0));
}

TEST_CASE("duration: units us, ms, s and m parse, with fractions", "[duration]") {
  CHECK(*parse_duration("40us") == 40);
  CHECK(*parse_duration("200ms") == 200000);
  CHECK(*parse_duration("1.5s") == 1500000);
  CHECK(*parse_duration("2m") == 120000000);
  CHECK(*parse_duration("0s") == 0);
  CHECK(format_duration(1500000) == "1.5s");
  CHECK(format_duration(200000) == "200ms");
  CHECK(format_duration(120000000) == "2m");
  CHECK(format_duration(7) == "7us");
}

TEST_CASE("duration: malformed durations are errors that say what was expected", "[duration]") {
  for (const char* bad : {"", "10", "ms", "1.5h", "-3s", "1e3ms", "10 ms"}) {
    auto d = parse_duration(bad);
    REQUIRE_FALSE(d.is_ok());
    CHECK_FALSE(d.status().message().empty());
  }
  CHECK_THAT(parse_duration("10").status().message(), Catch::Contains("needs a unit"));
  CHECK_THAT(parse_duration("99999999999999999999s").status().message(), Catch::Contains("too large"));
  CHECK(*parse_duration("43200m") == kDurationMax);  // 30 days exactly
  CHECK_THAT(parse_duration("43201m").status().message(), Catch::Contains("longer than 30 days"));
  CHECK_THAT(parse_duration("2592000.000001s").status().message(), Catch::Contains("longer than 30 days"));
}
