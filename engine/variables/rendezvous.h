// Rendezvous (highest-random-weight) hashing, Thaler & Ravishankar: every node scores each
// candidate by a hash of (key, candidate) and takes the k highest. All nodes that agree on
// the candidates pick the same set, and when a candidate goes away only the keys it held
// move (to the next-highest), so replica sets change as little as possible.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mabeam::vars {

std::uint64_t rendezvous_weight(const std::string& key, const std::string& node);
// The k candidates of highest weight for `key`, highest first (ties by name). k >= size
// returns every candidate.
std::vector<std::string> rendezvous_pick(const std::string& key, std::vector<std::string> candidates, std::size_t k);

}  // namespace mabeam::vars
