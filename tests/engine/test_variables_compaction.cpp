// Tests of the variables service's bounds: the or_set keeps no tombstones (its state is the
// live elements' dots plus a version vector) and still converges in every merge order; the
// durable log is compacted into a snapshot, and a restart from it gives the same state and
// the same future writes as replaying every write; a replica that lacks writes its peers no
// longer keep gets a state transfer, which keeps causal order and session guarantees.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/variables/crdt.h"
#include "engine/variables/messages.h"
#include "engine/variables/setup.h"
#include "engine/variables/variables.h"
#include "tests/engine/fake_context.h"
#include "tests/engine/variables_host.h"

using namespace mabeam;
using namespace mabeam::vars;
using namespace mabeam::vars::testing;

namespace {

// ---- or_set against a reference ------------------------------------------------------

// What one replica knows of the set's history: every add (its dot and element) and every
// dot a remove observed. The set is the elements of the adds no remove observed.
struct RefSet {
  std::map<Dot, std::string> adds;
  std::set<Dot> removed;
  void merge(const RefSet& o) {
    adds.insert(o.adds.begin(), o.adds.end());
    removed.insert(o.removed.begin(), o.removed.end());
  }
  std::map<std::string, std::set<Dot>> live() const {
    std::map<std::string, std::set<Dot>> out;
    for (const auto& [dot, element] : adds)
      if (!removed.count(dot)) out[element].insert(dot);
    return out;
  }
  std::string text() const {
    std::string out = "[";
    for (const auto& [element, dots] : live()) out += (out.size() > 1 ? "," : "") + element;
    return out + "]";
  }
};

struct OrReplica {
  std::string name;
  std::uint64_t seq = 0;  // this replica's writes so far (adds and removes)
  VarState state;
  RefSet ref;
};

VarState empty_or_set() {
  VarState s;
  s.resolve = Resolve::or_set;
  return s;
}

// A write as the service makes it (a delta): it has seen its own dot and, for a remove, the
// dots it observed; an add also holds its dot.
void local_add(OrReplica& r, const std::string& element) {
  const Dot dot{r.name, ++r.seq};
  VarState d = empty_or_set();
  d.cloud.insert(dot);
  d.elements[element].insert(dot);
  r.state.merge(d);
  r.ref.adds[dot] = element;
}

void local_remove(OrReplica& r, const std::string& element) {
  const Dot dot{r.name, ++r.seq};
  VarState d = empty_or_set();
  d.cloud.insert(dot);
  for (const auto& t : r.state.tags_of(element)) {
    auto observed = parse_dot(t);
    REQUIRE(observed);
    d.cloud.insert(*observed);
    r.ref.removed.insert(*observed);
  }
  r.state.merge(d);
}

std::size_t dot_count(const VarState& s) {
  std::size_t n = 0;
  for (const auto& [element, dots] : s.elements) n += dots.size();
  return n;
}

std::size_t encoded_size(const VarState& s) {
  Writer w;
  VarSnapshot{"s", {}, s}.encode(w);
  return w.size();
}

// The state holds exactly the live adds of its history, and its context is a plain version
// vector: nothing of a removed add is left.
void holds_only_live(const OrReplica& r, std::size_t writers) {
  CHECK(r.state.value_text() == r.ref.text());
  CHECK(r.state.elements == r.ref.live());
  std::size_t live = 0;
  for (const auto& [element, dots] : r.ref.live()) live += dots.size();
  CHECK(dot_count(r.state) == live);
  CHECK(r.state.cloud.empty());
  CHECK(r.state.seen.size() <= writers);
}

}  // namespace

TEST_CASE("or_set: add/remove cycles leave only live dots and a version vector, and merges converge in every order",
          "[variables][compaction]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("seed " << seed);
    Rng rng(seed);
    std::vector<OrReplica> rs(4);
    for (std::size_t i = 0; i < rs.size(); ++i) {
      rs[i].name = "w" + std::to_string(i);
      rs[i].state = empty_or_set();
    }
    for (int step = 0; step < 1500; ++step) {
      OrReplica& r = rs[rng.below(rs.size())];
      const std::string element = "\"e" + std::to_string(rng.below(6)) + "\"";
      const auto roll = rng.below(10);
      if (roll < 4) local_add(r, element);
      else if (roll < 8) local_remove(r, element);
      else {
        const OrReplica& from = rs[rng.below(rs.size())];
        r.state.merge(from.state);
        r.ref.merge(from.ref);
      }
      holds_only_live(r, rs.size());
    }
    // Every merge order of the final states gives one state: the reference's live adds.
    RefSet all;
    for (const auto& r : rs) all.merge(r.ref);
    std::vector<std::size_t> order{0, 1, 2, 3};
    std::optional<VarState> first;
    do {
      VarState acc = empty_or_set();
      for (auto i : order) acc.merge(rs[i].state);
      CHECK(acc.value_text() == all.text());
      CHECK(acc.elements == all.live());
      if (!first) first = acc;
      CHECK(acc == *first);
    } while (std::next_permutation(order.begin(), order.end()));
    // Merging pairwise, in both directions, agrees too.
    for (const auto& a : rs)
      for (const auto& b : rs) {
        VarState ab = a.state, ba = b.state;
        ab.merge(b.state);
        ba.merge(a.state);
        CHECK(ab == ba);
      }
    // Remove everything that is left: after 1500 operations the state is a version vector.
    OrReplica& z = rs[0];
    for (const auto& r : rs) {
      z.state.merge(r.state);
      z.ref.merge(r.ref);
    }
    for (const auto& [element, dots] : z.ref.live()) local_remove(z, element);
    for (auto& r : rs) {
      r.state.merge(z.state);
      CHECK(r.state.value_text() == "[]");
      CHECK(r.state.elements.empty());
      CHECK(r.state.cloud.empty());
      CHECK(r.state.seen.size() == rs.size());
      CHECK(encoded_size(r.state) < 64);
    }
  }
}

TEST_CASE("or_set: a remove concurrent with an add of the same element keeps the add", "[variables][compaction]") {
  OrReplica a{"a", 0, empty_or_set(), {}}, b{"b", 0, empty_or_set(), {}};
  local_add(a, "\"x\"");
  b.state.merge(a.state);
  local_add(a, "\"x\"");     // a adds x again: a#2, which b has not seen
  local_remove(b, "\"x\"");  // b removes the x it saw: a#1
  VarState ab = a.state, ba = b.state;
  ab.merge(b.state);
  ba.merge(a.state);
  CHECK(ab.value_text() == "[\"x\"]");
  CHECK(ab == ba);
  CHECK(ab.tags_of("\"x\"") == std::vector<std::string>{"a#2"});
  CHECK(ab.seen == VersionVector{{"a", 2}, {"b", 1}});
}

namespace {

// ---- the service -----------------------------------------------------------------------

std::vector<WriteOp> writes_in(const std::vector<test::FakeContext::Sent>& sent) {
  std::vector<WriteOp> out;
  for (const auto& m : sent)
    if (peek_type(m.bytes) == VarWrites::kType.id) {
      auto w = decode_message<VarWrites>(m.bytes);
      REQUIRE(w.is_ok());
      out.insert(out.end(), w->ops.begin(), w->ops.end());
    }
  return out;
}

void deliver(Host& to, const std::string& from, const std::vector<test::FakeContext::Sent>& sent) {
  for (const auto& m : sent)
    if (m.to == to.ctx.self()) REQUIRE(to.node.deliver(from, m.bytes).is_ok());
}

std::vector<VariableSpec> mixed_specs() {
  return {{"c", Consistency::eventual, Resolve::pn_counter, "", 3, true},
          {"s", Consistency::session, Resolve::or_set, "", 3, true},
          {"x", Consistency::causal, Resolve::lww, "", 3, true},
          {"y", Consistency::causal, Resolve::or_set, "", 3, true},
          {"v", Consistency::eventual, Resolve::vector_clock, "", 3, true},
          {"m", Consistency::eventual, Resolve::max, "", 3, true}};
}

// A random client write to one of mixed_specs()' variables.
ClientOp random_write(Rng& rng) {
  const std::string e = "\"e" + std::to_string(rng.below(5)) + "\"";
  const std::string n = std::to_string(static_cast<std::int64_t>(rng.below(20)) - 5);
  switch (rng.below(6)) {
    case 0: return {"c", "incr", n, ""};
    case 1: return {"s", rng.chance(0.6) ? "add" : "remove", e, ""};
    case 2: return {"x", "set", n, ""};
    case 3: return {"y", rng.chance(0.6) ? "add" : "remove", e, ""};
    case 4: return {"v", "set", n, ""};
    default: return {"m", "set", n, ""};
  }
}

// The parts of a write that must not depend on whether its writer restarted from a
// snapshot or from every write (the timestamp's logical part may: only its order matters).
std::string identity(const WriteOp& w) {
  std::string out = w.var + " " + w.origin + "#" + std::to_string(w.seq) + " " + to_string(w.kind) + " " + w.value +
                    " +" + std::to_string(w.total_plus) + " -" + std::to_string(w.total_minus) + " tags";
  for (const auto& t : w.tags) out += " " + t;
  out += " deps";
  for (const auto& d : w.deps) out += " " + d.var + ":" + d.node + "=" + std::to_string(d.count);
  return out;
}

}  // namespace

TEST_CASE("variables: the durable log is compacted to a snapshot, and a restart from it is a restart from every write",
          "[variables][compaction]") {
  const std::vector<std::string> cluster{"n1", "n2"};
  VariablesConfig compacting, full;
  compacting.log_compact_records = 40;
  full.log_compact_records = 100000000;
  // a and b are the same node n1 with the same history, one compacting and one not; p (n2)
  // writes concurrently and sees some of n1's writes.
  Host a("n1", cluster, mixed_specs(), compacting), b("n1", cluster, mixed_specs(), full);
  Host p("n2", cluster, mixed_specs(), full);
  Rng rng(77);
  Hlc newest;
  const std::size_t vars = mixed_specs().size();
  for (int step = 0; step < 1500; ++step) {
    const ClientOp op = random_write(rng);
    if (rng.chance(0.6)) {
      const auto got_a = a.call(op), got_b = b.call(op);
      REQUIRE(got_a.ok);
      REQUIRE(got_b.ok);
      auto sent = a.take_sent();
      b.take_sent();
      for (const auto& w : writes_in(sent)) newest = std::max(newest, w.ts);
      if (rng.chance(0.5)) deliver(p, "n1", sent);
    } else {
      REQUIRE(p.call(op).ok);
      auto sent = p.take_sent();
      for (const auto& w : writes_in(sent)) newest = std::max(newest, w.ts);
      deliver(a, "n2", sent);
      deliver(b, "n2", sent);
    }
    REQUIRE(a.svc->log_records() == a.disk_records());
    REQUIRE(a.disk_records() <= compacting.log_compact_records + vars + 1);
  }
  // n1 goes on until it has just compacted: its log is then the snapshot alone.
  while (a.disk_records() > vars) {
    const ClientOp op = random_write(rng);
    REQUIRE(a.call(op).ok);
    REQUIRE(b.call(op).ok);
    for (const auto& w : writes_in(a.take_sent())) newest = std::max(newest, w.ts);
    b.take_sent();
  }
  CHECK(a.counter("var_log_compactions_total") >= 1500 / 41);
  CHECK(b.counter("var_log_compactions_total") == 0);
  CHECK(b.disk_records() >= 1500);
  for (const auto& s : mixed_specs()) CHECK(a.svc->value_of(s.name) == b.svc->value_of(s.name));

  // Crash both and restart from their disks: a from its snapshot and tail, b from every write.
  Host a2("n1", cluster, mixed_specs(), compacting, &disk_of(a.ctx));
  Host b2("n1", cluster, mixed_specs(), full, &disk_of(b.ctx));
  for (const auto& s : mixed_specs()) {
    INFO(s.name);
    CHECK(a2.svc->value_of(s.name) == a.svc->value_of(s.name));
    CHECK(a2.svc->value_of(s.name) == b2.svc->value_of(s.name));
    CHECK(a2.svc->version_of(s.name) == a.svc->version_of(s.name));
    CHECK(a2.svc->version_of(s.name) == b2.svc->version_of(s.name));
  }
  bool snapshot_traced = false;
  for (const auto& e : a2.ctx.emitted) snapshot_traced = snapshot_traced || e.ev.ev == "var_state";
  CHECK(snapshot_traced);
  CHECK(a2.counter("var_log_corrupt_records_total") == 0);

  // The same writes after the restart: same sequence numbers, dependencies, totals and
  // observed tags, and timestamps after every timestamp written before the crash.
  for (int step = 0; step < 200; ++step) {
    const ClientOp op = random_write(rng);
    REQUIRE(a2.call(op).ok);
    REQUIRE(b2.call(op).ok);
    const auto wa = writes_in(a2.take_sent()), wb = writes_in(b2.take_sent());
    REQUIRE(wa.size() == wb.size());
    REQUIRE(!wa.empty());
    CHECK(identity(wa[0]) == identity(wb[0]));
    CHECK(newest < wa[0].ts);
    if (rng.chance(0.3)) {  // and n2's writes keep arriving
      REQUIRE(p.call(random_write(rng)).ok);
      auto sent = p.take_sent();
      deliver(a2, "n2", sent);
      deliver(b2, "n2", sent);
    }
  }
  for (const auto& s : mixed_specs()) CHECK(a2.svc->value_of(s.name) == b2.svc->value_of(s.name));
  CHECK(a2.disk_records() <= compacting.log_compact_records + vars + 1);
  // Once more, now from a snapshot followed by a tail of writes.
  REQUIRE(a2.disk_records() > vars);
  Host a3("n1", cluster, mixed_specs(), compacting, &disk_of(a2.ctx));
  Host b3("n1", cluster, mixed_specs(), full, &disk_of(b2.ctx));
  for (const auto& s : mixed_specs()) {
    CHECK(a3.svc->value_of(s.name) == b3.svc->value_of(s.name));
    CHECK(a3.svc->version_of(s.name) == b3.svc->version_of(s.name));
  }
}

TEST_CASE("variables: a write the disk failed to log does not hide the writes after it at a restart",
          "[variables][compaction]") {
  // n1 applies n2's writes while its disk fails (they are not logged), refuses its own, and
  // once the disk works writes again: those writes depend on n2's missing ones, so a log
  // replayed as it stands would stall before them and the next write would reuse their
  // sequence numbers. The first append after the fault rewrites the log as a snapshot.
  const std::vector<std::string> cluster{"n1", "n2"};
  Host a("n1", cluster, mixed_specs()), p("n2", cluster, mixed_specs());
  Rng rng(5);
  for (int i = 0; i < 20; ++i) REQUIRE(a.call(random_write(rng)).ok);
  a.take_sent();
  disk_of(a.ctx).faulty = true;
  for (int i = 0; i < 20; ++i) {
    REQUIRE(p.call(random_write(rng)).ok);
    deliver(a, "n2", p.take_sent());
  }
  const auto refused = a.call({"c", "incr", "1", ""});
  CHECK_FALSE(refused.ok);
  CHECK_THAT(refused.error, Catch::Contains("disk fault"));
  disk_of(a.ctx).faulty = false;
  for (int i = 0; i < 20; ++i) REQUIRE(a.call(random_write(rng)).ok);
  CHECK(a.counter("var_log_compactions_total") >= 1);
  Host a2("n1", cluster, mixed_specs(), {}, &disk_of(a.ctx));
  for (const auto& s : mixed_specs()) {
    INFO(s.name);
    CHECK(a2.svc->value_of(s.name) == a.svc->value_of(s.name));
    CHECK(a2.svc->version_of(s.name) == a.svc->version_of(s.name));
  }
  // The next write takes the next sequence number, not one already acknowledged.
  a.take_sent();
  REQUIRE(a.call({"c", "incr", "1", ""}).ok);
  REQUIRE(a2.call({"c", "incr", "1", ""}).ok);
  CHECK(identity(writes_in(a.take_sent()).at(0)) == identity(writes_in(a2.take_sent()).at(0)));
}

TEST_CASE("variables: a log of the first format (bare writes) still replays", "[variables][compaction]") {
  const std::vector<std::string> cluster{"n1"};
  std::vector<VariableSpec> one{{"c", Consistency::eventual, Resolve::g_counter, "", 1, false}};
  Host a("n1", cluster, one, {});
  REQUIRE(a.call({"c", "incr", "2", ""}).ok);
  REQUIRE(a.call({"c", "incr", "3", ""}).ok);
  test::MemoryStorage old;
  for (const auto& rec : disk_of(a.ctx).files["variables.log"]) {
    REQUIRE(rec.at(0) == static_cast<std::uint8_t>(RecordKind::write));
    old.files["variables.log"].push_back(Bytes(rec.begin() + 1, rec.end()));
  }
  Host again("n1", cluster, one, {}, &old);
  CHECK(again.svc->value_of("c") == "5");
  CHECK(again.svc->version_of("c") == VersionVector{{"n1", 2}});
  CHECK(again.counter("var_log_corrupt_records_total") == 0);
}

namespace {

// Every write seen on the wire, by dot.
using Known = std::map<std::tuple<std::string, std::string, std::uint64_t>, WriteOp>;

void learn(Known& known, const std::vector<test::FakeContext::Sent>& sent) {
  for (const auto& w : writes_in(sent)) known[{w.var, w.origin, w.seq}] = w;
}

// Causal order at a node: every write it holds comes with every write it depends on.
void causally_closed(Host& h, const Known& known) {
  for (const auto& [dot, w] : known) {
    const auto vv = h.svc->version_of(w.var);
    auto it = vv.find(w.origin);
    if (it == vv.end() || it->second < w.seq) continue;
    for (const auto& d : w.deps) {
      const auto dv = h.svc->version_of(d.var);
      auto have = dv.find(d.node);
      INFO(h.ctx.self() << " holds " << w.var << " " << w.origin << "#" << w.seq << ", which depends on " << d.var << " "
                        << d.node << "#" << d.count);
      CHECK((have != dv.end() && have->second >= d.count));
    }
  }
}

}  // namespace

TEST_CASE("variables: a replica behind by more than the kept writes gets the state, in causal order, with sessions intact",
          "[variables][compaction]") {
  const std::vector<std::string> cluster{"n1", "n2", "n3"};
  const std::vector<VariableSpec> specs{{"x", Consistency::causal, Resolve::lww, "", 3, true},
                                        {"y", Consistency::causal, Resolve::or_set, "", 3, true},
                                        {"c", Consistency::eventual, Resolve::pn_counter, "", 3, true}};
  VariablesConfig config;
  config.log_keep_writes = 4;
  Host n1("n1", cluster, specs, config), n2("n2", cluster, specs, config), n3("n3", cluster, specs, config);
  Known known;
  // n1 writes x 8 times, everyone gets them; then twice more, and n3 misses those.
  for (int i = 1; i <= 10; ++i) {
    REQUIRE(n1.call({"x", "set", std::to_string(i), ""}).ok);
    auto sent = n1.take_sent();
    learn(known, sent);
    deliver(n2, "n1", sent);
    if (i <= 8) deliver(n3, "n1", sent);
  }
  // n2, having seen x up to 10, adds 10 elements to y and counts 3; n1 gets them, n3 does not.
  std::vector<test::FakeContext::Sent> late;
  for (int i = 0; i < 10; ++i) {
    REQUIRE(n2.call({"y", "add", "\"p" + std::to_string(i) + "\"", ""}).ok);
    if (i < 3) REQUIRE(n2.call({"c", "incr", "1", ""}).ok);
    auto sent = n2.take_sent();
    learn(known, sent);
    deliver(n1, "n2", sent);
    if (i == 9) late = sent;
  }
  // One more of alice's, which nobody gets yet.
  const auto alice = n2.call({"y", "add", "\"alice\"", "alice"});
  REQUIRE(alice.ok);
  const auto held = n2.take_sent();
  learn(known, held);
  n1.take_sent();
  n3.take_sent();

  // n3 receives n2's tenth add early: it depends on writes n3 lacks, so it waits.
  deliver(n3, "n2", late);
  CHECK(n3.svc->pending() == 1);
  CHECK(n3.call({"y", "read", "", ""}).value == "[]");
  causally_closed(n3, known);

  // n3's digest reaches n1. n1 keeps only y's last 4 writes from n2, so y goes as a state;
  // x is causal and n3 lacks some of it, so it goes in the same transfer (n3 lacks only x's
  // kept writes: alone they would have gone as writes); c, eventual and kept, goes as writes.
  const auto bob = n1.call({"y", "read", "", "bob"});
  REQUIRE(bob.ok);
  VarDigest d;
  for (const auto& s : specs)
    if (!n3.svc->version_of(s.name).empty()) d.vvs[s.name] = n3.svc->version_of(s.name);
  n1.svc->on_digest("n3", std::move(d));
  const auto reply = n1.take_sent();
  CHECK(n1.counter("var_state_transfers_sent_total") == 1);
  REQUIRE(!reply.empty());
  CHECK(peek_type(reply.front().bytes) == VarTransfer::kType.id);
  for (const auto& m : reply) {  // one message at a time, checking causal order after each
    REQUIRE(m.to == "n3");
    REQUIRE(n3.node.deliver("n1", m.bytes).is_ok());
    causally_closed(n3, known);
  }
  for (const auto& s : specs) {
    INFO(s.name);
    CHECK(n3.svc->value_of(s.name) == n1.svc->value_of(s.name));
    CHECK(n3.svc->version_of(s.name) == n1.svc->version_of(s.name));
  }
  CHECK(n3.svc->pending() == 0);  // the early write was in the state
  // The transfer is one var_state event holding x and y together.
  std::vector<std::string> merged_vars;
  for (const auto& e : n3.ctx.emitted)
    if (e.ev.ev == "var_state")
      for (const auto& [key, value] : e.ev.fields)
        if (key == "vars") {
          const auto vars = nlohmann::json::parse(std::get<RawJson>(value).text);
          for (auto it = vars.begin(); it != vars.end(); ++it) merged_vars.push_back(it.key());
        }
  CHECK(merged_vars == std::vector<std::string>{"x", "y"});

  // Sessions: bob read at n1 before the transfer; at n3 he is served at once and sees as much.
  const auto bob_at_n3 = n3.call({"y", "read", "", "bob"}, bob.token);
  REQUIRE(bob_at_n3.ok);
  CHECK(bob_at_n3.value == bob.value);
  // Alice's write is not at n3 yet: her read waits; it is served once the write arrives,
  // which n3 applies at once, its dependencies being in the state it took.
  OpOutcome alice_read;
  alice_read.error = "no answer";
  n3.svc->submit({"y", "read", "", "alice"}, alice.token, [&](const OpOutcome& o) { alice_read = o; });
  CHECK(n3.svc->waiting() == 1);
  deliver(n3, "n2", held);
  CHECK(n3.svc->pending() == 0);
  causally_closed(n3, known);
  REQUIRE(alice_read.ok);
  CHECK(alice_read.value.find("\"alice\"") != std::string::npos);
  CHECK(n3.svc->version_of("y") == VersionVector{{"n2", 11}});

  // n3 keeps no writes of n2 older than what it took whole: asked for them, it sends its state.
  CHECK(n3.svc->kept_writes("y") == 1);
  VarDigest empty;
  n3.svc->on_digest("n4", std::move(empty));
  CHECK(n3.counter("var_state_transfers_sent_total") == 1);
}

TEST_CASE("variables config: log_compact_records and log_keep_writes are read strictly", "[variables][compaction]") {
  VariablesConfig c;
  REQUIRE(parse_variables_tuning(nlohmann::json{{"log_compact_records", 250}, {"log_keep_writes", 16}}, "/config/variables", c));
  CHECK(c.log_compact_records == 250);
  CHECK(c.log_keep_writes == 16);
  const VariablesConfig defaults;
  CHECK(defaults.log_compact_records == 1000);
  CHECK(defaults.log_keep_writes == 1000);
  auto zero = parse_variables_tuning(nlohmann::json{{"log_keep_writes", 0}}, "/config/variables", c);
  REQUIRE_FALSE(zero);
  CHECK(zero.message() == "/config/variables/log_keep_writes: expected a whole number from 1 to 100000000, found 0");
  auto text = parse_variables_tuning(nlohmann::json{{"log_compact_records", "1k"}}, "/config/variables", c);
  REQUIRE_FALSE(text);
  CHECK(text.message() == "/config/variables/log_compact_records: expected a whole number from 1 to 100000000, found \"1k\"");
}
