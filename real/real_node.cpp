// The node daemon: assembly, lifecycle and endpoints (see real_node.h).
#include "real/real_node.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/heartbeat.h"
#include "engine/membership/membership.h"
#include "engine/variables/partition_guard.h"
#include "engine/agents/service.h"
#include "real/agents_http.h"
#include "engine/quorum_view.h"
#include "real/api_auth.h"
#include "real/asio_context.h"
#include "real/file_storage.h"
#include "real/http_server.h"
#include "real/portmap.h"
#include "real/consensus_http.h"
#include "real/variables_http.h"

namespace mabeam::real {

namespace asio = boost::asio;

// ---- seeds ----
// SWIM membership joins through seed *names*, as in the simulator (join attempts with
// backoff, `join_failed` after join_timeout). A `name@mapper-host:port` seed gives the name.
// A `host:port` seed's name is learned only at its handshake: until then membership holds it
// under its address (node names cannot contain ':'), which keeps the node from forming a
// cluster on its own; once the handshake names the node behind it, Membership::add_peer
// joins through that name. Messages to such an address-named seed go nowhere.
namespace {

class SeedAddressSink final : public MessageSink {
 public:
  explicit SeedAddressSink(MessageSink& next) : next_(next) {}
  void send(const std::string& to, const MessageType& type, Bytes message) override {
    if (to.find(':') != std::string::npos) return;  // a seed not named yet: its handshake will join
    next_.send(to, type, std::move(message));
  }

 private:
  MessageSink& next_;
};

// Whether a host:port seed is this node's own listener (a seed list shared by every node, as
// a StatefulSet's is, names it too). Decided without DNS: the same port, and the same host,
// or a loopback address while this node listens on loopback or on every interface.
bool seed_is_self(const HostPort& seed, const HostPort& listen, std::uint16_t bound_port) {
  if (seed.port != bound_port) return false;
  if (seed.host == listen.host) return true;
  auto loopback = [](const std::string& h) { return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0; };
  const bool any = listen.host == "0.0.0.0" || listen.host == "::";
  return loopback(seed.host) && (any || loopback(listen.host));
}

// The seeds SWIM membership joins through, unless the config file names them itself.
void give_membership_seeds(RealNodeConfig& cfg, std::uint16_t bound_port) {
  MembershipConfig& m = cfg.setup.membership;
  if (cfg.setup.detector != Detector::swim || m.seeds_set || cfg.seeds.empty()) return;
  for (const auto& s : cfg.seeds) {
    if (s.name.empty() && seed_is_self(s.addr, cfg.listen, bound_port)) continue;
    m.seeds.push_back(s.name.empty() ? s.addr.str() : s.name);
  }
  m.seeds_set = true;
}

}  // namespace

struct RealNode::Impl {
  explicit Impl(RealNodeConfig c) : cfg(std::move(c)), work(asio::make_work_guard(io)), auth(cfg.api_token) {}

  void start();
  void graceful_stop();

  RealNodeConfig cfg;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<AsioContext> ctx;
  std::unique_ptr<Node> node;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<MessageSink> seed_sink;  // in front of the transport (see "seeds")
  std::unique_ptr<HttpServer> http;
  std::vector<std::unique_ptr<PortmapClient>> mappers;
  std::unique_ptr<asio::signal_set> signals;
  std::uint64_t incarnation = 0;
  std::uint64_t seed = 0;
  ApiAuth auth;
  bool stopping = false;
  bool started = false;
};

void RealNode::Impl::start() {
  started = true;
  ctx->trace(TraceEvent("node_start").with("incarnation", incarnation).with("addr", transport->advertised()));
  node->start();
  for (const auto& s : cfg.seeds) {
    if (!s.name.empty()) continue;
    transport->add_seed(s.addr);
  }
  // Every port mapper named by a name@host:port seed: register there and list the others.
  std::set<std::string> seen;
  for (const auto& s : cfg.seeds) {
    if (s.name.empty() || !seen.insert(s.addr.str()).second) continue;
    auto client = std::make_unique<PortmapClient>(io, s.addr, cfg.name, transport->advertised(), cfg.portmap_interval,
                                                  [this](const std::vector<std::pair<std::string, std::string>>& nodes) {
                                                    for (const auto& [name, addr] : nodes) transport->learn(name, addr);
                                                  });
    client->start();
    mappers.push_back(std::move(client));
  }
  if (signals) {
    signals->async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      std::fprintf(stderr, "mabeam node %s: signal %d: leaving the cluster\n", cfg.name.c_str(), sig);
      graceful_stop();
    });
  }
}

void RealNode::Impl::graceful_stop() {
  if (stopping) return;
  stopping = true;
  if (started) node->stop();  // the detector sends Leave to every peer
  for (auto& m : mappers) m->stop();
  transport->flush(cfg.leave_flush_timeout, [this] {
    transport->close();
    if (http) http->close();
    if (signals) {
      boost::system::error_code ec;
      signals->cancel(ec);
    }
    ctx->flush_trace();
    work.reset();
    io.stop();
  });
}

namespace {
std::string prom_name(const std::string& raw) {
  std::string out = "mabeam_";
  for (char c : raw) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(ok ? c : '_');
  }
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string number(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct PromWriter {
  std::string out;
  std::set<std::string> names;
  bool family(const std::string& name, const char* type, const std::string& help) {
    if (!names.insert(name).second) return false;
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    return true;
  }
  void sample(const std::string& name, const std::string& labels, double v) {
    out += name;
    if (!labels.empty()) out += "{" + labels + "}";
    out += " " + number(v) + "\n";
  }
  void one(const std::string& name, const char* type, const std::string& help, double v) {
    if (family(name, type, help)) sample(name, "", v);
  }
};
}  // namespace

std::pair<int, std::string> RealNode::readiness() {
  Impl& s = *impl_;
  if (s.stopping) return {503, "leaving the cluster\n"};
  auto* view = s.node->find<MembershipView>();
  // SWIM knows whether this node has joined (a seed or peer answered; a node without seeds
  // forms the cluster at once); the heartbeat detector has no join, so a node with seeds is
  // joined once it sees an active peer.
  if (auto* swim = s.node->find<Membership>()) {
    if (!swim->joined()) return {503, "not joined: no seed has answered yet\n"};
  } else if (!s.cfg.seeds.empty() && view) {
    const auto members = view->members();
    const bool peer = std::any_of(members.begin(), members.end(), [&](const MemberInfo& m) {
      return m.name != s.cfg.name && m.state == MemberState::active;
    });
    if (!peer) return {503, "not joined: no active peer yet\n"};
  }
  // The majority rule is the partition guard's, and only its.
  if (auto* guard = s.node->find<QuorumView>(); guard && guard->readonly())
    return {503, "readonly: " + guard->why() + "\n"};
  return {200, "ready\n"};
}

std::string RealNode::status_json() {
  Impl& s = *impl_;
  nlohmann::json j;
  j["node"] = s.cfg.name;
  const auto* guard = s.node->find<QuorumView>();
  j["mode"] = guard && guard->readonly() ? "readonly" : "normal";
  if (guard) j["quorum"] = {{"reachable", guard->reachable()}, {"cluster", guard->cluster_size()}};
  j["incarnation"] = s.incarnation;
  // The membership service's view (members reaped after reap_after are gone from it), plus
  // peers the transport knows that membership has not heard of yet.
  std::map<std::string, MemberInfo> view;
  if (auto* mv = s.node->find<MembershipView>())
    for (auto& mi : mv->members()) view[mi.name] = std::move(mi);
  auto known = [&view](const std::string& name, MemberState state, std::uint64_t incarnation) {
    if (view.count(name)) return;
    MemberInfo& m = view[name];
    m.name = name;
    m.state = state;
    m.incarnation = incarnation;
  };
  known(s.cfg.name, MemberState::active, s.incarnation);
  for (const auto& p : s.transport->peers()) known(p.name, MemberState::joining, 0);
  nlohmann::json members = nlohmann::json::array();
  for (const auto& [name, m] : view) {
    nlohmann::json e;
    e["name"] = name;
    e["addr"] = name == s.cfg.name ? s.transport->advertised() : s.transport->addr_of(name);
    e["state"] = to_string(m.state);
    e["incarnation"] = m.incarnation;
    if (!m.capabilities.empty()) e["capabilities"] = m.capabilities;
    if (!m.resources.empty()) e["resources"] = m.resources;
    e["load"] = m.load;
    e["agents"] = m.agents;
    members.push_back(std::move(e));
  }
  j["members"] = std::move(members);
  if (!s.cfg.setup.variables.variables.empty()) j["variables"] = variables_status(*s.node, s.cfg.setup.variables.variables);
  if (s.node->find<agents::AgentService>()) j["agents"] = agents_status(*s.node);
  add_consensus_status(*s.node, j);
  return j.dump() + "\n";
}

std::string RealNode::metrics_text() {
  Impl& s = *impl_;
  PromWriter w;
  w.one("mabeam_up", "gauge", "1 while the node process serves.", 1);
  w.one("mabeam_ready", "gauge", "1 when the node is joined and in the majority.", readiness().first == 200 ? 1 : 0);
  w.one("mabeam_incarnation", "gauge", "Boot count of this node; grows at every restart.", static_cast<double>(s.incarnation));
  std::map<std::string, int> by_state{{"joining", 0}, {"active", 0}, {"suspect", 0}, {"down", 0}, {"leaving", 0}, {"left", 0}};
  if (auto* mv = s.node->find<MembershipView>())
    for (const auto& m : mv->members())
      if (m.name != s.cfg.name) ++by_state[to_string(m.state)];
  if (const auto* guard = s.node->find<QuorumView>()) {
    w.one("mabeam_readonly", "gauge", "1 while the partition guard holds this node read-only (no majority).",
          guard->readonly() ? 1 : 0);
    w.one("mabeam_quorum_reachable", "gauge", "Nodes this node counts as reachable, itself included.",
          static_cast<double>(guard->reachable()));
    w.one("mabeam_quorum_cluster", "gauge", "The cluster size a majority is counted against.",
          static_cast<double>(guard->cluster_size()));
  }
  const ApiAuth::Counters& a = s.auth.counters();
  if (w.family("mabeam_http_auth_failures_total", "counter", "Requests refused for a missing or wrong API token.")) {
    w.sample("mabeam_http_auth_failures_total", "reason=\"missing\"", static_cast<double>(a.missing));
    w.sample("mabeam_http_auth_failures_total", "reason=\"wrong\"", static_cast<double>(a.wrong));
  }
  w.one("mabeam_http_auth_throttled_total", "counter", "Requests answered 429 after repeated failures from one address.",
        static_cast<double>(a.throttled));
  w.one("mabeam_http_auth_unconfigured_total", "counter", "Requests answered 403 because no API token is configured.",
        static_cast<double>(a.unconfigured));
  if (w.family("mabeam_members", "gauge", "Peers this node knows, by the state it believes they are in."))
    for (const auto& [state, n] : by_state) w.sample("mabeam_members", "state=\"" + state + "\"", n);

  const TransportStats& t = s.transport->stats();
  auto c = [&](const char* name, const char* help, std::uint64_t v) { w.one(name, "counter", help, static_cast<double>(v)); };
  c("mabeam_transport_frames_sent_total", "Frames written to peers.", t.frames_sent);
  c("mabeam_transport_frames_received_total", "Frames read from peers.", t.frames_received);
  c("mabeam_transport_bytes_sent_total", "Bytes written to peer connections.", t.bytes_sent);
  c("mabeam_transport_bytes_received_total", "Bytes read from peer connections.", t.bytes_received);
  c("mabeam_transport_messages_sent_total", "Engine messages queued for peers.", t.messages_sent);
  c("mabeam_transport_messages_received_total", "Engine messages received from peers.", t.messages_received);
  c("mabeam_transport_handshakes_total", "Handshakes completed.", t.handshakes_ok);
  c("mabeam_transport_handshake_failures_total", "Handshakes failed (bad cookie, version, timeout, bad bytes).", t.handshake_failures);
  c("mabeam_transport_connections_accepted_total", "Inbound connections accepted.", t.connections_accepted);
  c("mabeam_transport_connections_dialed_total", "Outbound connections attempted.", t.connections_dialed);
  c("mabeam_transport_connections_closed_total", "Connections closed, for any reason.", t.connections_closed);
  c("mabeam_transport_connections_refused_total", "Inbound connections refused over the connection limit.", t.connections_refused);
  c("mabeam_transport_dial_failures_total", "Outbound connection attempts that failed to connect.", t.dial_failures);
  c("mabeam_transport_dials_refused_total", "Outbound connection attempts refused by the peer's host (nothing listening).",
    t.dials_refused);
  c("mabeam_transport_corrupt_connections_total", "Connections dropped for undecodable bytes.", t.corrupt_connections);
  c("mabeam_transport_oversized_frames_total", "Connections dropped for a frame over the size limit.", t.oversized_frames);
  if (w.family("mabeam_transport_dropped_messages_total", "counter", "Messages shed, by reason.")) {
    w.sample("mabeam_transport_dropped_messages_total", "reason=\"queue_full\"", static_cast<double>(t.dropped_queue_full));
    w.sample("mabeam_transport_dropped_messages_total", "reason=\"no_route\"", static_cast<double>(t.dropped_no_route));
    w.sample("mabeam_transport_dropped_messages_total", "reason=\"too_large\"", static_cast<double>(t.dropped_too_large));
    w.sample("mabeam_transport_dropped_messages_total", "reason=\"undecodable\"", static_cast<double>(t.dropped_undecodable));
  }
  if (const auto* a = s.node->find<agents::AgentService>()) {
    w.one("mabeam_agents", "gauge", "Agents hosted by this node.", static_cast<double>(a->agents().size()));
    w.one("mabeam_agent_mailbox_depth", "gauge", "Messages waiting in this node's agents' mailboxes.",
          static_cast<double>(a->mailbox_depth()));
  }
  w.one("mabeam_transport_connections", "gauge", "Open connections, handshaking or established.", static_cast<double>(t.connections_open));
  w.one("mabeam_transport_peers_connected", "gauge", "Peers with an established connection.", static_cast<double>(t.peers_connected));

  for (const auto& [name, v] : s.node->metrics().counters()) {
    std::string n = prom_name(name);
    if (!ends_with(n, "_total")) n += "_total";
    w.one(n, "counter", "Node counter " + name + ".", v);
  }
  for (const auto& [name, v] : s.node->metrics().gauges()) {
    std::string n = prom_name(name);
    if (ends_with(n, "_total")) n.resize(n.size() - 6);
    w.one(n, "gauge", "Node gauge " + name + ".", v);
  }
  return w.out;
}

RealNode::RealNode(RealNodeConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

RealNode::~RealNode() {
  Impl& s = *impl_;
  // Close sockets before the objects that their handlers refer to go away.
  s.mappers.clear();
  if (s.http) s.http->close();
  if (s.transport) s.transport->close();
  s.node.reset();
  s.transport.reset();
}

Status RealNode::open() {
  Impl& s = *impl_;
  RealNodeConfig& cfg = s.cfg;
  if (!valid_node_name(cfg.name)) return Status::invalid("node name \"" + cfg.name + "\": expected 1-64 characters of A-Z a-z 0-9 . _ -");
  if (cfg.cookie.empty()) return Status::invalid("no cookie");
  if (!cfg.data_dir.empty()) {
    auto fs = FileStorage::open(cfg.data_dir);
    if (!fs) return fs.status();
    (*fs)->attach(s.io);  // fsyncs on a worker thread, completions on the node's thread
    s.storage = std::move(*fs);
    auto boots = record_boot(*s.storage);
    if (!boots) return Status::io_error("data dir " + cfg.data_dir + ": " + boots.status().message());
    s.incarnation = *boots;
  } else {
    auto mem = std::make_unique<MemoryStorage>();
    mem->attach(s.io);
    s.storage = std::move(mem);
    // No disk to count boots on: the wall clock in seconds still grows from one run to the next.
    s.incarnation = static_cast<std::uint64_t>(std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()));
  }
  s.seed = cfg.seed ? *cfg.seed : fresh_seed(cfg.name);
  s.ctx = std::make_unique<AsioContext>(s.io, cfg.name, s.seed, *s.storage);
  if (!cfg.trace_path.empty())
    if (auto st = s.ctx->open_trace(cfg.trace_path, {cfg.name}, cfg.trace_messages); !st) return st;
  s.node = std::make_unique<Node>(*s.ctx);
  s.ctx->set_node(s.node.get());
  cfg.transport.name = cfg.name;
  cfg.transport.cookie = cfg.cookie;
  cfg.transport.listen = cfg.listen;
  s.transport = std::make_unique<Transport>(s.io, *s.ctx, *s.node, cfg.transport);
  s.seed_sink = std::make_unique<SeedAddressSink>(*s.transport);
  s.ctx->set_sink(s.seed_sink.get());
  Node* node = s.node.get();
  s.transport->on_peer_up([node](const std::string& peer) {
    if (auto* view = node->find<MembershipView>()) view->add_peer(peer);
  });
  // A closed connection is a strong hint (a killed process closes its sockets at once), but
  // only a hint: membership probes the peer now and its protocol decides.
  s.transport->on_peer_down([node](const std::string& peer) {
    if (auto* view = node->find<MembershipView>()) view->hint_unreachable(peer);
  });
  // A refused dial is evidence that no process listens there; membership weighs it.
  s.transport->on_peer_refused([node](const std::string& peer) {
    if (auto* view = node->find<MembershipView>()) view->hint_refused(peer);
  });
  if (auto st = s.transport->listen(); !st) return st;
  if (cfg.http) {
    s.http = std::make_unique<HttpServer>(s.io, *cfg.http, [this](const HttpRequest& req, const HttpResponder& reply) {
      Impl& s = *impl_;
      const std::string path = req.target.substr(0, req.target.find('?'));
      if (auto d = s.auth.check(path, req.authorization, req.peer, s.ctx->now()); d.status != 200) {
        HttpResponse r{d.status, "text/plain; charset=utf-8", d.why + "\n"};
        if (d.status == 401) r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"mabeam\""});
        if (d.status == 429) r.headers.push_back({"Retry-After", std::to_string(ApiAuth::kBlockFor / sec(1))});
        return reply(std::move(r));
      }
      if (is_variables_path(path)) return serve_variables(*s.node, s.cfg.setup.variables.variables, req, reply);
      if (is_agents_path(path)) return serve_agents(*s.node, req, reply);
      if (is_consensus_path(path)) return serve_consensus(*s.node, req, reply);
      if (req.method != "GET") return reply(HttpResponse{405, "text/plain; charset=utf-8", "method not allowed: " + path + " takes GET\n"});
      if (path == "/health") return reply(HttpResponse{200, "text/plain; charset=utf-8", "ok\n"});
      if (path == "/ready") {
        auto [code, why] = readiness();
        return reply(HttpResponse{code, "text/plain; charset=utf-8", why});
      }
      if (path == "/metrics") return reply(HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_text()});
      if (path == "/status") return reply(HttpResponse{200, "application/json", status_json()});
      reply(HttpResponse{404, "text/plain; charset=utf-8", "not found: try /health, /ready, /metrics, /status, /variables, /consensus or /agents\n"});
    });
    if (auto st = s.http->listen(); !st) return st;
  }
  give_membership_seeds(cfg, s.transport->local_port());
  // The partition guard always runs on a real node (its mode is /status's and /ready's), and
  // counts a majority against this node, its named seeds and every member it hears of, and
  // never fewer than --cluster-size.
  cfg.setup.variables.guard = true;
  cfg.setup.variables.cluster = {cfg.name};
  cfg.setup.variables.cluster_size = cfg.cluster_size;
  for (const auto& seed : cfg.setup.membership.seeds)
    if (seed.find(':') == std::string::npos) cfg.setup.variables.cluster.push_back(seed);
  // Every real node hosts agents (names need config.agents.sequencer until consensus binds the registry).
  cfg.setup.agents.enabled = true;
  if (cfg.install_services) install_services(*s.node, cfg.setup, s.incarnation);
  if (cfg.handle_signals) s.signals = std::make_unique<asio::signal_set>(s.io, SIGINT, SIGTERM);
  return Status::ok();
}

std::uint16_t RealNode::listen_port() const { return impl_->transport ? impl_->transport->local_port() : 0; }
std::uint16_t RealNode::http_port() const { return impl_->http ? impl_->http->local_port() : 0; }
std::string RealNode::advertised() const { return impl_->transport ? impl_->transport->advertised() : std::string(); }
std::uint64_t RealNode::incarnation() const { return impl_->incarnation; }
std::uint64_t RealNode::seed() const { return impl_->seed; }
Node& RealNode::node() { return *impl_->node; }
Transport& RealNode::transport() { return *impl_->transport; }

void RealNode::run() {
  Impl& s = *impl_;
  asio::post(s.io, [&s] { s.start(); });
  s.io.run();
}

void RealNode::request_stop() {
  Impl& s = *impl_;
  asio::post(s.io, [&s] { s.graceful_stop(); });
}

void RealNode::call(const std::function<void()>& fn) {
  std::promise<void> done;
  asio::post(impl_->io, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace mabeam::real
