// Rendezvous hashing (see rendezvous.h).
#include "engine/variables/rendezvous.h"

#include <algorithm>

#include "engine/rng.h"

namespace mabeam::vars {

std::uint64_t rendezvous_weight(const std::string& key, const std::string& node) {
  // FNV-1a of "key\0node", then a splitmix64 finaliser so nearby names spread out.
  std::string text = key;
  text.push_back('\0');
  text += node;
  std::uint64_t z = fnv1a64(text) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<std::string> rendezvous_pick(const std::string& key, std::vector<std::string> candidates, std::size_t k) {
  std::vector<std::pair<std::uint64_t, std::string>> scored;
  scored.reserve(candidates.size());
  for (auto& c : candidates) scored.emplace_back(rendezvous_weight(key, c), std::move(c));
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < k; ++i) out.push_back(std::move(scored[i].second));
  return out;
}

}  // namespace mabeam::vars
