// The piggyback buffer of SWIM dissemination: updates waiting to ride on outgoing pings,
// acks and ping-requests. Each update is sent a bounded number of times (about
// retransmit_mult * log10(n+1), so it reaches every member with high probability, as in
// SWIM's infection-style dissemination) and then dropped; push-pull anti-entropy repairs
// whatever the bound missed. A newer update about a node replaces the queued one.
//
// Choice per message: least-sent first, then newest first, while the batch fits the byte
// budget. Ties are broken by an insertion counter, so the choice is deterministic.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/membership/messages.h"

namespace mabeam::swim {

class TransmitQueue {
 public:
  // Queues `u` at local time `now`, replacing any update about the same node.
  void enqueue(Update u, TimeUs now);
  // Picks updates for one message sent at `now`: at most `bytes_max` encoded bytes in all.
  // Each picked update counts one transmission and leaves the queue after `transmits_max`
  // of them. An accusation's age grows by the time it waited here.
  std::vector<Update> take(std::size_t bytes_max, int transmits_max, TimeUs now);
  // Drops the queued update about `node`, if any.
  void erase(const std::string& node) { items_.erase(node); }
  std::size_t size() const { return items_.size(); }
  // Times the queued update about `node` has been sent; -1 if none is queued.
  int transmits(const std::string& node) const;

 private:
  struct Item {
    Update update;
    int transmits = 0;
    std::uint64_t id = 0;  // insertion order: larger is newer
    std::size_t bytes = 0;
    TimeUs enqueued_at = 0;
  };
  std::map<std::string, Item> items_;
  std::uint64_t next_id_ = 1;
};

// The retransmit bound for a cluster of n members: mult * ceil(log10(n + 1)), at least 1.
int retransmit_limit(int mult, std::size_t n);

}  // namespace mabeam::swim
