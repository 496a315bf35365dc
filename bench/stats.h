// The statistics of `mabeam bench`, defined once for every figure: a figure called a median
// is median() of its samples, a p99 or a max is percentile() of them, whatever group it is
// in. Samples are wall times, rates or simulated times; none of this reaches a trace.
#pragma once
#include <vector>

namespace mabeam::bench {

// The middle sample of an odd count, the mean of the two middle ones of an even count;
// NaN without samples (a group reports a figure without samples as not measured instead).
double median(std::vector<double> samples);

// Nearest rank: the smallest sample with at least a fraction `p` (in (0, 1]) of the samples
// at or below it; percentile(v, 1.0) is the largest. NaN without samples.
double percentile(std::vector<double> samples, double p);

}  // namespace mabeam::bench
