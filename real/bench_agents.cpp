// Agent benchmarks on real nodes, and their Erlang counterparts (see bench_agents.h).
#include "real/bench_agents.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "engine/agents/builtins.h"
#include "engine/agents/service.h"
#include "real/cluster_launcher.h"
#include "real/real_node.h"

namespace mabeam::real {

namespace {

using Clock = std::chrono::steady_clock;
using agents::Agent;
using agents::AgentContext;
using agents::Payload;

constexpr std::uint64_t kCredit = 256;
constexpr std::uint64_t kWindow = 1024;

// What the bench agents report back to the bench thread.
struct Shared {
  std::string peer;
  std::uint64_t count = 0;
  std::atomic<std::uint64_t> progress{0};
  std::atomic<bool> done{false};
  Clock::time_point end;
};

Payload payload64() { return Payload::json("\"" + std::string(62, 'x') + "\""); }

class Sink final : public Agent {
 public:
  explicit Sink(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  Status restore(const Bytes&, std::uint8_t) override { return Status::ok(); }
  Bytes snapshot() const override { return {}; }
  void handle(AgentContext& ctx, const agents::Message& m) override {
    ++received_;
    if (received_ % kCredit == 0) ctx.send(m.from, Payload::json("1"));
    if (received_ == s_->count) {
      s_->end = Clock::now();
      s_->done = true;
    }
  }

 private:
  std::shared_ptr<Shared> s_;
  std::uint64_t received_ = 0;
};

class Blaster final : public Agent {
 public:
  explicit Blaster(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  Status restore(const Bytes&, std::uint8_t) override { return Status::ok(); }
  Bytes snapshot() const override { return {}; }
  void start(AgentContext& ctx) override { more(ctx, kWindow); }
  void handle(AgentContext& ctx, const agents::Message&) override { more(ctx, kCredit); }

 private:
  void more(AgentContext& ctx, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n && sent_ < s_->count; ++i, ++sent_) ctx.send(s_->peer, payload64());
  }
  std::shared_ptr<Shared> s_;
  std::uint64_t sent_ = 0;
};

class Caller final : public Agent {
 public:
  explicit Caller(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  Status restore(const Bytes&, std::uint8_t) override { return Status::ok(); }
  Bytes snapshot() const override { return {}; }
  void start(AgentContext& ctx) override { ctx.request(s_->peer, payload64(), sec(5)); }
  void handle(AgentContext&, const agents::Message&) override {}
  void signal(AgentContext& ctx, const agents::Signal& sig) override {
    if (sig.kind != agents::SignalKind::reply) return;
    if (++s_->progress == s_->count) {
      s_->end = Clock::now();
      s_->done = true;
      return;
    }
    ctx.request(s_->peer, payload64(), sec(5));
  }

 private:
  std::shared_ptr<Shared> s_;
};

class Idle final : public Agent {
 public:
  Status restore(const Bytes&, std::uint8_t) override { return Status::ok(); }
  Bytes snapshot() const override { return {}; }
  void handle(AgentContext&, const agents::Message&) override {}
};

template <class A>
agents::AgentType bench_type(const std::string& name, std::shared_ptr<Shared> s) {
  agents::AgentType t;
  t.name = name;
  t.accepts = {{agents::kJsonType, 1}};
  t.make = [s] { return std::make_unique<A>(s); };
  return t;
}

struct Bench {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::shared_ptr<agents::TypeRegistry> types = std::make_shared<agents::TypeRegistry>();
  std::unique_ptr<RealNode> a, b;
  std::thread ta, tb;

  Bench() {
    agents::add_builtin_types(*types);
    (void)types->add(bench_type<Sink>("bench_sink", shared));
    (void)types->add(bench_type<Blaster>("bench_blaster", shared));
    (void)types->add(bench_type<Caller>("bench_caller", shared));
    agents::AgentType idle;
    idle.name = "bench_idle";
    idle.accepts = {{agents::kJsonType, 1}};
    idle.make = [] { return std::make_unique<Idle>(); };
    (void)types->add(std::move(idle));
  }
  RealNodeConfig config(const std::string& name) {
    RealNodeConfig cfg;
    cfg.name = name;
    cfg.listen = HostPort{"127.0.0.1", 0};
    cfg.cookie = "bench-cookie";
    cfg.handle_signals = false;
    cfg.seed = 1;
    cfg.transport.log_connections = false;
    cfg.setup.peers = {"a", "b"};
    cfg.setup.heartbeat = HeartbeatConfig{ms(100), ms(2000)};
    cfg.setup.agents.types = types;
    cfg.setup.agents.config.mailbox_max = 1 << 16;
    cfg.setup.agents.config.agents_max = 1 << 22;
    return cfg;
  }
  bool open() {
    a = std::make_unique<RealNode>(config("a"));
    b = std::make_unique<RealNode>(config("b"));
    if (!a->open() || !b->open()) return false;
    ta = std::thread([this] { a->run(); });
    tb = std::thread([this] { b->run(); });
    const std::string addr_b = b->advertised(), addr_a = a->advertised();
    a->call([&] { a->transport().learn("b", addr_b); });
    b->call([&] { b->transport().learn("a", addr_a); });
    // Each must see the other active before agents talk across.
    return wait_until(
        [&] {
          bool up = false;
          a->call([&] { up = a->node().find<MembershipView>()->state_of("b") == MemberState::active; });
          bool up_b = false;
          b->call([&] { up_b = b->node().find<MembershipView>()->state_of("a") == MemberState::active; });
          return up && up_b;
        },
        Millis(10000), Millis(10));
  }
  ~Bench() {
    if (ta.joinable()) {
      a->request_stop();
      b->request_stop();
      ta.join();
      tb.join();
    }
  }
  static agents::AgentService& svc(RealNode& n) { return *n.node().find<agents::AgentService>(); }
  // Spawns `type` on node n (from its thread); the id, "" on failure.
  std::string spawn(RealNode& n, const std::string& type) {
    std::atomic<bool> answered{false};
    std::string id;
    n.call([&] {
      agents::SpawnSpec spec;
      spec.type = type;
      svc(n).spawn(spec, [&](Result<std::string> r) {
        if (r) id = *r;
        answered = true;
      });
    });
    wait_until([&] { return answered.load(); }, Millis(5000), Millis(1));
    return id;
  }
  bool wait_done(Millis limit) { return wait_until([&] { return shared->done.load(); }, limit, Millis(1)); }
};

double seconds(Clock::time_point from, Clock::time_point to) { return std::chrono::duration<double>(to - from).count(); }

// Messages per second from a blaster on `from` to a sink on `to`.
double message_rate(bool remote) {
  Bench b;
  if (!b.open()) return 0;
  b.shared->count = remote ? 300000 : 1000000;
  b.shared->peer = b.spawn(remote ? *b.b : *b.a, "bench_sink");
  if (b.shared->peer.empty()) return 0;
  const auto t0 = Clock::now();
  if (b.spawn(*b.a, "bench_blaster").empty()) return 0;
  if (!b.wait_done(Millis(60000))) return 0;
  return static_cast<double>(b.shared->count) / seconds(t0, b.shared->end);
}

double spawn_rate() {
  Bench b;
  if (!b.open()) return 0;
  constexpr std::uint64_t kSpawns = 100000;
  std::atomic<std::uint64_t> spawned{0};
  Clock::time_point end;
  const auto t0 = Clock::now();
  b.a->call([&] {
    for (std::uint64_t i = 0; i < kSpawns; ++i) {
      agents::SpawnSpec spec;
      spec.type = "bench_idle";
      Bench::svc(*b.a).spawn(spec, [&](Result<std::string> r) {
        if (r && ++spawned == kSpawns) end = Clock::now();
      });
    }
  });
  if (!wait_until([&] { return spawned.load() == kSpawns; }, Millis(60000), Millis(1))) return 0;
  return static_cast<double>(kSpawns) / seconds(t0, end);
}

double remote_rtt_us() {
  Bench b;
  if (!b.open()) return 0;
  b.shared->count = 20000;
  b.shared->peer = b.spawn(*b.b, "echo");
  if (b.shared->peer.empty()) return 0;
  const auto t0 = Clock::now();
  if (b.spawn(*b.a, "bench_caller").empty()) return 0;
  if (!b.wait_done(Millis(60000))) return 0;
  return seconds(t0, b.shared->end) * 1e6 / static_cast<double>(b.shared->count);
}

// The Erlang side: one module, the same four measurements, run by `erl -sname` with a peer
// node for the remote figures; prints "name value" lines. Times are taken by the process
// that started the measurement, on its own node's clock.
constexpr const char* kErlangBench = R"ERL(-module(mabeam_bench).
-export([main/1, sink/4, idle/0, server/0]).

sink(Parent, I, N, _From) when I == N -> Parent ! done, idle();
sink(Parent, I, N, _From) ->
    receive {msg, F, _} ->
        I2 = I + 1,
        if I2 rem 256 == 0 -> F ! credit; true -> ok end,
        sink(Parent, I2, N, F)
    end.

blast(_, _, 0) -> ok;
blast(Sink, P, K) -> Sink ! {msg, self(), P}, blast(Sink, P, K - 1).
blaster(_, _, Left) when Left =< 0 -> ok;
blaster(Sink, P, Left) ->
    receive credit -> N = min(256, Left), blast(Sink, P, N), blaster(Sink, P, Left - N) end.

rate(SinkNode, N) ->
    P = list_to_binary(lists:duplicate(64, $x)),
    Sink = spawn(SinkNode, ?MODULE, sink, [self(), 0, N, none]),
    T0 = erlang:monotonic_time(),
    spawn(fun() -> blast(Sink, P, 1024), blaster(Sink, P, N - 1024) end),
    receive done -> T1 = erlang:monotonic_time(), N / (erlang:convert_time_unit(T1 - T0, native, microsecond) / 1.0e6) end.

idle() -> receive stop -> ok end.
spawn_rate(N) ->
    T0 = erlang:monotonic_time(),
    Pids = [spawn(?MODULE, idle, []) || _ <- lists:seq(1, N)],
    T1 = erlang:monotonic_time(),
    [P ! stop || P <- Pids],
    N / (erlang:convert_time_unit(T1 - T0, native, microsecond) / 1.0e6).

server() -> receive {call, From, Ref, Msg} -> From ! {Ref, Msg}, server() end.
call(S, Msg) -> Ref = make_ref(), S ! {call, self(), Ref, Msg}, receive {Ref, R} -> R after 5000 -> timeout end.
calls(_, _, 0) -> ok;
calls(S, P, K) -> call(S, P), calls(S, P, K - 1).
rtt(Node, N) ->
    P = list_to_binary(lists:duplicate(64, $x)),
    S = spawn(Node, ?MODULE, server, []),
    T0 = erlang:monotonic_time(),
    calls(S, P, N),
    erlang:convert_time_unit(erlang:monotonic_time() - T0, native, microsecond) / N.

main(Bin) ->
    {ok, Peer, Node} = peer:start_link(#{name => mabeam_bench_b, args => ["-setcookie", atom_to_list(erlang:get_cookie())]}),
    {module, _} = rpc:call(Node, code, load_binary, [?MODULE, "mabeam_bench.erl", Bin]),
    io:format("erlang_local_64b_msgs_per_s ~p~n", [rate(node(), 1000000)]),
    io:format("erlang_remote_64b_msgs_per_s ~p~n", [rate(Node, 300000)]),
    io:format("erlang_spawn_per_s ~p~n", [spawn_rate(100000)]),
    io:format("erlang_remote_rtt_us ~p~n", [rtt(Node, 20000)]),
    peer:stop(Peer).
)ERL";

// Runs the Erlang benchmark; false (and why) when erl is missing or a figure is absent.
bool erlang_figures(std::vector<std::pair<std::string, double>>& out, std::string& why) {
  auto dir = TempDir::create();
  if (!dir) {
    why = dir.status().message();
    return false;
  }
  const std::string file = (*dir)->file("mabeam_bench.erl");
  if (auto s = write_text_file(file, kErlangBench); !s) {
    why = s.message();
    return false;
  }
  const std::string cmd = "erl -noshell -sname mabeam_bench_a -setcookie mabeam_bench -eval '{ok,M,B}=compile:file(\"" +
                          file + "\",[binary,report]), {module,M}=code:load_binary(M,\"mabeam_bench.erl\",B), M:main(B), "
                          "halt().' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    why = "could not run erl";
    return false;
  }
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) text += buf;
  const int rc = ::pclose(p);
  std::size_t found = 0;
  for (const char* name : {"erlang_local_64b_msgs_per_s", "erlang_remote_64b_msgs_per_s", "erlang_spawn_per_s",
                           "erlang_remote_rtt_us"}) {
    const auto at = text.find(std::string(name) + " ");
    if (at == std::string::npos) continue;
    out.emplace_back(name, std::strtod(text.c_str() + at + std::strlen(name) + 1, nullptr));
    ++found;
  }
  if (found == 4) return true;
  why = "Erlang figures missing (erl exit " + std::to_string(rc) + "; is erlang-base installed?): " + text.substr(0, 300);
  return false;
}

}  // namespace

bool run_agent_benchmarks(std::vector<std::pair<std::string, double>>& out, std::string& why_not) {
  bool measured = true;
  auto add = [&](const char* name, double v) {
    out.emplace_back(name, v);
    if (v <= 0) measured = false;
  };
  add("agents_local_64b_msgs_per_s", message_rate(false));
  add("agents_remote_64b_msgs_per_s", message_rate(true));
  add("agents_spawn_per_s", spawn_rate());
  add("agents_remote_rtt_us", remote_rtt_us());
  why_not.clear();
  if (!erlang_figures(out, why_not)) measured = false;
  return measured;
}

}  // namespace mabeam::real
