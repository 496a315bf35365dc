// Generated histories (generate.h).
#include "sim/lincheck/generate.h"

#include <algorithm>
#include <map>

#include "engine/rng.h"

namespace mabeam::lincheck {

History generate_history(const GenerateOptions& o) {
  Rng rng(o.seed);
  struct Planned {
    std::int64_t process;
    OpKind kind;
    std::size_t key;
    std::int64_t invoke, point, complete;
    bool info = false;
    nlohmann::json value, read_value;
    Outcome outcome = Outcome::ok;
  };
  std::vector<Planned> ops;
  ops.reserve(o.ops);
  std::vector<std::int64_t> free_at(o.clients, 0);
  std::vector<std::int64_t> process(o.clients);
  for (std::size_t c = 0; c < o.clients; ++c) process[c] = static_cast<std::int64_t>(c);
  std::int64_t next_process = static_cast<std::int64_t>(o.clients);
  for (std::size_t i = 0; i < o.ops; ++i) {
    const std::size_t c = static_cast<std::size_t>(std::min_element(free_at.begin(), free_at.end()) - free_at.begin());
    Planned p;
    p.process = process[c];
    const double pick = rng.unit();
    p.kind = pick < o.write_share ? OpKind::write : pick < o.write_share + o.cas_share ? OpKind::cas : OpKind::read;
    p.key = o.keys > 1 ? rng.below(o.keys) : 0;
    p.invoke = free_at[c] + rng.between(0, o.think_ns_max);
    p.point = p.invoke + rng.between(1, o.latency_ns_max);
    p.complete = p.point + rng.between(1, o.latency_ns_max);
    p.info = rng.chance(o.info_probability);
    free_at[c] = p.complete + 1;
    if (p.info) process[c] = next_process++;
    ops.push_back(std::move(p));
  }
  // Replay in linearization order to learn what each operation saw.
  std::vector<std::size_t> order(ops.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return ops[a].point != ops[b].point ? ops[a].point < ops[b].point : a < b;
  });
  std::vector<nlohmann::json> state(std::max<std::size_t>(o.keys, 1));
  std::int64_t fresh = 0;
  auto new_value = [&]() -> nlohmann::json {
    if (o.value_domain == 0) return ++fresh;
    return static_cast<std::int64_t>(rng.below(o.value_domain));
  };
  for (std::size_t i : order) {
    Planned& p = ops[i];
    nlohmann::json& s = state[p.key];
    // An info operation takes effect or not, at random.
    const bool effective = !p.info || rng.chance(0.5);
    switch (p.kind) {
      case OpKind::read:
        p.read_value = s;
        break;
      case OpKind::write:
        p.value = new_value();
        if (effective) s = p.value;
        break;
      case OpKind::cas: {
        nlohmann::json expected = rng.chance(0.5) ? s : new_value();
        p.value = nlohmann::json::array({expected, new_value()});
        if (s != expected) p.outcome = Outcome::fail;
        else if (effective) s = p.value[1];
        break;
      }
      case OpKind::append: break;
    }
    if (p.info) p.outcome = Outcome::info;
  }
  struct Event {
    std::int64_t time;
    bool completion;
    std::size_t op;
  };
  std::vector<Event> events;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    events.push_back({ops[i].invoke, false, i});
    events.push_back({ops[i].complete, true, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.completion != b.completion) return a.completion;
    return a.op < b.op;
  });
  HistoryBuilder b(o.keys > 1 ? Model::kv : Model::cas_register);
  std::size_t line = 0;
  for (const Event& e : events) {
    const Planned& p = ops[e.op];
    const std::string f(op_kind_name(p.kind));
    const nlohmann::json key = o.keys > 1 ? nlohmann::json("k" + std::to_string(p.key)) : nlohmann::json();
    ++line;
    Status s = e.completion ? b.complete(line, p.process, p.outcome, f, p.kind == OpKind::read ? p.read_value : p.value, e.time)
                            : b.invoke(line, p.process, f, p.kind == OpKind::read ? nlohmann::json() : p.value, key, e.time);
    (void)s;  // generated events follow the rules by construction
  }
  b.set_lines(line);
  return std::move(b).finish();
}

std::ptrdiff_t make_stale_read(History& h, double at) {
  auto effective_write = [](const Operation& op) {
    return op.outcome == Outcome::ok && (op.kind == OpKind::write || op.kind == OpKind::cas);
  };
  auto written = [](const Operation& op) { return op.kind == OpKind::cas ? op.value[1] : op.value; };
  const auto start = static_cast<std::size_t>(at * static_cast<double>(h.ops.size()));
  for (std::size_t r = start; r < h.ops.size(); ++r) {
    Operation& read = h.ops[r];
    if (read.kind != OpKind::read || read.outcome != Outcome::ok) continue;
    // The last write completed before the read was invoked, then a write completed before that one.
    std::ptrdiff_t later = -1;
    for (std::size_t w = 0; w < r; ++w) {
      const Operation& op = h.ops[w];
      if (effective_write(op) && op.key == read.key && op.complete_line < read.invoke_line &&
          (later < 0 || op.complete_line > h.ops[static_cast<std::size_t>(later)].complete_line)) {
        later = static_cast<std::ptrdiff_t>(w);
      }
    }
    if (later < 0) continue;
    const Operation& overwriting = h.ops[static_cast<std::size_t>(later)];
    for (std::size_t w = static_cast<std::size_t>(later); w-- > 0;) {
      const Operation& op = h.ops[w];
      if (effective_write(op) && op.key == read.key && op.complete_line < overwriting.invoke_line &&
          written(op) != written(overwriting) && written(op) != read.read_value) {
        read.read_value = written(op);
        return static_cast<std::ptrdiff_t>(r);
      }
    }
  }
  return -1;
}

std::ptrdiff_t make_unwritten_read(History& h, double at) {
  for (auto r = static_cast<std::size_t>(at * static_cast<double>(h.ops.size())); r < h.ops.size(); ++r) {
    Operation& read = h.ops[r];
    if (read.kind != OpKind::read || read.outcome != Outcome::ok) continue;
    read.read_value = -1;
    return static_cast<std::ptrdiff_t>(r);
  }
  return -1;
}

}  // namespace mabeam::lincheck
