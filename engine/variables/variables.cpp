// The variables service (see variables.h).
#include "engine/variables/variables.h"

#include <algorithm>

namespace mabeam::vars {

namespace {

// What this replica took in, in order (messages.h, log records): a record per write
// applied, and state records (a transfer merged; after a compaction, the snapshot at the
// head). Own writes are synced before they are acknowledged; others may be lost at a crash
// (anti-entropy brings them back). Replayed at start, so a restarted node keeps its writes
// and never reuses a sequence number.
const std::string kLogFile = "variables.log";

std::uint64_t count_of(const VersionVector& vv, const std::string& node) {
  auto it = vv.find(node);
  return it == vv.end() ? 0 : it->second;
}

RawJson raw(const std::string& json_text) { return RawJson{json_text.empty() ? "null" : json_text}; }

std::string vv_json(const VersionVector& vv) {
  std::string out = "{";
  bool first = true;
  for (const auto& [node, n] : vv) {
    if (n == 0) continue;
    if (!first) out += ",";
    first = false;
    append_json_string(out, node);
    out += ":" + std::to_string(n);
  }
  return out + "}";
}

std::string deps_json(const std::vector<Dep>& deps) {
  std::string out = "[";
  for (std::size_t i = 0; i < deps.size(); ++i) {
    if (i) out += ",";
    out += "[";
    append_json_string(out, deps[i].var);
    out += ",";
    append_json_string(out, deps[i].node);
    out += "," + std::to_string(deps[i].count) + "]";
  }
  return out + "]";
}

std::string strings_json(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    append_json_string(out, items[i]);
  }
  return out + "]";
}

// The first entry of `want` that `have` lacks, as "n1 up to 5, here 3".
std::string first_gap(const VersionVector& have, const VersionVector& want) {
  for (const auto& [node, n] : want) {
    auto it = have.find(node);
    const std::uint64_t h = it == have.end() ? 0 : it->second;
    if (h < n) return node + "'s writes up to #" + std::to_string(n) + ", this node has up to #" + std::to_string(h);
  }
  return "";
}

// A plain JSON scalar text is what the trace and the merges expect; a value with a raw
// newline would break a trace line.
bool sane_value(const std::string& v) { return !v.empty() && v.find('\n') == std::string::npos; }

}  // namespace

VariablesService::VariablesService(Node& node, std::vector<VariableSpec> specs, VariablesConfig config)
    : Service(node), config_(config) {
  for (auto& s : specs) {
    Replica r;
    r.state.resolve = s.resolve;
    if (s.resolve == Resolve::custom) r.state.merge_fn = merge_registry().find(s.merge);
    r.spec = std::move(s);
    vars_.emplace(r.spec.name, std::move(r));
  }
  node_.route<VarWrites>([this](const std::string& from, VarWrites&& m) { on_writes(from, std::move(m)); });
  node_.route<VarDigest>([this](const std::string& from, VarDigest&& m) { on_digest(from, std::move(m)); });
  node_.route<VarTransfer>([this](const std::string& from, VarTransfer&& m) { on_transfer(from, std::move(m)); });
}

void VariablesService::start() {
  replay_log();
  view_ = node_.find<MembershipView>();
  guard_ = node_.find<QuorumView>();
  if (view_)
    view_handle_ = view_->subscribe([this](const std::string&, MemberState, MemberState) { recompute_replicas(true); });
  recompute_replicas(false);
  const auto first = static_cast<DurationUs>(ctx_.rng().below(static_cast<std::uint64_t>(config_.anti_entropy_interval)));
  ctx_.after(first, [this] { anti_entropy(); });
}

void VariablesService::replay_log() {
  auto records = ctx_.storage().read(kLogFile);
  if (!records) return;
  log_records_ = log_tail_ = records->size();
  replaying_ = true;
  bool corrupt = false;
  // Consecutive state records (a snapshot, a transfer) are merged at once, as they were taken in.
  std::vector<VarSnapshot> states;
  Hlc clock;
  auto merge_pending_states = [&] {
    if (!states.empty()) merge_states(states, clock, /*persisted=*/true, "");
    states.clear();
  };
  for (const auto& rec : *records) {
    LogRecord lr;
    if (!decode_record(rec, lr)) {
      node_.metrics().inc("var_log_corrupt_records_total");
      corrupt = true;
      break;  // a torn tail: what follows is unreadable
    }
    if (lr.kind == RecordKind::state) {
      if (states.empty() || clock < lr.clock) clock = lr.clock;
      states.push_back(std::move(lr.snapshot));
      continue;
    }
    merge_pending_states();
    receive(std::move(lr.write), /*from_log=*/true);
  }
  merge_pending_states();
  drain();
  replaying_ = false;
  node_.metrics().set("var_log_replayed_ops", static_cast<double>(records->size()));
  // A snapshot drops an unreadable tail, which later appends would otherwise follow.
  if (corrupt) log_gap_ = !compact().is_ok();
  else maybe_compact();
}

Status VariablesService::log_append(const Bytes& record) {
  if (log_gap_) {
    // The snapshot holds everything applied so far, the missing write included.
    if (Status st = compact(); !st) return Status::io_error("the write log misses a record and cannot be rewritten: " + st.message());
    log_gap_ = false;
  }
  Status st = ctx_.storage().append(kLogFile, record);
  if (st) {
    ++log_records_;
    ++log_tail_;
  } else {
    log_gap_ = true;
  }
  return st;
}

void VariablesService::maybe_compact() {
  if (!replaying_ && log_tail_ > config_.log_compact_records) compact();
}

Status VariablesService::compact() {
  std::vector<Bytes> records;
  const Hlc clock = hlc_.last(ctx_.self());
  for (const auto& [name, r] : vars_)
    if (!r.vv.empty()) records.push_back(encode_record(clock, snapshot_of(name, r)));
  const Status st = ctx_.storage().rewrite(kLogFile, records);
  log_tail_ = 0;  // also after a failure: the next try comes as many records later
  if (!st) {
    node_.metrics().inc("var_log_compact_errors_total");
    return st;
  }
  log_records_ = records.size();
  node_.metrics().inc("var_log_compactions_total");
  node_.metrics().set("var_log_records", static_cast<double>(log_records_));
  return Status::ok();
}

VarSnapshot VariablesService::snapshot_of(const std::string& name, const Replica& r) const {
  VarSnapshot s;
  s.var = name;
  s.vv = r.vv;
  s.state = r.state;
  s.state.merge_fn = nullptr;
  return s;
}

void VariablesService::stop() {
  stopped_ = true;
  if (view_) view_->unsubscribe(view_handle_);
  view_ = nullptr;
}

std::vector<std::string> VariablesService::active_members() const {
  std::vector<std::string> out{ctx_.self()};
  if (view_)
    for (const auto& m : view_->members())
      if (m.name != ctx_.self() && m.state == MemberState::active) out.push_back(m.name);
  std::sort(out.begin(), out.end());
  return out;
}

void VariablesService::recompute_replicas(bool hand_off) {
  if (stopped_) return;
  const auto members = active_members();
  std::vector<std::string> newcomers;
  for (auto& [name, r] : vars_) {
    auto set = rendezvous_pick(name, members, r.spec.replicas);
    const bool mine = std::find(set.begin(), set.end(), ctx_.self()) != set.end();
    if (hand_off && mine)
      for (const auto& n : set)
        if (n != ctx_.self() && std::find(r.replicas.begin(), r.replicas.end(), n) == r.replicas.end())
          newcomers.push_back(n);
    r.replicas = std::move(set);
  }
  // Re-replication: a new replica gets an anti-entropy round at once instead of waiting.
  std::sort(newcomers.begin(), newcomers.end());
  newcomers.erase(std::unique(newcomers.begin(), newcomers.end()), newcomers.end());
  if (newcomers.empty()) return;
  const VarDigest d = digest(false);
  for (const auto& n : newcomers) {
    node_.metrics().inc("var_handoffs_total");
    ctx_.send_msg(n, d);
  }
}

void VariablesService::submit(ClientOp op, SessionToken token, OpDone done) {
  auto it = vars_.find(op.var);
  auto fail = [&](std::string why, const Replica* r) {
    OpOutcome out;
    out.error = std::move(why);
    out.token = std::move(token);
    finish(op, out, done, r);
  };
  if (it == vars_.end()) return fail("unknown variable \"" + op.var + "\"", nullptr);
  Replica& r = it->second;
  const Resolve res = r.spec.resolve;
  if (op.op.empty())
    op.op = res == Resolve::or_set ? "add" : (res == Resolve::g_counter || res == Resolve::pn_counter) ? "incr" : "set";
  if (op.op == "add" && (res == Resolve::g_counter || res == Resolve::pn_counter)) op.op = "incr";
  if (op.op == "incr" && op.value.empty()) op.value = "1";
  const bool counter = res == Resolve::g_counter || res == Resolve::pn_counter;
  const bool write = op.op != "read";
  if (write) {
    const bool fits = counter ? op.op == "incr" : res == Resolve::or_set ? (op.op == "add" || op.op == "remove") : op.op == "set";
    if (!fits) return fail("op \"" + op.op + "\" does not apply to a " + to_string(res) + " variable", &r);
    if (!sane_value(op.value)) return fail("a write needs a value", &r);
    if (counter || res == Resolve::max || res == Resolve::min) {
      auto n = parse_integer(op.value);
      if (!n) return fail(std::string("a ") + to_string(res) + " variable takes integer values, found " + op.value, &r);
      if (res == Resolve::g_counter && *n < 0) return fail("a g_counter only grows: found " + op.value, &r);
    }
    if (res == Resolve::custom && !r.state.merge_fn)
      return fail("merge function \"" + r.spec.merge + "\" is not registered in this process", &r);
    if (guard_ && guard_->readonly() && !r.spec.available) {
      node_.metrics().inc("var_writes_refused_minority_total");
      return fail("read-only: " + guard_->why() + "; " + op.var + " has on_minority: readonly", &r);
    }
  }
  if (!op.session.empty()) {
    auto t = token.seen.find(op.var);
    if (t != token.seen.end() && !covers(r.vv, t->second)) {
      if (waiting_.size() >= config_.waiting_ops_max)
        return fail("too many session operations waiting (" + std::to_string(config_.waiting_ops_max) + ")", &r);
      const std::uint64_t id = next_waiting_++;
      const TimerId timer = ctx_.after(config_.session_wait, [this, id] {
        auto w = std::find_if(waiting_.begin(), waiting_.end(), [id](const Waiting& x) { return x.id == id; });
        if (w == waiting_.end()) return;
        Waiting gone = std::move(*w);
        waiting_.erase(w);
        const Replica& rr = vars_.at(gone.op.var);
        OpOutcome out;
        out.error = "session " + gone.op.session + " is ahead of " + ctx_.self() + " on " + gone.op.var + ": it has seen " +
                    first_gap(rr.vv, gone.token.seen[gone.op.var]) + " (waited " +
                    std::to_string(config_.session_wait / 1000) + "ms)";
        out.token = std::move(gone.token);
        finish(gone.op, out, gone.done, &rr);
      });
      node_.metrics().inc("var_session_waits_total");
      waiting_.push_back(Waiting{id, std::move(op), std::move(token), std::move(done), timer});
      return;
    }
  }
  execute(op, std::move(token), done);
}

void VariablesService::execute(const ClientOp& op, SessionToken token, const OpDone& done) {
  Replica& r = vars_.at(op.var);
  OpOutcome out;
  if (op.op == "read") {
    out.ok = true;
    out.value = r.state.value_text();
    if (!op.session.empty()) merge_into(token.seen[op.var], r.vv);
    out.token = std::move(token);
    return finish(op, out, done, &r);
  }
  const std::string& self = ctx_.self();
  WriteOp w;
  w.var = op.var;
  w.origin = self;
  w.seq = r.vv[self] + 1;
  w.ts = hlc_.tick(ctx_.wall_now(), self);
  w.value = op.value;
  w.kind = op.op == "add" ? OpKind::add : op.op == "remove" ? OpKind::remove : op.op == "incr" ? OpKind::incr : OpKind::set;
  for (const auto& [node, n] : r.vv)
    if (node != self && n > 0) w.deps.push_back(Dep{op.var, node, n});
  if (r.spec.consistency == Consistency::causal)
    for (const auto& [name, other] : vars_)
      if (name != op.var && other.spec.consistency == Consistency::causal)
        for (const auto& [node, n] : other.vv)
          if (n > 0) w.deps.push_back(Dep{name, node, n});
  if (w.kind == OpKind::incr) {
    const std::int64_t amount = *parse_integer(op.value);
    auto total = [](const std::map<std::string, std::int64_t>& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end() ? std::int64_t{0} : it->second;
    };
    w.total_plus = total(r.state.plus, self) + (amount > 0 ? amount : 0);
    w.total_minus = total(r.state.minus, self) + (amount < 0 ? -amount : 0);
  }
  if (w.kind == OpKind::remove) w.tags = r.state.tags_of(op.value);
  {
    Status st = log_append(encode_record(w));
    if (st) {
      st = ctx_.storage().sync(kLogFile);
      // The refused write's record may still be pending: rewrite the log before the next
      // append, so it cannot become durable with the sequence number the next write reuses.
      if (!st) log_gap_ = true;
    }
    if (!st) {
      OpOutcome failed;
      failed.error = "cannot persist the write: " + st.message();
      failed.token = std::move(token);
      return finish(op, failed, done, &r);
    }
  }

  out.ok = true;
  out.value = op.value;
  if (ctx_.tracing()) {
    TraceEvent e("var_write");
    e.with("var", op.var).with("op", op.op).with("value", raw(op.value)).with("ok", true);
    if (!op.session.empty()) e.with("session", op.session);
    e.with("seq", w.seq).with("hlc", RawJson{"[" + std::to_string(w.ts.wall) + "," + std::to_string(w.ts.logical) + "]"});
    e.with("deps", RawJson{deps_json(w.deps)});
    if (w.kind == OpKind::add) e.with("tag", dot_text(self, w.seq));
    if (w.kind == OpKind::remove) e.with("tags", RawJson{strings_json(w.tags)});
    e.with("resolve", r.spec.resolve == Resolve::custom ? r.spec.merge : to_string(r.spec.resolve));
    e.with("consistency", to_string(r.spec.consistency));
    e.with("policy", r.spec.available ? "available" : "readonly");
    if (guard_) e.with("mode", guard_->readonly() ? "readonly" : "normal");
    ctx_.emit(e);
  }
  node_.metrics().inc("var_writes_ok_total");
  apply(w, /*persisted=*/true);
  if (!op.session.empty()) merge_into(token.seen[op.var], r.vv);
  out.token = std::move(token);
  push(w, r);
  if (done) done(out);
  drain();
}

void VariablesService::finish(const ClientOp& op, const OpOutcome& out, const OpDone& done, const Replica* r) {
  const bool read = op.op == "read";
  if (!out.ok) node_.metrics().inc(read ? "var_reads_failed_total" : "var_writes_failed_total");
  else if (read) node_.metrics().inc("var_reads_ok_total");
  if (ctx_.tracing()) {
    TraceEvent e(read ? "var_read" : "var_write");
    e.with("var", op.var).with("op", op.op.empty() ? "set" : op.op);
    if (read || !op.value.empty()) e.with("value", raw(out.ok ? out.value : op.value));
    e.with("ok", out.ok);
    if (!out.ok) e.with("error", out.error);
    if (!op.session.empty()) e.with("session", op.session);
    if (read && out.ok && r) {
      e.with("vv", RawJson{vv_json(r->vv)});
      if (guard_ && guard_->readonly()) e.with("stale", true);
    }
    if (!read && r) e.with("policy", r->spec.available ? "available" : "readonly");
    if (!read && guard_) e.with("mode", guard_->readonly() ? "readonly" : "normal");
    ctx_.emit(e);
  }
  if (done) done(out);
}

bool VariablesService::ready(const WriteOp& op) const {
  const Replica& r = vars_.at(op.var);
  auto have = [](const VersionVector& vv, const std::string& node) {
    auto it = vv.find(node);
    return it == vv.end() ? std::uint64_t{0} : it->second;
  };
  if (have(r.vv, op.origin) + 1 != op.seq) return false;
  for (const auto& d : op.deps) {
    auto it = vars_.find(d.var);
    if (it != vars_.end() && have(it->second.vv, d.node) < d.count) return false;
  }
  return true;
}

VarState VariablesService::delta_of(const WriteOp& op, const Replica& r) const {
  VarState d;
  d.resolve = r.spec.resolve;
  d.merge_fn = r.state.merge_fn;
  switch (r.spec.resolve) {
    case Resolve::lww:
      d.lww_ts = op.ts;
      d.value = op.value;
      break;
    case Resolve::custom:
      d.value = op.value;
      break;
    case Resolve::vector_clock:
      d.siblings.insert(Sibling{op.value, op.origin, op.seq});
      for (const auto& dep : op.deps)
        if (dep.var == op.var) d.seen[dep.node] = std::max(d.seen[dep.node], dep.count);
      d.seen[op.origin] = op.seq;
      break;
    case Resolve::g_counter:
    case Resolve::pn_counter:
      d.plus[op.origin] = op.total_plus;
      d.minus[op.origin] = op.total_minus;
      break;
    case Resolve::or_set:
      // The delta has seen its own dot (and, for a remove, the dots it observed); an add
      // also holds its dot.
      d.cloud.insert(Dot{op.origin, op.seq});
      if (op.kind == OpKind::add) d.elements[op.value].insert(Dot{op.origin, op.seq});
      for (const auto& t : op.tags)
        if (auto dot = parse_dot(t)) d.cloud.insert(*dot);
      break;
    case Resolve::max:
    case Resolve::min:
      d.extreme = parse_integer(op.value);
      break;
  }
  return d;
}

void VariablesService::apply(const WriteOp& op, bool persisted) {
  Replica& r = vars_.at(op.var);
  if (!persisted && !log_append(encode_record(op))) node_.metrics().inc("var_log_append_errors_total");
  // Concurrent: this replica holds a write (not from the same writer) the writer had not seen.
  bool concurrent = false;
  hlc_.observe(op.ts, ctx_.wall_now());  // also own writes replayed from the log
  if (op.origin != ctx_.self()) {
    VersionVector ctx;
    for (const auto& d : op.deps)
      if (d.var == op.var) ctx[d.node] = std::max(ctx[d.node], d.count);
    for (const auto& [node, n] : r.vv) {
      if (node == op.origin) continue;
      auto it = ctx.find(node);
      if (n > (it == ctx.end() ? 0 : it->second)) concurrent = true;
    }
  }
  const std::string before = concurrent && ctx_.tracing() ? r.state.value_text() : "";
  r.state.merge(delta_of(op, r));
  r.vv[op.origin] = op.seq;
  WriterLog& kept = r.log[op.origin];
  if (kept.ops.empty()) kept.first = op.seq;
  kept.ops.push_back(op);
  for (; kept.ops.size() > config_.log_keep_writes; ++kept.first) kept.ops.pop_front();
  node_.metrics().inc("var_applied_total");
  if (ctx_.tracing()) {
    const std::string after = r.state.value_text();
    ctx_.emit(TraceEvent("var_apply").with("var", op.var).with("origin", op.origin).with("seq", op.seq).with("value", raw(after)));
    if (concurrent) {
      node_.metrics().inc("var_conflicts_total");
      ctx_.emit(TraceEvent("var_conflict")
                    .with("var", op.var)
                    .with("strategy", r.spec.resolve == Resolve::custom ? r.spec.merge : to_string(r.spec.resolve))
                    .with("origin", op.origin)
                    .with("seq", op.seq)
                    .with("local", raw(before))
                    .with("incoming", raw(op.kind == OpKind::incr ? op.value : op.value))
                    .with("result", raw(after)));
    }
  }
  maybe_compact();
}

void VariablesService::merge_states(const std::vector<VarSnapshot>& states, const Hlc& clock, bool persisted,
                                    const std::string& from) {
  hlc_.observe(clock, ctx_.wall_now());
  std::string vars_json;
  for (const auto& s : states) {
    auto it = vars_.find(s.var);
    if (it == vars_.end() || it->second.spec.resolve != s.state.resolve) {
      node_.metrics().inc("var_states_refused_total");  // not declared here, or declared otherwise
      continue;
    }
    Replica& r = it->second;
    if (covers(r.vv, s.vv)) continue;  // nothing this replica lacks
    if (!persisted && !log_append(encode_record(clock, s))) node_.metrics().inc("var_log_append_errors_total");
    VarState in = s.state;
    in.merge_fn = r.state.merge_fn;
    r.state.merge(in);
    for (const auto& [node, n] : s.vv) {
      if (n <= count_of(r.vv, node)) continue;
      r.vv[node] = n;
      WriterLog& kept = r.log[node];  // no longer contiguous with what follows: start afresh
      kept.ops.clear();
      kept.first = n + 1;
    }
    if (ctx_.tracing()) {
      vars_json += vars_json.empty() ? "{" : ",";
      append_json_string(vars_json, s.var);
      vars_json += ":{\"vv\":" + vv_json(r.vv) + ",\"value\":" + raw(r.state.value_text()).text + "}";
    }
    node_.metrics().inc("var_states_merged_total");
  }
  if (!vars_json.empty()) {
    TraceEvent e("var_state");
    e.with("source", from.empty() ? "log" : "transfer");
    if (!from.empty()) e.with("from", from);
    ctx_.emit(e.with("vars", RawJson{vars_json + "}"}));
  }
  maybe_compact();
}

void VariablesService::on_transfer(const std::string& from, VarTransfer&& m) {
  if (stopped_) return;
  node_.metrics().inc("var_state_transfers_received_total");
  merge_states(m.vars, m.clock, /*persisted=*/false, from);
  drain();
}

void VariablesService::receive(WriteOp op, bool from_log) {
  auto it = vars_.find(op.var);
  if (it == vars_.end()) {
    node_.metrics().inc("var_writes_unknown_var_total");
    return;
  }
  auto have = it->second.vv.find(op.origin);
  if (have != it->second.vv.end() && have->second >= op.seq) return;  // already applied
  if (ready(op)) {
    apply(op, from_log);
    return;
  }
  if (pending_.size() >= config_.pending_ops_max) {
    node_.metrics().inc("var_pending_dropped_total");  // anti-entropy brings it back later
    return;
  }
  PendingKey key{op.var, op.origin, op.seq};
  if (pending_.emplace(std::move(key), std::move(op)).second) node_.metrics().inc("var_writes_buffered_total");
}

void VariablesService::drain() {
  bool progress = true;
  while (progress && !pending_.empty()) {
    progress = false;
    for (auto it = pending_.begin(); it != pending_.end();) {
      const Replica& r = vars_.at(it->second.var);
      auto have = r.vv.find(it->second.origin);
      if (have != r.vv.end() && have->second >= it->second.seq) {
        it = pending_.erase(it);
      } else if (ready(it->second)) {
        apply(it->second, false);
        it = pending_.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  node_.metrics().set("var_pending_ops", static_cast<double>(pending_.size()));
  wake_waiting();
}

void VariablesService::wake_waiting() {
  std::vector<Waiting> now;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    const Replica& r = vars_.at(it->op.var);
    auto t = it->token.seen.find(it->op.var);
    if (t == it->token.seen.end() || covers(r.vv, t->second)) {
      ctx_.cancel(it->timer);
      now.push_back(std::move(*it));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& w : now) {
    // The mode may have changed while it waited.
    submit(std::move(w.op), std::move(w.token), std::move(w.done));
  }
}

void VariablesService::on_writes(const std::string&, VarWrites&& m) {
  if (stopped_) return;
  for (auto& op : m.ops) receive(std::move(op));
  drain();
}

void VariablesService::push(const WriteOp& op, const Replica& r) {
  for (const auto& n : r.replicas) {
    if (n == ctx_.self()) continue;
    if (config_.flush_interval <= 0) {
      ctx_.send_msg(n, VarWrites{{op}});
      continue;
    }
    auto& q = outbox_[n];
    if (q.size() < config_.batch_ops_max) q.push_back(op);  // past the limit, anti-entropy carries it
    else node_.metrics().inc("var_outbox_overflow_total");
  }
  if (config_.flush_interval > 0 && !flush_armed_ && !outbox_.empty()) {
    flush_armed_ = true;
    ctx_.after(config_.flush_interval, [this] { flush(); });
  }
}

void VariablesService::flush() {
  flush_armed_ = false;
  auto out = std::move(outbox_);
  outbox_.clear();
  for (auto& [to, ops] : out)
    if (!ops.empty()) ctx_.send_msg(to, VarWrites{std::move(ops)});
}

VarDigest VariablesService::digest(bool reply) const {
  VarDigest d;
  d.reply = reply;
  for (const auto& [name, r] : vars_)
    if (!r.vv.empty()) d.vvs[name] = r.vv;
  return d;
}

void VariablesService::anti_entropy() {
  if (stopped_) return;
  ctx_.after(config_.anti_entropy_interval, [this] { anti_entropy(); });
  auto members = active_members();
  members.erase(std::remove(members.begin(), members.end(), ctx_.self()), members.end());
  if (members.empty()) return;
  const std::string& peer = members[ctx_.rng().below(members.size())];
  node_.metrics().inc("var_anti_entropy_rounds_total");
  ctx_.send_msg(peer, digest(false));
}

std::vector<std::string> VariablesService::transfer_set(const VarDigest& theirs, const std::vector<std::string>& need) const {
  std::vector<std::string> out = need;
  bool causal = false;
  for (const auto& name : need) causal = causal || vars_.at(name).spec.consistency == Consistency::causal;
  // A causal state is closed only together with the other causal variables it depends on.
  if (causal)
    for (const auto& [name, r] : vars_) {
      auto t = theirs.vvs.find(name);
      const bool lacks = t == theirs.vvs.end() ? !r.vv.empty() : !covers(t->second, r.vv);
      if (r.spec.consistency == Consistency::causal && lacks) out.push_back(name);
    }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void VariablesService::on_digest(const std::string& from, VarDigest&& m) {
  if (stopped_) return;
  static const VersionVector kEmpty;
  auto theirs_of = [&m](const std::string& name) -> const VersionVector& {
    auto it = m.vvs.find(name);
    return it == m.vvs.end() ? kEmpty : it->second;
  };
  // Variables the peer lacks writes of that are no longer kept here go as whole states.
  std::vector<std::string> need;
  bool lacking = false;
  for (const auto& [name, r] : vars_) {
    const VersionVector& theirs = theirs_of(name);
    for (const auto& [node, n] : r.vv) {
      const std::uint64_t have = count_of(theirs, node);
      auto kept = r.log.find(node);
      const std::uint64_t first = kept == r.log.end() ? n + 1 : kept->second.first;
      if (n > have && have + 1 < first) {
        need.push_back(name);
        break;
      }
    }
    if (!covers(r.vv, theirs)) lacking = true;
  }
  const std::vector<std::string> whole = transfer_set(m, need);
  if (!whole.empty()) {
    VarTransfer t;
    t.clock = hlc_.last(ctx_.self());
    for (const auto& name : whole) t.vars.push_back(snapshot_of(name, vars_.at(name)));
    node_.metrics().inc("var_state_transfers_sent_total");
    ctx_.send_msg(from, t);
  }
  VarWrites out;
  for (const auto& [name, r] : vars_) {
    if (std::binary_search(whole.begin(), whole.end(), name)) continue;
    const VersionVector& theirs = theirs_of(name);
    for (const auto& [node, n] : r.vv) {
      const std::uint64_t have = count_of(theirs, node);
      if (n <= have) continue;
      const WriterLog& kept = r.log.at(node);
      for (std::uint64_t s = have + 1; s <= n && out.ops.size() < config_.batch_ops_max; ++s)
        out.ops.push_back(kept.ops[s - kept.first]);
    }
  }
  if (!out.ops.empty()) {
    node_.metrics().inc("var_anti_entropy_writes_sent_total", static_cast<double>(out.ops.size()));
    ctx_.send_msg(from, out);
  }
  if (!m.reply && lacking) ctx_.send_msg(from, digest(true));
}

std::size_t VariablesService::kept_writes(const std::string& var) const {
  auto it = vars_.find(var);
  std::size_t n = 0;
  if (it != vars_.end())
    for (const auto& [node, kept] : it->second.log) n += kept.ops.size();
  return n;
}

std::string VariablesService::value_of(const std::string& var) const {
  auto it = vars_.find(var);
  return it == vars_.end() ? "null" : it->second.state.value_text();
}

VersionVector VariablesService::version_of(const std::string& var) const {
  auto it = vars_.find(var);
  return it == vars_.end() ? VersionVector{} : it->second.vv;
}

std::vector<std::string> VariablesService::replicas_of(const std::string& var) const {
  auto it = vars_.find(var);
  return it == vars_.end() ? std::vector<std::string>{} : it->second.replicas;
}

}  // namespace mabeam::vars
