// The Raft core, one behaviour per test, on the in-memory cluster (raft_cluster.h) with the
// invariant checker run after every step: elections, PreVote, CheckQuorum, the commit rule,
// the pipeline bound, persistence and recovery, snapshots, membership changes, leadership
// transfer and reads.
#include <catch2/catch.hpp>

#include "raft_cluster.h"

using namespace mabeam;
using namespace mabeam::raft;
using mabeam::test::RaftCluster;

namespace {
std::vector<std::string> names(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("n" + std::to_string(i));
  return out;
}

// Ticks and delivers until some node leads; returns it ("" if none within the rounds).
std::string elect(RaftCluster& c, int rounds = 100) {
  for (int i = 0; i < rounds; ++i) {
    c.tick_all();
    c.deliver_all();
    c.check();
    if (!c.leader().empty()) return c.leader();
  }
  return "";
}

std::size_t leaders_in(RaftCluster& c) {
  std::size_t n = 0;
  for (const auto& name : c.names())
    if (c.node(name).up && c.core(name).role() == Role::leader) ++n;
  return n;
}
}  // namespace

TEST_CASE("raft: three nodes elect one leader, and a proposal commits and applies everywhere") {
  RaftCluster c(names(3), 1);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  CHECK(leaders_in(c) == 1);
  REQUIRE(c.propose(l, "x=1"));
  c.settle(5);
  for (const auto& n : c.names()) {
    CHECK(c.node(n).state == std::vector<std::string>{"x=1"});
    CHECK(c.core(n).term() == c.core(l).term());
  }
  CHECK(c.violations.empty());
}

TEST_CASE("raft: a follower refuses proposals and names the leader") {
  RaftCluster c(names(3), 2);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  const std::string f = l == "n1" ? "n2" : "n1";
  auto r = c.propose(f, "y");
  REQUIRE(!r);
  CHECK(r.status().code() == Status::Code::unavailable);
  CHECK(r.status().message().find(l) != std::string::npos);
}

TEST_CASE("raft: election timeouts are randomized between election_ticks and twice that") {
  // With ticks only (no delivery), each node becomes a pre-candidate when its timeout runs out.
  RaftCluster c(names(5), 3);
  std::map<std::string, int> first;
  for (int t = 1; t <= 20; ++t) {
    c.tick_all();
    for (const auto& n : c.names())
      if (!first.count(n) && c.core(n).role() == Role::pre_candidate) first[n] = t;
  }
  REQUIRE(first.size() == 5);
  std::set<int> distinct;
  for (const auto& [n, t] : first) {
    CHECK(t >= 10);
    CHECK(t < 20);
    distinct.insert(t);
  }
  CHECK(distinct.size() > 1);
  c.drop_all();
}

TEST_CASE("raft: with PreVote an isolated node does not raise its term, and its return does not depose the leader") {
  RaftCluster c(names(3), 4);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  const Term term = c.core(l).term();
  const std::string f = l == "n3" ? "n2" : "n3";
  c.isolate(f);
  for (int i = 0; i < 100; ++i) {
    c.tick_all();
    c.deliver_all();
    c.check();
  }
  CHECK(c.core(f).term() == term);  // pre-votes went unanswered: no term bump
  c.heal();
  c.settle(30);
  CHECK(c.leader() == l);
  CHECK(c.core(l).term() == term);
  CHECK(c.violations.empty());
}

TEST_CASE("raft: without PreVote the same isolation raises the term and forces an election") {
  RaftCluster::Options o;
  o.pre_vote = false;
  o.check_quorum = false;
  RaftCluster c(names(3), 4, o);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  const Term term = c.core(l).term();
  const std::string f = l == "n3" ? "n2" : "n3";
  c.isolate(f);
  for (int i = 0; i < 100; ++i) {
    c.tick_all();
    c.deliver_all();
  }
  CHECK(c.core(f).term() > term);
  c.heal();
  c.settle(40);
  CHECK(c.core(c.leader()).term() > term);  // the contrast with the PreVote test above
  CHECK(c.violations.empty());
}

TEST_CASE("raft: a leader the failure detector sees down is replaced well within an election timeout") {
  RaftCluster c(names(3), 11);  // election_ticks 10: without the verdict no one campaigns before tick 10
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  const Term term = c.core(l).term();
  c.crash(l);
  for (const auto& n : c.names())
    if (n != l) c.core(n).leader_down(l);
  int led_at = -1;
  for (int i = 1; i <= 10 && led_at < 0; ++i) {
    c.tick_all();
    c.deliver_all();
    c.check();
    if (!c.leader().empty() && c.leader() != l) led_at = i;
  }
  CHECK(led_at > 0);
  CHECK(led_at <= 10 / 4 + 2);  // the quick delay, then PreVote and vote rounds
  CHECK(c.core(c.leader()).term() == term + 1);
  CHECK(c.violations.empty());
}

TEST_CASE("raft: a wrong down verdict for a live leader costs no term: the other voter still hears the leader") {
  RaftCluster c(names(3), 12);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  const Term term = c.core(l).term();
  const std::string f = l == "n3" ? "n2" : "n3";
  const std::string other = l == "n1" ? "n2" : "n1";
  c.core(other).leader_down(f);  // not its leader: nothing changes
  c.core(f).leader_down(l);      // its leader, but alive: f's PreVote is refused by the lease
  for (int i = 0; i < 30; ++i) {
    c.tick_all();
    c.deliver_all();
    c.check();
  }
  CHECK(c.leader() == l);
  CHECK(c.core(l).term() == term);
  CHECK(c.violations.empty());
}

TEST_CASE("raft: CheckQuorum: a leader cut off from the majority steps down within an election timeout") {
  RaftCluster c(names(5), 5);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  c.isolate(l);
  int stepped_down_at = -1;
  for (int i = 1; i <= 25; ++i) {
    c.tick(l);
    c.deliver_all();
    if (c.core(l).role() != Role::leader) {
      stepped_down_at = i;
      break;
    }
  }
  // Its CheckQuorum window may have begun up to one timeout before the cut.
  CHECK(stepped_down_at > 0);
  CHECK(stepped_down_at <= 2 * 10);
}

TEST_CASE("raft: the leader isolated in a minority commits nothing, the majority elects and commits") {
  RaftCluster c(names(5), 6);
  const auto old = elect(c);
  REQUIRE(!old.empty());
  c.settle(3);
  const Index committed_before = c.core(old).commit();
  std::set<std::string> minority{old}, majority;
  for (const auto& n : c.names())
    if (n != old) (minority.size() < 2 ? minority : majority).insert(n);
  c.partition({minority, majority});
  (void)c.propose(old, "lost");
  std::string fresh;
  for (int i = 0; i < 100 && fresh.empty(); ++i) {
    c.tick_all();
    c.deliver_all();
    c.check();
    for (const auto& n : majority)
      if (c.core(n).role() == Role::leader) fresh = n;
  }
  REQUIRE(!fresh.empty());
  REQUIRE(c.propose(fresh, "kept"));
  c.settle(5);
  for (const auto& n : minority) CHECK(c.core(n).commit() == committed_before);
  c.heal();
  c.settle(30);
  for (const auto& n : c.names()) CHECK(c.node(n).state == std::vector<std::string>{"kept"});
  CHECK(c.violations.empty());
}

TEST_CASE("raft: commit rule: entries of an earlier term are not committed by counting replicas") {
  // n1 holds two entries of term 1 that nobody committed, then wins term 2.
  RaftConfig cfg;
  cfg.self = "n1";
  cfg.initial_voters = {"n1", "n2", "n3"};
  cfg.cluster_id = 42;
  Recovered rec;
  rec.hard_state.term = 1;
  rec.entries = {Entry{1, 1, EntryKind::normal, {}}, Entry{1, 2, EntryKind::normal, {}}};
  Raft r(cfg, Rng(1), rec);
  r.campaign(true);  // straight to a vote
  (void)r.take_ready();
  Message grant;
  grant.type = MsgType::vote_resp;
  grant.from = "n2";
  grant.to = "n1";
  grant.term = 2;
  grant.cluster_id = 42;
  r.step(grant);
  REQUIRE(r.role() == Role::leader);
  Ready rd = r.take_ready();
  r.on_persisted(rd.persisted_index, rd.persisted_term);  // the no-op at index 3 is durable here
  Message ack;
  ack.type = MsgType::append_resp;
  ack.from = "n2";
  ack.to = "n1";
  ack.term = 2;
  ack.cluster_id = 42;
  ack.log_index = 2;
  ack.hint = 2;  // n2 holds both old entries, not the no-op
  r.step(ack);
  CHECK(r.commit() == 0);  // a majority holds index 2, but it is of term 1
  ack.hint = 3;
  r.step(ack);
  CHECK(r.commit() == 3);  // the no-op of term 2 commits, and the old entries with it
}

TEST_CASE("raft: the leader counts its own entries only once they are synced") {
  RaftCluster::Options o;
  o.auto_sync = false;
  RaftCluster c({"n1"}, 7, o);
  for (int i = 0; i < 30 && c.core("n1").role() != Role::leader; ++i) {
    c.tick("n1");
    c.sync("n1");
  }
  REQUIRE(c.core("n1").role() == Role::leader);
  c.sync("n1");
  const Index before = c.core("n1").commit();
  REQUIRE(c.propose("n1", "a"));
  CHECK(c.core("n1").commit() == before);  // appended, not yet durable
  c.sync("n1");
  CHECK(c.core("n1").commit() == before + 1);
  c.sync("n1");  // the next Ready hands the entry out to apply
  CHECK(c.node("n1").state == std::vector<std::string>{"a"});
}

TEST_CASE("raft: the pipeline holds at most max_inflight appends to a silent follower") {
  RaftCluster::Options o;
  o.max_inflight = 3;
  o.append_entries_max = 2;
  RaftCluster c(names(3), 8, o);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  const std::string f = l == "n3" ? "n2" : "n3";
  c.isolate(f);
  c.deliver_all();
  // The other follower answers, the isolated one does not.
  for (int i = 0; i < 40; ++i) REQUIRE(c.propose(l, "e" + std::to_string(i)));
  std::size_t to_f = 0;
  for (const auto& m : c.messages())
    if (m.to == f && m.type == MsgType::append && !m.entries.empty()) ++to_f;
  CHECK(to_f == 3);
  c.heal();
  c.settle(60);
  CHECK(c.node(f).state.size() == 40);
  CHECK(c.violations.empty());
}

TEST_CASE("raft: term, vote and log survive a crash of every node; committed entries come back") {
  RaftCluster c(names(3), 9);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  for (int i = 0; i < 5; ++i) REQUIRE(c.propose(l, "v" + std::to_string(i)));
  c.settle(5);
  std::map<std::string, Term> terms;
  for (const auto& n : c.names()) terms[n] = c.core(n).term();
  for (const auto& n : c.names()) c.crash(n);
  for (const auto& n : c.names()) c.restart(n);
  for (const auto& n : c.names()) {
    CHECK(c.core(n).term() == terms[n]);
    CHECK(c.core(n).last_index() >= 6);
  }
  c.settle(40);
  REQUIRE(!c.leader().empty());
  for (const auto& n : c.names()) CHECK(c.node(n).state.size() == 5);
  CHECK(c.violations.empty());
}

TEST_CASE("raft: a vote survives a restart: no second vote in the same term") {
  RaftConfig cfg;
  cfg.self = "n3";
  cfg.initial_voters = {"n1", "n2", "n3"};
  cfg.cluster_id = 42;
  Raft r(cfg, Rng(1));
  Message req;
  req.type = MsgType::vote;
  req.from = "n1";
  req.to = "n3";
  req.term = 5;
  req.cluster_id = 42;
  r.step(req);
  Ready rd = r.take_ready();
  REQUIRE(rd.hard_state);
  CHECK(rd.hard_state->vote == "n1");
  REQUIRE(rd.messages.size() == 1);
  CHECK(!rd.messages[0].reject);
  // Restart from the persisted state; n2 asks in the same term.
  Recovered rec;
  rec.hard_state = *rd.hard_state;
  Raft again(cfg, Rng(2), rec);
  req.from = "n2";
  again.step(req);
  Ready rd2 = again.take_ready();
  REQUIRE(rd2.messages.size() == 1);
  CHECK(rd2.messages[0].reject);
}

TEST_CASE("raft: the double_vote switch grants a second vote in one term (test-only bug)") {
  RaftConfig cfg;
  cfg.self = "n3";
  cfg.initial_voters = {"n1", "n2", "n3"};
  cfg.cluster_id = 42;
  cfg.bugs.double_vote = true;
  Raft r(cfg, Rng(1));
  Message req;
  req.type = MsgType::vote;
  req.to = "n3";
  req.term = 5;
  req.cluster_id = 42;
  req.from = "n1";
  r.step(req);
  req.from = "n2";
  r.step(req);
  Ready rd = r.take_ready();
  REQUIRE(rd.messages.size() == 2);
  CHECK(!rd.messages[0].reject);
  CHECK(!rd.messages[1].reject);
}

TEST_CASE("raft: snapshots compact the log, and a follower that fell behind gets the snapshot") {
  RaftCluster::Options o;
  o.snapshot_entries = 10;
  RaftCluster c(names(3), 10, o);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  const std::string f = l == "n3" ? "n2" : "n3";
  c.crash(f);
  for (int i = 0; i < 35; ++i) {
    REQUIRE(c.propose(l, "s" + std::to_string(i)));
    c.settle(1);
  }
  CHECK(c.core(l).snapshot().index >= 30);
  CHECK(c.core(l).first_index() > 2);
  c.restart(f);
  c.settle(40);
  CHECK(c.core(f).snapshot().index >= 30);
  CHECK(c.node(f).state.size() == 35);
  CHECK(c.node(f).state == c.node(l).state);
  CHECK(c.violations.empty());
}

TEST_CASE("raft: adding a voter goes through a learner that is promoted once caught up") {
  RaftCluster c(names(4), 11, {}, {"n1", "n2", "n3"});
  const auto l = elect(c);
  REQUIRE(!l.empty());
  for (int i = 0; i < 20; ++i) REQUIRE(c.propose(l, "a" + std::to_string(i)));
  c.settle(5);
  CHECK(!c.core(l).membership().is_member("n4"));
  REQUIRE(c.core(l).change_membership(Raft::Change::add_voter, "n4"));
  c.drive(c.node(l));
  CHECK(c.core(l).membership().learners.count("n4") == 1);
  CHECK(c.core(l).membership().voters.size() == 3);
  c.settle(30);
  CHECK(c.core(l).membership().is_voter("n4"));
  CHECK(c.core(l).membership().voters.size() == 4);
  CHECK(c.node("n4").state.size() == 20);
  // A second change waits for the first: now it may go.
  REQUIRE(c.core(l).change_membership(Raft::Change::remove, "n4"));
  auto again = c.core(l).change_membership(Raft::Change::add_learner, "n4");
  CHECK(!again);  // the removal is still being committed
  c.settle(10);
  CHECK(!c.core(l).membership().is_member("n4"));
  CHECK(c.violations.empty());
}

TEST_CASE("raft: a leader that removes itself steps down once the removal commits; the rest elect") {
  RaftCluster c(names(3), 12);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  REQUIRE(c.core(l).change_membership(Raft::Change::remove, l));
  c.settle(2);
  CHECK(c.core(l).role() != Role::leader);
  std::string fresh;
  for (int i = 0; i < 80 && fresh.empty(); ++i) {
    c.settle(1);
    fresh = c.leader();
  }
  REQUIRE(!fresh.empty());
  CHECK(fresh != l);
  CHECK(c.core(fresh).membership().voters.size() == 2);
  REQUIRE(c.propose(fresh, "after"));
  c.settle(5);
  CHECK(c.violations.empty());
}

TEST_CASE("raft: leadership transfer: the target leads the next term at once") {
  RaftCluster c(names(3), 13);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  const std::string to = l == "n2" ? "n3" : "n2";
  const Term t = c.core(l).term();
  REQUIRE(c.core(l).transfer_leader(to));
  c.drive(c.node(l));
  CHECK(!c.propose(l, "during"));  // proposals wait for the new leader
  for (int i = 0; i < 5; ++i) c.deliver_all();
  CHECK(c.leader() == to);
  CHECK(c.core(to).term() == t + 1);
  CHECK(c.violations.empty());
}

TEST_CASE("raft: ReadIndex answers only after a majority confirms the leader") {
  RaftCluster c(names(3), 14);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  REQUIRE(c.propose(l, "w"));
  c.settle(3);
  REQUIRE(c.core(l).read_index(7));
  c.drive(c.node(l));
  CHECK(c.node(l).reads.empty());  // the heartbeat round is out
  c.deliver_all();
  REQUIRE(c.node(l).reads.size() == 1);
  CHECK(c.node(l).reads[0].id == 7);
  CHECK(c.node(l).reads[0].index == c.core(l).commit());
  // Cut off, it gets no confirmation.
  c.isolate(l);
  REQUIRE(c.core(l).read_index(8));
  c.drive(c.node(l));
  c.deliver_all();
  CHECK(c.node(l).reads.size() == 1);
  const std::string f = l == "n1" ? "n2" : "n1";
  CHECK(!c.core(f).read_index(9));  // followers forward reads; the core refuses them
}

TEST_CASE("raft: lease reads skip the round while the lease holds, and not once it ran out") {
  RaftCluster::Options o;
  o.read = ReadMode::lease;
  RaftCluster c(names(3), 15, o);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(3);
  REQUIRE(c.core(l).lease_valid());
  REQUIRE(c.core(l).read_index(1));
  c.drive(c.node(l));
  CHECK(c.node(l).reads.size() == 1);  // no round trip
  c.isolate(l);
  for (int i = 0; i < 9; ++i) {
    c.tick(l);
    c.deliver_all();
  }
  CHECK(!c.core(l).lease_valid());
  if (c.core(l).role() == Role::leader) {
    REQUIRE(c.core(l).read_index(2));
    c.drive(c.node(l));
    c.deliver_all();
    CHECK(c.node(l).reads.size() == 1);
  }
}

TEST_CASE("raft: answers from a member's other data directory are not counted") {
  RaftCluster c(names(3), 16);
  const auto l = elect(c);
  REQUIRE(!l.empty());
  c.settle(20);
  // The leader recorded every member's storage id in a config entry.
  CHECK(c.core(l).membership().ids.size() == 3);
  const std::string f = l == "n3" ? "n2" : "n3";
  c.wipe(f);
  c.restart(f);
  c.settle(20);
  CHECK(c.core(l).foreign_answers() > 0);
  CHECK(c.core(l).last_foreign() == f);
  CHECK(c.core(f).last_index() == 0);  // its acknowledgements do not count: nothing is sent on
  // Nor do its votes: with the leader gone, the healthy follower cannot win with it.
  c.crash(l);
  c.settle(200);
  CHECK(c.leader().empty());
  CHECK(c.violations.empty());
}

TEST_CASE("raft codec: messages round-trip, and garbage is refused with the reason") {
  Message m;
  m.type = MsgType::append;
  m.from = "n1";
  m.to = "n2";
  m.term = 3;
  m.cluster_id = 9;
  m.entries = {Entry{3, 4, EntryKind::normal, {1, 2, 3}}, Entry{3, 5, EntryKind::config, encode_membership(Membership{{"a"}, {}, {}})}};
  m.snapshot = Snapshot{2, 1, Membership{{"a", "b"}, {"c"}, {{"a", 5}}}, {9}};
  const Bytes b = encode_wire(m);
  auto back = decode_message<Wire<MsgType::append>>(b);
  REQUIRE(back);
  CHECK(back->msg.entries == m.entries);
  CHECK(back->msg.snapshot->config == m.snapshot->config);
  Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(b.size() / 2));
  auto bad = decode_message<Wire<MsgType::append>>(cut);
  REQUIRE(!bad);
  CHECK(bad.status().message().find("raft.append") != std::string::npos);
  auto rec = decode_log_record(Bytes{7, 1, 2});
  REQUIRE(!rec);
  CHECK(rec.status().message().find("unknown kind 7") != std::string::npos);
}
