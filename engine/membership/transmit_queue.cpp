// The piggyback buffer (see transmit_queue.h).
#include "engine/membership/transmit_queue.h"

#include <algorithm>

#include "engine/fixed_math.h"

namespace mabeam::swim {

void TransmitQueue::enqueue(Update u, TimeUs now) {
  Item item;
  item.bytes = encoded_bytes(u) + 2;  // room for the age to grow by a few varint bytes
  item.id = next_id_++;
  item.enqueued_at = now;
  item.update = std::move(u);
  const std::string key = item.update.node;
  items_[key] = std::move(item);
}

std::vector<Update> TransmitQueue::take(std::size_t bytes_max, int transmits_max, TimeUs now) {
  std::vector<Item*> order;
  order.reserve(items_.size());
  for (auto& [name, item] : items_) order.push_back(&item);
  std::sort(order.begin(), order.end(), [](const Item* a, const Item* b) {
    if (a->transmits != b->transmits) return a->transmits < b->transmits;
    return a->id > b->id;
  });
  std::vector<Update> out;
  std::vector<std::string> done;
  std::size_t used = 0;
  for (Item* item : order) {
    if (used + item->bytes > bytes_max) continue;  // a smaller one further on may still fit
    used += item->bytes;
    out.push_back(item->update);
    if (out.back().state == GossipState::suspect || out.back().state == GossipState::dead)
      out.back().age += std::max<DurationUs>(0, now - item->enqueued_at);
    if (++item->transmits >= transmits_max) done.push_back(item->update.node);
  }
  for (const auto& n : done) items_.erase(n);
  return out;
}

int TransmitQueue::transmits(const std::string& node) const {
  auto it = items_.find(node);
  return it == items_.end() ? -1 : it->second.transmits;
}

int retransmit_limit(int mult, std::size_t n) {
  const int scale = fixed::ceil_log(static_cast<std::uint64_t>(n) + 1, 10);  // ceil(log10(n + 1)), exactly
  return std::max(1, mult * std::max(1, scale));
}

}  // namespace mabeam::swim
