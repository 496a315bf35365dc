// The built-in agent types (see builtins.h).
#include "engine/agents/builtins.h"

#include <algorithm>
#include <deque>

#include "engine/agents/ids.h"
#include "engine/agents/json.h"
#include "engine/duration.h"

namespace mabeam::agents {

namespace {

constexpr std::uint8_t kStateVersion = 1;

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

void reply_json(AgentContext& ctx, const Json& j) { ctx.reply(Payload::json(j.dump())); }
void reply_error(AgentContext& ctx, const std::string& why) { reply_json(ctx, Json(Json::Object{{"error", Json(why)}})); }

// A state given as JSON text: an object (empty bytes: `{}`), or the error.
Result<Json> state_object(const Bytes& state, const char* type) {
  if (state.empty()) return Json(Json::Object{});
  auto j = Json::parse(std::string(state.begin(), state.end()));
  if (!j) return Status::invalid(j.status().message());
  if (!j->is_object()) return Status::invalid(std::string(type) + " state must be an object, found " + j->kind());
  return j;
}

Status only_keys(const Json& obj, std::initializer_list<const char*> keys, const char* type) {
  for (const auto& entry : obj.as_object()) {
    const std::string& k = entry.first;
    if (std::find_if(keys.begin(), keys.end(), [&](const char* a) { return k == a; }) == keys.end()) {
      std::string list;
      for (const char* a : keys) list += (list.empty() ? "" : ", ") + std::string(a);
      return Status::invalid(std::string(type) + " state: unknown key \"" + k + "\" (expected " + list + ")");
    }
  }
  return Status::ok();
}

Result<DurationUs> duration_of(const Json& j, const char* what) {
  if (!j.is_string()) return Status::invalid(std::string(what) + " must be a duration string like \"1s\", found " + j.kind());
  auto d = parse_duration(j.as_string());
  if (!d) return Status::invalid(std::string(what) + ": " + d.status().message());
  if (*d < ms(1)) return Status::invalid(std::string(what) + " must be at least 1ms");
  return *d;
}

// ---- counter ----

class Counter final : public Agent {
 public:
  Status restore(const Bytes& state, std::uint8_t) override {
    auto j = state_object(state, "counter");
    if (!j) return j.status();
    if (auto st = only_keys(*j, {"count"}, "counter"); !st) return st;
    if (const Json* c = j->find("count")) {
      if (!c->is_int()) return Status::invalid(std::string("counter state: count must be an integer, found ") + c->kind());
      count_ = c->as_int();
    }
    return Status::ok();
  }
  Bytes snapshot() const override { return to_bytes(summary_json().dump()); }
  std::string summary() const override { return summary_json().dump(); }
  void handle(AgentContext& ctx, const Message& m) override {
    auto j = Json::parse(m.payload.text());
    if (!j) return reply_error(ctx, j.status().message());
    if (j->is_string() && j->as_string() == "get") return reply_json(ctx, Json(count_));
    if (const Json* inc = j->find("inc"); inc && j->size() == 1) {
      if (!inc->is_int()) return reply_error(ctx, std::string("inc takes an integer, found ") + inc->kind());
      count_ += inc->as_int();
      return reply_json(ctx, Json(count_));
    }
    reply_error(ctx, "a counter takes {\"inc\": N} or \"get\"");
  }

 private:
  Json summary_json() const { return Json(Json::Object{{"count", Json(count_)}}); }
  std::int64_t count_ = 0;
};

// ---- kv ----

class Kv final : public Agent {
 public:
  Status restore(const Bytes& state, std::uint8_t) override {
    auto j = state_object(state, "kv");
    if (!j) return j.status();
    if (auto st = only_keys(*j, {"data"}, "kv"); !st) return st;
    if (const Json* d = j->find("data")) {
      if (!d->is_object()) return Status::invalid(std::string("kv state: data must be an object, found ") + d->kind());
      data_ = d->as_object();
    }
    return Status::ok();
  }
  Bytes snapshot() const override { return to_bytes(Json(Json::Object{{"data", Json(data_)}}).dump()); }
  std::string summary() const override {
    return Json(Json::Object{{"keys", Json(static_cast<std::int64_t>(data_.size()))}}).dump();
  }
  void handle(AgentContext& ctx, const Message& m) override {
    auto j = Json::parse(m.payload.text());
    if (!j) return reply_error(ctx, j.status().message());
    if (j->is_string() && j->as_string() == "keys") {
      Json::Array keys;
      for (const auto& [k, v] : data_) keys.emplace_back(k);
      return reply_json(ctx, Json(std::move(keys)));
    }
    if (const Json* put = j->find("put"); put && j->size() == 1) {
      if (!put->is_array() || put->size() != 2 || !put->as_array()[0].is_string())
        return reply_error(ctx, "put takes [KEY, VALUE] with a string KEY");
      data_[put->as_array()[0].as_string()] = put->as_array()[1];
      return reply_json(ctx, Json());
    }
    if (const Json* get = j->find("get"); get && j->size() == 1) {
      if (!get->is_string()) return reply_error(ctx, "get takes a string key");
      auto it = data_.find(get->as_string());
      return reply_json(ctx, it == data_.end() ? Json() : it->second);
    }
    reply_error(ctx, "a kv takes {\"put\": [K, V]}, {\"get\": K} or \"keys\"");
  }

 private:
  Json::Object data_;
};

// ---- echo ----

class Echo final : public Agent {
 public:
  Status restore(const Bytes& state, std::uint8_t) override {
    auto j = state_object(state, "echo");
    if (!j) return j.status();
    return only_keys(*j, {}, "echo");
  }
  Bytes snapshot() const override { return to_bytes("{}"); }
  void handle(AgentContext& ctx, const Message& m) override { ctx.reply(m.payload); }
};

// ---- pinger ----

class Pinger final : public Agent {
 public:
  Status restore(const Bytes& state, std::uint8_t) override {
    auto j = state_object(state, "pinger");
    if (!j) return j.status();
    if (auto st = only_keys(*j, {"peer", "every", "sent", "pongs", "failures", "monitor", "link", "downs", "last_down"},
                            "pinger");
        !st)
      return st;
    for (auto [key, field] : {std::pair{"monitor", &monitor_}, std::pair{"link", &link_}})
      if (const Json* v = j->find(key)) {
        if (!v->is_bool()) return Status::invalid(std::string("pinger state: ") + key + " must be true or false");
        *field = v->as_bool();
      }
    if (const Json* v = j->find("last_down")) {
      if (!v->is_string()) return Status::invalid("pinger state: last_down must be a reason");
      last_down_ = v->as_string();
    }
    if (const Json* p = j->find("peer")) {
      if (!p->is_string() || (!valid_name(p->as_string()) && !is_agent_id(p->as_string())))
        return Status::invalid("pinger state: peer must be an agent id or name");
      peer_ = p->as_string();
    }
    if (const Json* e = j->find("every")) {
      auto d = duration_of(*e, "pinger state: every");
      if (!d) return d.status();
      every_ = *d;
      every_text_ = e->as_string();
    }
    for (auto [key, field] : {std::pair{"sent", &sent_}, std::pair{"pongs", &pongs_}, std::pair{"failures", &failures_},
                              std::pair{"downs", &downs_}})
      if (const Json* v = j->find(key)) {
        if (!v->is_int() || v->as_int() < 0) return Status::invalid(std::string("pinger state: ") + key + " must be a count");
        *field = v->as_int();
      }
    return Status::ok();
  }
  Bytes snapshot() const override {
    Json::Object o{{"every", Json(every_text_)}, {"sent", Json(sent_)}, {"pongs", Json(pongs_)}, {"failures", Json(failures_)}};
    if (!peer_.empty()) o["peer"] = Json(peer_);
    if (monitor_) o["monitor"] = Json(true);
    if (link_) o["link"] = Json(true);
    if (downs_ > 0) o["downs"] = Json(downs_);
    if (!last_down_.empty()) o["last_down"] = Json(last_down_);
    return to_bytes(Json(std::move(o)).dump());
  }
  std::string summary() const override {
    Json::Object o{{"sent", Json(sent_)}, {"pongs", Json(pongs_)}, {"failures", Json(failures_)}};
    if (monitor_) o["downs"] = Json(downs_);
    if (!last_down_.empty()) o["last_down"] = Json(last_down_);
    return Json(std::move(o)).dump();
  }
  void start(AgentContext& ctx) override {
    if (peer_.empty()) return;
    ctx.start_timer(every_, "ping");
    if (monitor_) ctx.monitor(peer_);
    if (link_) ctx.link(peer_);
  }
  void handle(AgentContext& ctx, const Message& m) override {
    auto j = Json::parse(m.payload.text());
    if (!j) return reply_error(ctx, j.status().message());
    if (const Json* n = j->find("ping")) return reply_json(ctx, Json(Json::Object{{"pong", *n}}));
    reply_error(ctx, "a pinger takes {\"ping\": N}");
  }
  void signal(AgentContext& ctx, const Signal& s) override {
    if (s.kind == SignalKind::timer && s.tag == "ping") {
      ++sent_;
      ctx.request(peer_, Payload::json(Json(Json::Object{{"ping", Json(sent_)}}).dump()), every_);
      ctx.start_timer(every_, "ping");
    } else if (s.kind == SignalKind::reply) {
      if (s.ok) ++pongs_;
      else ++failures_;
    } else if (s.kind == SignalKind::down) {
      // The peer is gone (one signal per monitor, as Erlang's): count it and keep pinging.
      ++downs_;
      last_down_ = s.reason;
    }
  }

 private:
  bool monitor_ = false, link_ = false;
  std::int64_t downs_ = 0;
  std::string last_down_;
  std::string peer_;
  DurationUs every_ = sec(1);
  std::string every_text_ = "1s";
  std::int64_t sent_ = 0, pongs_ = 0, failures_ = 0;
};

// ---- supervisor ----

class Supervisor final : public Agent {
 public:
  Status restore(const Bytes& state, std::uint8_t) override {
    auto j = state_object(state, "supervisor");
    if (!j) return j.status();
    if (auto st = only_keys(*j, {"children", "intensity", "period"}, "supervisor"); !st) return st;
    spec_ = *j;
    if (const Json* i = j->find("intensity")) {
      if (!i->is_int() || i->as_int() < 0 || i->as_int() > 1000)
        return Status::invalid("supervisor state: intensity must be an integer from 0 to 1000");
      intensity_ = static_cast<std::size_t>(i->as_int());
    }
    if (const Json* p = j->find("period")) {
      auto d = duration_of(*p, "supervisor state: period");
      if (!d) return d.status();
      period_ = *d;
    }
    children_.clear();
    if (const Json* cs = j->find("children")) {
      if (!cs->is_array()) return Status::invalid("supervisor state: children must be an array of child specs");
      if (cs->size() > 1000) return Status::invalid("supervisor state: at most 1000 children");
      for (std::size_t i = 0; i < cs->size(); ++i) {
        Child c;
        if (auto st = read_child(cs->as_array()[i], i, c); !st) return st;
        children_.push_back(std::move(c));
      }
    }
    return Status::ok();
  }
  Bytes snapshot() const override { return to_bytes(spec_.dump()); }
  std::string summary() const override {
    std::int64_t running = 0;
    for (const auto& c : children_) running += c.id.empty() ? 0 : 1;
    return Json(Json::Object{{"children", Json(running)}, {"restarts", Json(restarts_total_)}}).dump();
  }
  void start(AgentContext& ctx) override {
    ctx.trap_exit(true);
    for (std::size_t i = 0; i < children_.size(); ++i) start_child(ctx, i);
  }
  void handle(AgentContext& ctx, const Message& m) override {
    auto j = Json::parse(m.payload.text());
    if (j && j->is_string() && j->as_string() == "which_children") {
      Json::Array out;
      for (const auto& c : children_)
        out.emplace_back(Json::Object{{"name", Json(c.name)}, {"id", c.id.empty() ? Json() : Json(c.id)}, {"type", Json(c.type)}});
      return reply_json(ctx, Json(std::move(out)));
    }
    reply_error(ctx, "a supervisor takes \"which_children\"");
  }
  void signal(AgentContext& ctx, const Signal& s) override {
    switch (s.kind) {
      case SignalKind::spawned: {
        auto it = pending_.find(s.ref);
        if (it == pending_.end()) return;
        const std::size_t i = it->second;
        pending_.erase(it);
        Child& c = children_[i];
        if (s.ok) {
          c.id = s.from;
          c.backoff = kBackoffMin;
          return;
        }
        // Not started: try the next node of its list after the back-off.
        ++c.node_index;
        ctx.start_timer(c.backoff, "retry:" + std::to_string(i));
        c.backoff = std::min(c.backoff * 2, kBackoffMax);
        return;
      }
      case SignalKind::exit: on_exit(ctx, s.from, s.reason); return;
      case SignalKind::timer:
        if (s.tag.rfind("retry:", 0) == 0) {
          const std::size_t i = std::stoul(s.tag.substr(6));
          if (i < children_.size() && children_[i].id.empty()) start_child(ctx, i);
        }
        return;
      default: return;
    }
  }

 private:
  static constexpr DurationUs kBackoffMin = ms(200);
  static constexpr DurationUs kBackoffMax = sec(5);
  struct Child {
    std::string type, name, restart = "permanent";
    std::string state;  // JSON text
    std::vector<std::string> nodes;
    bool durable = false;
    std::string id;  // the running instance, "" while none
    std::size_t node_index = 0;
    DurationUs backoff = kBackoffMin;
  };

  static Status read_child(const Json& j, std::size_t i, Child& c) {
    const std::string p = "supervisor state: children[" + std::to_string(i) + "]";
    if (!j.is_object()) return Status::invalid(p + " must be an object");
    if (auto st = only_keys(j, {"type", "name", "state", "node", "durable", "restart"}, "supervisor child"); !st) return st;
    const Json* type = j.find("type");
    if (!type || !type->is_string()) return Status::invalid(p + ".type must be an agent type name");
    c.type = type->as_string();
    if (const Json* n = j.find("name")) {
      if (!n->is_string() || !valid_name(n->as_string())) return Status::invalid(p + ".name must be an agent name");
      c.name = n->as_string();
    }
    if (const Json* s = j.find("state")) c.state = s->dump();
    if (const Json* n = j.find("node")) {
      if (n->is_string()) {
        c.nodes.push_back(n->as_string());
      } else if (n->is_array() && n->size() > 0) {
        for (const auto& e : n->as_array()) {
          if (!e.is_string()) return Status::invalid(p + ".node must be a node name or a list of them");
          c.nodes.push_back(e.as_string());
        }
      } else {
        return Status::invalid(p + ".node must be a node name or a list of them");
      }
    }
    if (const Json* d = j.find("durable")) {
      if (!d->is_bool()) return Status::invalid(p + ".durable must be a boolean");
      c.durable = d->as_bool();
    }
    if (const Json* r = j.find("restart")) {
      if (!r->is_string() || (r->as_string() != "permanent" && r->as_string() != "transient" && r->as_string() != "temporary"))
        return Status::invalid(p + ".restart must be permanent, transient or temporary");
      c.restart = r->as_string();
    }
    return Status::ok();
  }

  void start_child(AgentContext& ctx, std::size_t i) {
    Child& c = children_[i];
    SpawnSpec spec;
    spec.type = c.type;
    spec.name = c.name;
    spec.state = to_bytes(c.state);
    spec.durable = c.durable;
    spec.link = true;
    if (!c.nodes.empty()) spec.node = c.nodes[c.node_index % c.nodes.size()];
    pending_[ctx.spawn(std::move(spec))] = i;
  }

  void on_exit(AgentContext& ctx, const std::string& from, const std::string& reason) {
    auto it = std::find_if(children_.begin(), children_.end(), [&](const Child& c) { return c.id == from; });
    if (it == children_.end()) return;  // not a child (a late exit of an earlier instance)
    Child& c = *it;
    c.id.clear();
    const bool abnormal = reason != kNormal && reason != kShutdown;
    const bool restart = c.restart == "permanent" || (c.restart == "transient" && abnormal);
    if (!restart) return;
    const TimeUs now = ctx.now();
    restarts_.push_back(now);
    while (!restarts_.empty() && restarts_.front() <= now - period_) restarts_.pop_front();
    if (restarts_.size() > intensity_) {
      // Past its intensity: give up, as OTP's supervisor does.
      ctx.stop(kShutdown);
      return;
    }
    ++restarts_total_;
    start_child(ctx, static_cast<std::size_t>(it - children_.begin()));
  }

  Json spec_;
  std::vector<Child> children_;
  std::size_t intensity_ = 3;
  DurationUs period_ = sec(5);
  std::deque<TimeUs> restarts_;
  std::int64_t restarts_total_ = 0;
  std::map<std::uint64_t, std::size_t> pending_;  // spawn ref -> child index
};

template <class A>
AgentType json_type(const char* name) {
  AgentType t;
  t.name = name;
  t.version = kStateVersion;
  t.accepts = {MessageTypeInfo{kJsonType, 1}};
  t.make = [] { return std::make_unique<A>(); };
  return t;
}

}  // namespace

void add_builtin_types(TypeRegistry& registry) {
  // The names are fixed and distinct, so add() cannot fail here.
  (void)registry.add(json_type<Counter>("counter"));
  (void)registry.add(json_type<Kv>("kv"));
  (void)registry.add(json_type<Echo>("echo"));
  (void)registry.add(json_type<Pinger>("pinger"));
  (void)registry.add(json_type<Supervisor>("supervisor"));
}

}  // namespace mabeam::agents
