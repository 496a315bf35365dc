// SWIM membership with Lifeguard refinements: the cluster's default failure detector and
// member list (DESIGN.md "Services": membership and gossip).
//
// The moving parts:
// - Join. A node with seeds sends Join to each of them, retrying with exponential backoff;
//   a seed answers with its whole member list (a push-pull reply). If no seed has answered
//   within join_timeout the node traces `join_failed` and keeps retrying at the longest
//   backoff. A node without seeds (the first of a cluster) forms the cluster on its own.
// - Failure detection. Every probe_interval the node probes one member, taken in a random
//   round-robin order (the member list is shuffled with the node's RNG each round): a Ping
//   directly, and if no Ack comes within probe_timeout, a PingReq through indirect_probes
//   random members, who ping the target and relay its ack. No ack by the end of the period:
//   the target becomes `suspect`. An ack always carries its sender's own current
//   incarnation, so a prober that missed a refutation's gossip still learns of it. A suspicion times out into `down` (SWIM's dead) after
//   suspicion_mult * max(1, log10(n+1)) * probe_interval at least and suspicion_max_mult
//   times that at most: it starts at the maximum and shrinks towards the minimum as other
//   members independently suspect the same incarnation (Lifeguard). A suspected node that
//   hears of it refutes: it raises its incarnation and gossips `alive`.
// - Local health (Lifeguard). A failed probe or a refutation raises this node's health
//   score, a successful probe lowers it; probe interval and timeout are stretched by
//   (score + 1), so a node that is itself slow or cut off probes and accuses less.
// - Dissemination. Every state change is queued and piggybacked on pings, acks and
//   ping-requests (transmit_queue.h), each update about retransmit_mult * log10(n+1) times.
//   Every push_pull_interval the node exchanges its whole list with one random active
//   member and, to heal partitions, with one random member it holds `down` (Serf's
//   reconnect). A node that learns others hold it suspect, down or left while it runs
//   refutes with a higher incarnation, so both sides of a healed partition re-learn each
//   other as active. Merging follows SWIM's precedence (incarnation, then left > dead >
//   suspect > alive); a `dead` from a push-pull about a member held alive only starts a
//   suspicion (as memberlist does), so one stale view cannot kill a live node.
// - Hints and refusals from the host. A closed connection (hint_unreachable) only makes the
//   node probe that member at once, out of the round-robin order; an unanswered probe starts
//   the usual suspicion. A refused connection (hint_refused: no process listens at the
//   member's address, as after a kill -9 on a live host) is evidence: the prober asks its
//   indirect helpers at once instead of after probe_timeout, a helper whose own ping is
//   refused answers with a Nack, and a probe refused at the prober and by at least one
//   helper (or by the prober alone when it has no helper to ask), with no ack from anyone,
//   marks the member down at once, skipping the suspicion (traced with "why":"refused").
//   Silence (a hung process, a cut link) is never enough: it goes through suspicion. A
//   refused address may be a process that is restarting: it comes back with a higher
//   incarnation, which overrides the death.
// - Deaths. A member that declares another down (its suspicion timed out, or refusals
//   settled it) tells the members directly. A receiver that holds the member alive and has
//   heard from it since the verdict's evidence began ignores it (the verdict is older than
//   what it knows); one that has not verifies it with a probe of its own (out of order, now)
//   and takes it only if the member does not answer, so a verdict made behind a partition
//   does not kill a member the receiver can reach. A death in a full state (push-pull) only
//   starts a suspicion (memberlist's rule).
// - Buddy system (Lifeguard). A ping to a member held suspect carries the suspicion, and
//   a node that starts suspecting a member tells it directly, so a live suspect refutes at
//   once even when the gossip about it goes elsewhere; a refutation goes straight back to
//   the accuser too.
// - Leave. stop() marks self `leaving` then `left` and sends the news to a few members,
//   who gossip it on. A restarted node comes back with a higher incarnation (its boot
//   count, or one more than what the cluster last knew of it, through refutation).
//
// - Push-pull is not scaled with the cluster size (memberlist stretches it above 32
//   members): measured here, the tail of detection times rests on push-pull (at 50 nodes
//   with 1% loss the p99 went from 11.8 s to 21.6 s with memberlist's scaling), and a full
//   state of 500 members every 30 s is about 0.5 KB/s per node.
// - Reaping. A member held down or left for reap_after (24 h by default, Serf's reconnect
//   and tombstone timeouts) is forgotten, so churn does not grow the member list forever.
//   News of the death or departure of a node this node does not know is ignored (as
//   memberlist does): a forgotten member is not brought back by a peer that still holds it
//   down, and a newcomer does not learn the cluster's graveyard.
//
// Trace: `member` events (observer = this node, subject, state, incarnation) on each state
// change: joining, active, suspect (with the `accuser`), down (with "why":"refused" when
// refusals decided it), leaving, left. A suspect that refutes goes back to active. Also `join_failed` (seeds, attempts), `refute` (incarnation)
// and `reap` (subject: forgotten).
//
// Determinism: members live in ordered maps; every random choice uses ctx.rng().
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/membership/messages.h"
#include "engine/membership/transmit_queue.h"
#include "engine/membership_view.h"
#include "engine/node.h"

namespace mabeam {

// Defaults: memberlist's LAN profile, but probing four times as often and with a shorter
// suspicion. A member goes unprobed by everyone for a while by chance (each of the n-1
// others reaches it once per round of n-1 probe intervals), so the probe interval sets the
// tail of detection times; and since a suspect hears of its suspicion directly (the buddy
// system) and refutes in a round trip, the suspicion needs no long wait for gossip to
// reach it. Measured in the simulator (mabeam bench --only membership): a hung node
// (a pause) is down everywhere in 1.2 s (median) and 2.0 s (max of 200 seeds) at 3 and
// 9 nodes, and no false down in 100 node-hours at 50 and at 500 nodes under 1% loss. The
// cost: a ping and an ack every 250 ms per node, whatever the cluster size.
struct MembershipConfig {
  DurationUs probe_interval = ms(250);
  DurationUs probe_timeout = ms(125);
  int indirect_probes = 3;
  int suspicion_mult = 3;
  int suspicion_max_mult = 2;
  int retransmit_mult = 4;
  DurationUs push_pull_interval = sec(30);
  DurationUs join_timeout = sec(5);
  DurationUs reap_after = sec(24 * 3600);  // forget members down or left this long
  bool seeds_set = false;           // `seeds` given explicitly (else the host's default)
  std::vector<std::string> seeds;   // node names
  int health_max = 8;               // Lifeguard's awareness multiplier cap
  std::size_t piggyback_bytes_max = 1024;
};

class Membership : public Service, public MembershipView {
 public:
  // Members told directly of a node that has just joined (itself) or of a death this node
  // declared; gossip carries the news on to the rest.
  static constexpr std::size_t kAnnounceMax = 32;
  // `seeds` are the nodes to join through (self is ignored); `incarnation` is the boot count.
  Membership(Node& node, MembershipConfig config, std::vector<std::string> seeds, std::uint64_t incarnation,
             swim::NodeInfo info = {});
  const char* name() const override { return "membership"; }
  void start() override;
  // Graceful leave: `leaving`, then `left`, told to a few members who gossip it on.
  void stop() override;

  // A peer the host learned of (e.g. a transport handshake): joined through like a seed
  // if this node has not joined yet or does not know it.
  void add_peer(const std::string& name) override;
  // A closed connection (real world): probe the member now, out of the round-robin order,
  // directly and then indirectly, as a regular probe; unanswered within a probe interval,
  // it becomes suspect and the usual suspicion timeout decides. At most one such probe per
  // member at a time; members not active are left alone.
  void hint_unreachable(const std::string& name) override;
  // A refused connection to a member (see "Hints and refusals" above).
  void hint_refused(const std::string& name) override;
  // Updates this node's load and agent count and gossips them (a new incarnation).
  void set_load(double load, std::uint32_t agents);

  // Introspection for tests and tools.
  std::uint64_t incarnation() const { return incarnation_; }
  bool joined() const { return joined_; }
  int health() const { return health_; }
  std::size_t queued_updates() const { return queue_.size(); }
  int queued_transmits(const std::string& node) const { return queue_.transmits(node); }
  int retransmit_limit() const;
  // The suspicion timeout now in force for a suspected member; 0 if it is not suspected.
  DurationUs suspicion_timeout(const std::string& node) const;

  // MembershipView
  std::vector<MemberInfo> members() const override;
  MemberState state_of(const std::string& node) const override;
  int subscribe(Listener listener) override;
  void unsubscribe(int handle) override;

 private:
  struct Member {
    MemberState state = MemberState::joining;
    std::uint64_t incarnation = 0;
    TimeUs last_heard = 0;
    TimeUs since = 0;  // when the member entered its state
    TimeUs contact = -1;     // last message from it directly (or its ack relayed for our probe)
    TimeUs accused_at = 0;   // suspect or down: when the accusation in force was made
    swim::NodeInfo info;
  };
  struct Suspicion {
    std::uint64_t incarnation = 0;
    TimeUs start = 0;
    DurationUs min = 0, max = 0;
    int k = 0;                        // confirmations expected
    std::set<std::string> accusers;   // the first one does not count as a confirmation
    TimerId timer = 0;
  };
  // One probe of a member: the regular one of the round-robin, or one started by a hint.
  struct Probe {
    bool active = false;
    bool acked = false;
    std::uint64_t seq = 0;
    std::string target;
    bool indirect_sent = false;      // PingReqs went out
    std::size_t helpers = 0;         // how many members were asked to probe indirectly
    bool refused = false;            // our own connection attempt was refused
    TimeUs started = 0;
    std::set<std::string> refusing;  // helpers that answered with a Nack
  };
  struct Relay {
    std::string requester;
    std::uint64_t seq = 0;  // the requester's
    std::string target;
    bool nacked = false;
  };

  // Timers.
  void tick();
  void on_probe_timeout(std::uint64_t seq);
  // PingReq for `probe` through indirect_probes random active members (once per probe).
  void probe_indirectly(Probe& probe);
  void on_hint_probe_end(std::uint64_t seq);
  // The probe with this sequence number, regular or hint, if in flight; null otherwise.
  Probe* probe_of(std::uint64_t seq);
  // Marks the probe's target down when the refusals it has seen are evidence enough.
  void weigh_refusals(Probe& probe);
  void push_pull_tick();
  void join_attempt();
  // Messages.
  void on_ping(const std::string& from, swim::Ping&& m);
  void on_ack(const std::string& from, swim::Ack&& m);
  void on_ping_req(const std::string& from, swim::PingReq&& m);
  void on_join(const std::string& from, swim::Join&& m);
  void on_push_pull(const std::string& from, swim::PushPull&& m);
  void on_gossip(const std::string& from, swim::Gossip&& m);
  void on_nack(const std::string& from, swim::Nack&& m);

  // Merging.
  void heard_from(const std::string& from);
  // `sender` is who told us (the accuser of a suspicion that carries none).
  void merge(const std::vector<swim::Update>& updates, bool from_push_pull, const std::string& sender);
  void apply(const swim::Update& u, bool from_push_pull, const std::string& sender);
  void apply_suspect(const swim::Update& u);
  // A death reported by another member, for a member we hold alive: verified by a probe of
  // our own before it is taken (see "Deaths" above).
  void verify_death(const swim::Update& u);
  void accept_death(const std::string& node);
  // At a probe's end: settles a pending death of its target (taken unless the target
  // answered). Returns whether there was one.
  bool settle_verification(const Probe& p);
  // Probes `name` now, out of the round-robin order (directly, then indirectly), unless a
  // probe of it started at or after `since` is in flight.
  void probe_now(const std::string& name, TimeUs since = std::numeric_limits<TimeUs>::min());
  void refute(std::uint64_t seen, const std::vector<std::string>& tell = {});
  void start_suspicion(const std::string& node, Member& m, const std::string& accuser);
  void confirm_suspicion(const std::string& node, const std::string& accuser, DurationUs age);
  // An accusation made before our last direct contact with its subject: we know better.
  bool stale(const swim::Update& u, const Member& m) const;
  void schedule_suspicion(const std::string& node, Suspicion& s);
  void on_suspicion_timeout(const std::string& node, std::uint64_t incarnation);
  void clear_suspicion(const std::string& node);
  // This node decides `node` is down (its suspicion timed out, or refusals settled it): marks
  // it, gossips it, and tells the members directly.
  void declare_down(const std::string& node, Member& m, const char* why, TimeUs evidence_since);
  // A message (or an ack for our probe) came from `node` itself.
  void contact_with(const std::string& node, Member& m);
  void set_state(const std::string& node, Member& m, MemberState to, const std::string& accuser = "",
                 const char* why = nullptr);
  void reap(const std::string& node, TimeUs since);
  void finish_join();

  // Helpers.
  swim::Update self_update() const;
  swim::Update update_of(const std::string& node, const Member& m) const;
  std::vector<swim::Update> full_state() const;
  std::vector<swim::Update> piggyback();
  // Queues an update for piggybacking (the transmit queue).
  void spread(swim::Update u);
  // What a ping to `target` carries: the piggyback, led by `target`'s suspicion if we hold one.
  std::vector<swim::Update> ping_updates(const std::string& target);
  std::vector<std::string> pick(std::vector<std::string> from, std::size_t k);
  std::vector<std::string> names_in(std::initializer_list<MemberState> states, const std::string& except = "") const;
  std::size_t cluster_size() const;  // members not down or left, self included
  DurationUs scaled(DurationUs d) const { return d * (health_ + 1); }
  void change_health(int delta);
  void trace_member(const std::string& subject, MemberState s, std::uint64_t incarnation,
                    const std::string& accuser = "", const char* why = nullptr);

  MembershipConfig config_;
  std::vector<std::string> seeds_;
  std::uint64_t incarnation_;
  swim::NodeInfo info_;
  MemberState self_state_ = MemberState::joining;
  bool joined_ = false;
  bool stopped_ = false;

  std::map<std::string, Member> members_;  // every other node known, in any state
  std::map<std::string, Suspicion> suspicions_;
  swim::TransmitQueue queue_;

  std::vector<std::string> probe_order_;
  std::size_t probe_next_ = 0;
  Probe probe_;
  std::uint64_t seq_ = 0;
  std::map<std::uint64_t, Relay> relays_;  // our ping seq -> who asked for it
  std::map<std::uint64_t, Probe> hint_probes_;  // out-of-round probes after a hint
  struct PendingDeath {
    swim::Update update;
    TimeUs since = 0;  // when it was reported: only a probe started since settles it
  };
  std::map<std::string, PendingDeath> pending_deaths_;  // reported deaths being verified
  int health_ = 0;
  std::size_t live_ = 0;  // members active or suspect

  TimeUs join_started_ = 0;
  int join_attempts_ = 0;
  bool join_failed_traced_ = false;
  std::map<std::string, TimeUs> pushed_to_unknown_;  // rate limit of push-pulls to strangers

  std::map<int, Listener> listeners_;
  int next_listener_ = 1;
};

}  // namespace mabeam
