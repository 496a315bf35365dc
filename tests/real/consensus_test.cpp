// Strong variables and the consensus endpoints on real node processes: three voters elect a
// leader, take writes over HTTP at every node, lose the leader to kill -9, elect another,
// and every acknowledged write is in the applied state of both survivors (their traces'
// op_apply events), and the nodes' op_invoke/op_complete records of it all form a
// linearizable history (mabeam lincheck); cas answers 409 on a mismatch; /consensus and /status show the group;
// a node that declares a strong variable without consensus.voters refuses to start.
#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "node_cluster.h"

using namespace mabeam::testing;
using nlohmann::json;
using mabeam::real::Millis;

namespace {

constexpr const char* kConsensusConfig = R"({
  "variables": [{"name": "x", "consistency": "strong"}],
  "config": {"membership": {"probe_interval": "100ms", "probe_timeout": "50ms"},
             "consensus": {"voters": ["n1", "n2", "n3"], "election_timeout": "300ms", "heartbeat_interval": "30ms",
                           "op_timeout": "2s"}}
})";

struct RaftCluster : NodeCluster {
  RaftCluster() : NodeCluster(kConsensusConfig) {}

  json status(const std::string& node) {
    auto r = request(node, "GET", "/status");
    if (r.status != 200) return json();
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json() : j;
  }
  // The leader every listed node agrees on, other than `not_this`, within the timeout ("" if none).
  std::string agreed_leader(const std::vector<std::string>& nodes, Millis timeout, const std::string& not_this = "") {
    std::string leader;
    mabeam::real::wait_until(
        [&] {
          std::set<std::string> seen;
          for (const auto& n : nodes) {
            auto s = status(n);
            seen.insert(s.is_object() ? s.value("leader", std::string()) : std::string());
          }
          leader = seen.size() == 1 && *seen.begin() != not_this ? *seen.begin() : "";
          return !leader.empty();
        },
        timeout, Millis(50));
    return leader;
  }
  // Values of x applied by `node`, from its trace.
  std::set<std::string> applied(const std::string& node) {
    std::set<std::string> out;
    std::ifstream in(local().dir().file(node + ".jsonl"));
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("ev", "") == "op_apply") out.insert(j["value"].dump());
    }
    return out;
  }
};

}  // namespace

TEST_CASE("consensus: three real voters keep every acknowledged write through a kill -9 of the leader", "[real]") {
  RaftCluster c;
  c.start("n1", "");
  c.start("n2", c.addr("n1"));
  c.start("n3", c.addr("n1"));
  const std::vector<std::string> all{"n1", "n2", "n3"};
  const std::string leader = c.agreed_leader(all, Millis(15000));
  REQUIRE(!leader.empty());
  auto st = c.status(leader);
  CHECK(st["role"] == "leader");
  CHECK(st["term"].get<int>() >= 1);

  std::vector<std::string> acked;
  int next = 1;
  auto write_round = [&](const std::vector<std::string>& at) {
    for (int k = 0; k < 10; ++k)
      for (const auto& n : at) {
        const std::string v = std::to_string(next++);
        auto r = c.local().request(n, "PUT", "/variables/x", v, Millis(5000));
        if (r.status == 200) acked.push_back(v);
        if (k % 3 == 0) c.local().request(n, "GET", "/variables/x", "", Millis(5000));  // reads for the history
      }
  };
  write_round(all);
  CHECK(acked.size() >= 25);

  // A linearizable read anywhere sees the last acknowledged write.
  auto read = c.local().request(all[(next) % 3], "GET", "/variables/x", "", Millis(5000));
  REQUIRE(read.status == 200);
  CHECK(json::parse(read.body)["value"].dump() == acked.back());
  // cas: a mismatch is a certain failure (409), a match succeeds.
  auto bad = c.local().request("n1", "POST", "/variables/x?op=cas", R"({"expected": -5, "new": 0})", Millis(5000));
  CHECK(bad.status == 409);
  CHECK(json::parse(bad.body)["outcome"] == "fail");
  auto good = c.local().request("n2", "POST", "/variables/x?op=cas", R"({"expected": )" + acked.back() + R"(, "new": 1000})", Millis(5000));
  CHECK(good.status == 200);
  if (good.status == 200) acked.push_back("1000");

  auto g = c.request("n1", "GET", "/consensus");
  REQUIRE(g.status == 200);
  CHECK(json::parse(g.body)["voters"] == json::array({"n1", "n2", "n3"}));

  // kill -9 of the leader, a new leader among the survivors, more writes.
  c.node(leader).process->signal(SIGKILL);
  std::vector<std::string> rest;
  for (const auto& n : all)
    if (n != leader) rest.push_back(n);
  const std::string fresh = c.agreed_leader(rest, Millis(15000), leader);
  REQUIRE(!fresh.empty());
  write_round(rest);

  // Every acknowledged write is in the applied state of both survivors.
  for (const auto& n : rest) {
    INFO(n);
    CHECK(mabeam::real::wait_until(
        [&] {
          const auto have = c.applied(n);
          for (const auto& v : acked)
            if (!have.count(v)) return false;
          return true;
        },
        Millis(10000), Millis(100)));
  }

  // The nodes' own records of every operation (op_invoke and op_complete in their traces,
  // the killed leader's included), merged on one clock, are a linearizable history of x:
  // mabeam trace merge, trace history --var x, lincheck.
  const auto& dir = c.local().dir();
  auto run = [](const std::vector<std::string>& args, const std::string& first_line_prefix, std::string& line) {
    auto p = mabeam::real::ChildProcess::spawn(args);
    REQUIRE(p);
    if (!first_line_prefix.empty()) line = (*p)->wait_line(first_line_prefix, Millis(60000)).value_or("");
    return (*p)->wait_exit(Millis(60000)).value_or(-1);
  };
  std::string out;
  REQUIRE(run({MABEAM_BINARY, "trace", "merge", dir.file("n1.jsonl"), dir.file("n2.jsonl"), dir.file("n3.jsonl"), "-o",
               dir.file("all.jsonl")},
              "", out) == 0);
  REQUIRE(run({MABEAM_BINARY, "trace", "history", dir.file("all.jsonl"), "--var", "x", "-o", dir.file("x.history.jsonl")}, "",
              out) == 0);
  CHECK(run({MABEAM_BINARY, "lincheck", dir.file("x.history.jsonl")}, "linearizable: ", out) == 0);
  INFO(out);
  // "linearizable: N operations (K ok, ...": every acknowledged write was judged.
  const auto paren = out.find(" operations (");
  REQUIRE(paren != std::string::npos);
  CHECK(std::stoul(out.substr(paren + 13)) >= acked.size());
  // Each HTTP request is its own process.
  const std::string ops = out.substr(0, paren);
  CHECK(out.find(") from " + ops + " processes") != std::string::npos);
}

TEST_CASE("consensus: a node that declares a strong variable without consensus.voters refuses to start", "[real]") {
  NodeCluster c(R"({"variables": [{"name": "x", "consistency": "strong"}]})");
  auto s = c.local().start("n1", "");
  REQUIRE_FALSE(s.is_ok());
  const std::string err = mabeam::real::read_text_file(c.local().dir().file("n1.stderr"));
  CHECK(err.find("needs /config/consensus/voters") != std::string::npos);
}
