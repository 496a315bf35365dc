// Test fixtures for the agent service on a FakeContext (test_agents*.cpp): a Host, one node
// with a fake consensus log (fake_log.h), the registry and the agent service; and a
// `script` agent type whose behaviour a test writes as lambdas (looked up by the agent's
// state text), recording every signal it gets.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/agents/builtins.h"
#include "engine/agents/registry.h"
#include "engine/agents/service.h"
#include "tests/engine/fake_context.h"
#include "tests/engine/fake_log.h"

namespace mabeam::agents::testing {

struct Script {
  std::function<void(AgentContext&)> on_start;
  std::function<void(AgentContext&, const Message&)> on_message;
  std::function<void(AgentContext&, const Signal&)> on_signal;
  std::vector<std::string> log;  // "start", "msg <text>", "<signal kind> <from> <reason>", "stop <reason>"
  AgentContext* ctx = nullptr;   // valid while the agent runs
};

inline std::map<std::string, Script>& scripts() {
  static std::map<std::string, Script> s;
  return s;
}

class ScriptAgent final : public Agent {
 public:
  Status restore(const Bytes& state, std::uint8_t) override {
    key_ = std::string(state.begin(), state.end());
    return Status::ok();
  }
  Bytes snapshot() const override { return Bytes(key_.begin(), key_.end()); }
  void start(AgentContext& ctx) override {
    s().ctx = &ctx;
    s().log.push_back("start");
    if (s().on_start) s().on_start(ctx);
  }
  void handle(AgentContext& ctx, const Message& m) override {
    s().log.push_back("msg " + m.payload.text());
    if (s().on_message) s().on_message(ctx, m);
  }
  void signal(AgentContext& ctx, const Signal& sig) override {
    std::string line = std::string(to_string(sig.kind)) + " " + sig.from + " " + sig.reason;
    if (sig.kind == SignalKind::reply && sig.ok) line = "reply " + sig.body.text();
    if (sig.kind == SignalKind::timer) line = "timer " + sig.tag;
    s().log.push_back(line);
    if (s().on_signal) s().on_signal(ctx, sig);
  }
  void stop(AgentContext&, const std::string& reason) override {
    s().log.push_back("stop " + reason);
    s().ctx = nullptr;
  }

 private:
  Script& s() { return scripts()[key_]; }
  std::string key_;
};

// The built-in types plus `script`.
inline std::shared_ptr<const TypeRegistry> test_types() {
  auto r = std::make_shared<TypeRegistry>();
  add_builtin_types(*r);
  AgentType t;
  t.name = "script";
  t.accepts = {MessageTypeInfo{kJsonType, 1}};
  t.make = [] { return std::make_unique<ScriptAgent>(); };
  (void)r->add(std::move(t));
  return r;
}

inline Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct Host {
  explicit Host(const std::string& name = "n1", AgentsConfig config = {}, std::shared_ptr<test::FakeLogCore> core = nullptr,
                const test::MemoryStorage* disk = nullptr, std::uint64_t boot = 1)
      : ctx(name), node(ctx), core(core ? std::move(core) : std::make_shared<test::FakeLogCore>()) {
    if (disk) static_cast<test::MemoryStorage&>(ctx.storage()).files = disk->files;
    if (this->core->leader.empty()) this->core->leader = name;
    node.add<test::FakeLog>(this->core);
    registry = &node.add<Registry>(config, boot);
    svc = &node.add<AgentService>(config, test_types(), boot);
    node.start();
  }
  // Spawns and lets the registry answer; the id, or the error text.
  std::string spawn(SpawnSpec spec) {
    std::string out = "no answer";
    svc->spawn(std::move(spec), [&](Result<std::string> r) { out = r ? *r : "error: " + r.status().message(); });
    settle();
    return out;
  }
  std::string spawn(const std::string& type, const std::string& state = "", const std::string& name = "") {
    SpawnSpec s;
    s.type = type;
    s.state = bytes(state);
    s.name = name;
    return spawn(std::move(s));
  }
  // A client call; runs the node until it has an outcome (or 10 s pass).
  Outcome call(const std::string& to, const std::string& json, bool settle_after = true) {
    Outcome got;
    got.error = "no outcome";
    bool done = false;
    svc->call("test", to, Payload::json(json), 0, [&](const Outcome& o) {
      got = o;
      done = true;
    });
    if (settle_after) settle();
    (void)done;
    return got;
  }
  // Lets every timer due within `d` fire.
  void settle(DurationUs d = ms(50)) { ctx.advance_to(ctx.now() + d); }
  std::size_t count_events(const std::string& ev) const {
    std::size_t n = 0;
    for (const auto& e : ctx.emitted) n += e.ev.ev == ev ? 1 : 0;
    return n;
  }
  std::string field(const TraceEvent& e, const std::string& key) const {
    for (const auto& [k, v] : e.fields)
      if (k == key) {
        if (auto* s = std::get_if<std::string>(&v)) return *s;
        if (auto* r = std::get_if<RawJson>(&v)) return r->text;
        if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
        if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
      }
    return "";
  }
  std::vector<const TraceEvent*> events(const std::string& ev) const {
    std::vector<const TraceEvent*> out;
    for (const auto& e : ctx.emitted)
      if (e.ev.ev == ev) out.push_back(&e.ev);
    return out;
  }

  test::FakeContext ctx;
  Node node;
  std::shared_ptr<test::FakeLogCore> core;
  Registry* registry = nullptr;
  AgentService* svc = nullptr;
};

}  // namespace mabeam::agents::testing
