// Strong variables over the Raft group (see strong.h).
#include "engine/consensus/strong.h"

#include "engine/rng.h"
#include "engine/trace_event.h"

namespace mabeam::raft {

namespace {
constexpr std::size_t kExecutingMax = 65536;
constexpr std::size_t kPendingMax = 65536;

const char* f_of(StrongKind k) { return k == StrongKind::read ? "read" : k == StrongKind::write ? "write" : "cas"; }
}  // namespace

StrongVariables::StrongVariables(Node& node, std::vector<std::string> vars, std::uint64_t incarnation)
    : Service(node), vars_(vars.begin(), vars.end()), incarnation_(incarnation) {
  consensus_ = node.find<ConsensusService>();
  if (consensus_) consensus_->set_state_machine(this);
  node.route<StrongOpMsg>([this](const std::string& from, StrongOpMsg&& m) { on_op(from, std::move(m)); });
  node.route<StrongReplyMsg>([this](const std::string& from, StrongReplyMsg&& m) { on_reply(from, std::move(m)); });
}

void StrongVariables::start() {}

void StrongVariables::stop() { stopped_ = true; }

std::string StrongVariables::value_of(const std::string& var) const {
  auto it = state_.find(var);
  return it == state_.end() ? "null" : it->second.value;
}

// ---- the origin's side ----

std::int64_t StrongVariables::fresh_process() {
  const std::uint64_t base = fnv1a64(ctx_.self() + "#" + std::to_string(incarnation_)) & 0x7fffffffULL;
  return static_cast<std::int64_t>((base << 32) | next_process_++);
}

void StrongVariables::submit(StrongClientOp op, StrongDone done) {
  const std::uint64_t req = next_req_++;
  const std::string op_id = ctx_.self() + ":" + std::to_string(incarnation_) + ":" + std::to_string(next_op_++);
  if (ctx_.tracing()) {
    std::string value = "null";
    if (op.kind == StrongKind::write) value = op.value;
    if (op.kind == StrongKind::cas) value = "[" + op.expected + "," + op.value + "]";
    TraceEvent e("op_invoke");
    e.with("op", op_id);
    e.with("process", op.process);
    e.with("var", op.var);
    e.with("f", std::string(f_of(op.kind)));
    e.with("value", RawJson{std::move(value)});
    ctx_.emit(e);
  }
  Pending& p = pending_[req];
  p.req = req;
  p.op = std::move(op);
  p.op_id = op_id;
  p.done = std::move(done);
  node_.metrics().inc("strong_ops");
  if (!declares(p.op.var) || !consensus_) {
    complete(req, "fail", "null", consensus_ ? "\"" + p.op.var + "\" is not a strong variable" : "no consensus service");
    return;
  }
  if (pending_.size() > kPendingMax) {
    complete(req, "fail", "null", "too many operations waiting (" + std::to_string(kPendingMax) + ")");
    return;
  }
  if (p.op.kind == StrongKind::read && consensus_->config().bugs.stale_follower_reads && consensus_->running() &&
      consensus_->role() != Role::leader && consensus_->core().membership().is_member(ctx_.self())) {
    complete(req, "ok", value_of(p.op.var), "");  // the test-only bug: no ReadIndex
    return;
  }
  p.timeout = ctx_.after(consensus_->config().op_timeout, [this, req] { on_timeout(req); });
  attempt(req);
}

std::string StrongVariables::pick_target() {
  if (!consensus_->running()) {
    const auto& v = consensus_->config().voters;
    return v.empty() ? std::string() : v[ctx_.rng().below(v.size())];
  }
  if (!consensus_->leader().empty()) return consensus_->leader();
  std::vector<std::string> others;
  for (const auto& v : consensus_->core().membership().voters)
    if (v != ctx_.self()) others.push_back(v);
  return others.empty() ? std::string() : others[ctx_.rng().below(others.size())];
}

void StrongVariables::attempt(std::uint64_t req) {
  auto it = pending_.find(req);
  if (it == pending_.end() || stopped_) return;
  Pending& p = it->second;
  p.retry = 0;
  const std::string target = pick_target();
  if (target.empty()) {
    p.last_error = "no leader known";
    p.retry = ctx_.after(consensus_->config().heartbeat_interval, [this, req] { attempt(req); });
    return;
  }
  StrongOpMsg m;
  m.req = req;
  m.origin = ctx_.self();
  m.kind = p.op.kind;
  m.op_id = p.op_id;
  m.var = p.op.var;
  m.value = p.op.value;
  m.expected = p.op.expected;
  if (p.op.kind != StrongKind::read) p.maybe_proposed = true;
  p.in_flight = true;
  if (target == ctx_.self())
    execute(m);
  else
    ctx_.send_msg(target, m);
}

void StrongVariables::on_timeout(std::uint64_t req) {
  auto it = pending_.find(req);
  if (it == pending_.end()) return;
  it->second.timeout = 0;
  const Pending& p = it->second;
  if (p.maybe_proposed)
    complete(req, "info", "null", "no answer within op_timeout; it may or may not have taken effect");
  else
    complete(req, "fail", "null", "nothing was proposed within op_timeout: " + (p.last_error.empty() ? "no answer" : p.last_error));
}

void StrongVariables::complete(std::uint64_t req, const std::string& type, const std::string& value, const std::string& error) {
  auto it = pending_.find(req);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.timeout) ctx_.cancel(p.timeout);
  if (p.retry) ctx_.cancel(p.retry);
  std::string shown = "null";
  if (p.op.kind == StrongKind::read && type == "ok") shown = value;
  if (p.op.kind == StrongKind::write) shown = p.op.value;
  if (p.op.kind == StrongKind::cas) shown = "[" + p.op.expected + "," + p.op.value + "]";
  node_.metrics().inc("strong_ops_" + type);
  if (ctx_.tracing()) {
    TraceEvent e("op_complete");
    e.with("op", p.op_id).with("type", type).with("value", RawJson{shown});
    if (!error.empty()) e.with("error", error);
    ctx_.emit(e);
  }
  if (p.done) p.done(StrongResult{type, value, error});
}

void StrongVariables::on_reply(const std::string&, StrongReplyMsg&& m) {
  auto it = pending_.find(m.req);
  if (it == pending_.end()) return;  // answered already (timed out)
  Pending& p = it->second;
  switch (m.outcome) {
    case StrongOutcome::ok: complete(m.req, "ok", m.value, ""); return;
    case StrongOutcome::fail: complete(m.req, "fail", m.value, m.reason); return;
    case StrongOutcome::refused:
      // That attempt proposed nothing, and it was the only one out: try again shortly.
      p.in_flight = false;
      p.maybe_proposed = false;
      p.last_error = m.reason;
      if (!p.retry) p.retry = ctx_.after(consensus_->config().heartbeat_interval, [this, req = m.req] { attempt(req); });
      return;
  }
}

// ---- the leader's side ----

void StrongVariables::answer(const std::string& origin, std::uint64_t req, StrongOutcome o, const std::string& value,
                             const std::string& reason) {
  StrongReplyMsg r;
  r.req = req;
  r.outcome = o;
  r.value = value;
  r.reason = reason;
  if (consensus_ && consensus_->running()) r.leader = consensus_->leader();
  if (origin == ctx_.self())
    on_reply(origin, std::move(r));
  else
    ctx_.send_msg(origin, r);
}

void StrongVariables::on_op(const std::string&, StrongOpMsg&& m) { execute(m); }

void StrongVariables::execute(const StrongOpMsg& m) {
  if (!consensus_ || !consensus_->running()) {
    answer(m.origin, m.req, StrongOutcome::refused, "", "consensus is not running on " + ctx_.self());
    return;
  }
  if (consensus_->role() != Role::leader) {
    const std::string leader = consensus_->leader();
    if (!leader.empty() && leader != ctx_.self() && m.hops < 1) {
      StrongOpMsg fwd = m;
      fwd.hops += 1;
      ctx_.send_msg(leader, fwd);
      return;
    }
    answer(m.origin, m.req, StrongOutcome::refused, "", ctx_.self() + " is not the leader" + (leader.empty() ? std::string(" and knows none") : ""));
    return;
  }
  if (proposals_.size() + reads_.size() >= kExecutingMax) {
    answer(m.origin, m.req, StrongOutcome::refused, "", "too many operations in flight at the leader");
    return;
  }
  Executing ex{m.origin, m.req, consensus_->term(), m.kind, m.var};
  if (m.kind == StrongKind::read) {
    const std::uint64_t id = next_read_++;
    reads_[id] = ex;  // before asking: a lease read is confirmed inside the call
    if (auto s = consensus_->read_index(id); !s) {
      reads_.erase(id);
      answer(m.origin, m.req, StrongOutcome::refused, "", s.message());
    }
    return;
  }
  Command c{m.origin, m.req, ctx_.self(), m.kind, m.op_id, m.var, m.value, m.expected};
  auto idx = consensus_->propose(c.encode());
  if (!idx) {
    answer(m.origin, m.req, StrongOutcome::refused, "", idx.status().message());
    return;
  }
  proposals_[*idx] = ex;
}

void StrongVariables::apply(const Entry& e) {
  Command c;
  if (!Command::decode(e.data, c)) {
    node_.metrics().inc("strong_bad_commands");
    return;
  }
  Value& v = state_[c.var];
  bool took = true;
  std::string found = v.value;
  if (c.kind == StrongKind::cas && v.value != c.expected) took = false;
  if (took) {
    v = Value{c.value, c.op_id, e.index};
    if (ctx_.tracing())
      ctx_.emit(TraceEvent("op_apply").with("var", c.var).with("index", e.index).with("op", c.op_id).with("value", RawJson{c.value}));
  }
  auto it = proposals_.find(e.index);
  if (it != proposals_.end()) {
    const Executing ex = it->second;
    proposals_.erase(it);
    if (c.executor == ctx_.self() && c.origin == ex.origin && c.req == ex.req)
      answer(ex.origin, ex.req, took ? StrongOutcome::ok : StrongOutcome::fail, took ? c.value : found,
             took ? "" : "cas: expected " + c.expected + ", found " + found);
    else
      answer(ex.origin, ex.req, StrongOutcome::fail, "", "the entry was replaced by another leader's");
  }
  serve_reads();
}

void StrongVariables::on_read(const ReadState& rs) {
  auto it = reads_.find(rs.id);
  if (it == reads_.end()) return;
  reads_ready_.emplace_back(rs, it->second);
  reads_.erase(it);
  serve_reads();
}

void StrongVariables::serve_reads() {
  if (!consensus_) return;
  for (auto it = reads_ready_.begin(); it != reads_ready_.end();) {
    if (it->first.index > consensus_->applied()) {
      ++it;
      continue;
    }
    const Executing ex = it->second;
    it = reads_ready_.erase(it);
    answer(ex.origin, ex.req, StrongOutcome::ok, value_of(ex.var), "");
  }
}

void StrongVariables::on_role(Role role, Term) {
  if (role == Role::leader) return;
  // Reads not yet confirmed will not be: nothing was proposed for them, the origin retries.
  auto reads = std::move(reads_);
  reads_.clear();
  for (const auto& [id, ex] : reads) answer(ex.origin, ex.req, StrongOutcome::refused, "", "leadership lost");
}

void StrongVariables::reset() {
  // Proposals and reads of the dropped core: their origins time out (info, or fail for reads).
  state_.clear();
  proposals_.clear();
  reads_.clear();
  reads_ready_.clear();
  if (ctx_.tracing()) ctx_.emit(TraceEvent("strong_state").with("index", std::int64_t{0}).with("vars", RawJson{"{}"}));
}

// ---- snapshots ----

Bytes StrongVariables::snapshot() const {
  Writer w;
  w.varint(state_.size());
  for (const auto& [name, v] : state_) {
    w.str(name);
    w.str(v.value);
    w.str(v.op);
    w.varint(v.index);
  }
  return w.take();
}

Status StrongVariables::restore(const Bytes& data, Index index) {
  Reader r(data);
  std::size_t n = 0;
  std::map<std::string, Value> out;
  if (!r.count(n, 4)) return Status::corrupt("strong variables snapshot: " + r.error());
  for (std::size_t i = 0; i < n; ++i) {
    std::string name;
    Value v;
    if (!r.str(name, 256) || !r.str(v.value, kStrongValueBytesMax) || !r.str(v.op, 256) || !r.varint(v.index))
      return Status::corrupt("strong variables snapshot: " + r.error());
    out[name] = std::move(v);
  }
  if (!r.at_end()) return Status::corrupt("strong variables snapshot: trailing bytes");
  state_ = std::move(out);
  // Proposals at or below the snapshot cannot be told apart any more: their origins time out.
  proposals_.erase(proposals_.begin(), proposals_.upper_bound(index));
  if (ctx_.tracing()) {
    std::string vars = "{";
    for (const auto& [name, v] : state_) {
      if (vars.size() > 1) vars += ",";
      append_json_string(vars, name);
      vars += ":{\"value\":" + v.value + ",\"op\":";
      append_json_string(vars, v.op);
      vars += ",\"index\":" + std::to_string(v.index) + "}";
    }
    vars += "}";
    ctx_.emit(TraceEvent("strong_state").with("index", index).with("vars", RawJson{vars}));
  }
  return Status::ok();
}

}  // namespace mabeam::raft
