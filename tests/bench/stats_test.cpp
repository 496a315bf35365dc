// The statistics every `mabeam bench` figure uses (bench/stats.h): one median definition,
// nearest-rank percentiles, and no number made up from no samples.
#include <catch2/catch.hpp>
#include <cmath>

#include "bench/stats.h"

using mabeam::bench::median;
using mabeam::bench::percentile;

TEST_CASE("stats: the median is the middle sample, or the mean of the two middle ones", "[bench]") {
  CHECK(median({7}) == 7);
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 3, 2}) == 2.5);  // not the upper middle (3) nor the lower (2)
  CHECK(median({10, 10, 1, 1000, 10}) == 10);
  CHECK(std::isnan(median({})));
}

TEST_CASE("stats: percentiles are nearest-rank, and 1.0 is the largest sample", "[bench]") {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  CHECK(percentile(v, 0.99) == 99);
  CHECK(percentile(v, 1.0) == 100);
  CHECK(percentile(v, 0.5) == 50);
  CHECK(percentile({4, 1, 3, 2}, 0.5) == 2);
  CHECK(percentile({5}, 0.99) == 5);
  CHECK(percentile({2, 9}, 0.0) == 2);  // below the first rank: the smallest
  CHECK(std::isnan(percentile({}, 0.5)));
}
