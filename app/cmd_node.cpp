// `mabeam node`: one real node (real/real_node.h). Configuration comes from, in order of
// precedence: flags, MABEAM_* environment variables, the JSON config file (--config or
// MABEAM_CONFIG), then defaults. Prints "listening on HOST:PORT" (and "http on HOST:PORT")
// once bound, so scripts and tests can use port 0. Exit codes: 0 after a graceful stop
// (SIGTERM/SIGINT), 1 when a socket or the disk fails at start, 2 for bad configuration.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/commands.h"
#include "engine/duration.h"
#include "engine/node_setup.h"
#include "real/net_util.h"
#include "real/real_node.h"

namespace mabeam::app {

namespace {

// One setting as the three sources give it.
struct Setting {
  Setting(const char* k, const char* e) : key(k), env(e) {}
  const char* key;  // config-file key
  const char* env;  // environment variable
  std::string flag_value;
  bool from_flag = false;
};

int fail(const std::string& msg) {
  std::fprintf(stderr, "mabeam node: %s\n", msg.c_str());
  return 2;
}

std::string json_type(const nlohmann::json& j) {
  if (j.is_string()) return "a string";
  if (j.is_number()) return "a number";
  if (j.is_boolean()) return "a boolean";
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  return "null";
}

}  // namespace

int cmd_node(int argc, char** argv) {
  CLI::App app{"Run one real mabeam node: services over TCP, with HTTP endpoints.", "mabeam node"};
  Setting name{"name", "MABEAM_NAME"}, listen{"listen", "MABEAM_LISTEN"}, seeds{"seeds", "MABEAM_SEEDS"},
      cookie_file{"cookie_file", "MABEAM_COOKIE_FILE"}, http{"http", "MABEAM_HTTP"}, data_dir{"data_dir", "MABEAM_DATA_DIR"},
      trace{"trace", "MABEAM_TRACE"}, config{"config", "MABEAM_CONFIG"}, seed{"seed", "MABEAM_SEED"},
      portmap_interval{"portmap_interval", "MABEAM_PORTMAP_INTERVAL"}, handshake_timeout{"handshake_timeout", "MABEAM_HANDSHAKE_TIMEOUT"},
      frame_bytes_max{"frame_bytes_max", "MABEAM_FRAME_BYTES_MAX"}, api_token_file{"api_token_file", "MABEAM_API_TOKEN_FILE"},
      cluster_size{"cluster_size", "MABEAM_CLUSTER_SIZE"};
  Setting* all[] = {&name, &listen, &seeds, &cookie_file, &http, &data_dir, &trace, &config, &seed, &portmap_interval,
                    &handshake_timeout, &frame_bytes_max, &api_token_file, &cluster_size};
  bool trace_messages = false;
  app.add_option("--name", name.flag_value, "node name (A-Z a-z 0-9 . _ -, at most 64) [MABEAM_NAME]");
  app.add_option("--listen", listen.flag_value, "HOST:PORT to accept peers on; port 0 picks one [MABEAM_LISTEN]");
  app.add_option("--seeds", seeds.flag_value,
                 "comma-separated HOST:PORT of nodes, or NAME@HOST:PORT: node NAME, found through the port mapper at "
                 "HOST:PORT; membership joins through them (none: this node forms the cluster) [MABEAM_SEEDS]");
  app.add_option("--cookie-file", cookie_file.flag_value, "file holding the shared cookie; mode 600 [MABEAM_COOKIE_FILE]");
  app.add_option("--http", http.flag_value,
                 "HOST:PORT for /health, /ready, /metrics (open) and /status, /variables (need the API token) [MABEAM_HTTP]");
  app.add_option("--api-token-file", api_token_file.flag_value,
                 "file whose first line is the bearer token every endpoint but /health, /ready and /metrics needs; "
                 "mode 600, at least 16 bytes; without it those endpoints answer 403 [MABEAM_API_TOKEN_FILE]");
  app.add_option("--cluster-size", cluster_size.flag_value,
                 "the number of nodes the cluster is meant to have: a majority is counted against max(K, members "
                 "known and not left), so a lone node or half of an even split is read-only [MABEAM_CLUSTER_SIZE]");
  app.add_option("--data-dir", data_dir.flag_value, "directory for durable state (boot count, logs) [MABEAM_DATA_DIR]");
  app.add_option("--trace", trace.flag_value, "write a JSON Lines trace here [MABEAM_TRACE]");
  app.add_option("--config", config.flag_value, "JSON config file: the same keys, plus a `config` block for services, `variables` (declarations, as in a scenario), `capabilities` and `resources` [MABEAM_CONFIG]");
  app.add_option("--seed", seed.flag_value, "seed of the node's random source (default: from name, pid and time) [MABEAM_SEED]");
  app.add_flag("--trace-messages", trace_messages, "also trace msg_send and msg_recv");
  app.add_option("--portmap-interval", portmap_interval.flag_value, "port mapper renewal and listing period (default 1s)");
  app.add_option("--handshake-timeout", handshake_timeout.flag_value, "deadline of each handshake step (default 3s)");
  app.add_option("--frame-bytes-max", frame_bytes_max.flag_value, "largest frame accepted (default 16777216)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (Setting* s : all) {
    const std::string flag = std::string("--") + s->key;
    std::string dashed = flag;
    for (auto& c : dashed)
      if (c == '_') c = '-';
    s->from_flag = app.count(dashed) > 0;
  }

  // Where a setting comes from: flag, then environment, then config file.
  auto env_of = [](const Setting& s) -> std::optional<std::string> {
    const char* v = std::getenv(s.env);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  std::string config_path = config.from_flag ? config.flag_value : env_of(config).value_or("");
  nlohmann::json file = nlohmann::json::object();
  if (!config_path.empty()) {
    std::ifstream in(config_path);
    if (!in) return fail("config file " + config_path + ": cannot open");
    try {
      file = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      return fail("config file " + config_path + ": not JSON: " + e.what());
    }
    if (!file.is_object()) return fail("config file " + config_path + ": expected an object, found " + json_type(file));
    for (auto it = file.begin(); it != file.end(); ++it) {
      bool known = it.key() == "config" || it.key() == "trace_messages" || it.key() == "variables" ||
                   it.key() == "capabilities" || it.key() == "resources";
      for (Setting* s : all) known = known || (it.key() == s->key && it.key() != "config");
      if (!known) return fail("config file " + config_path + ": /" + it.key() + ": unknown key");
    }
  }
  std::string error;
  auto value_of = [&](const Setting& s) -> std::optional<std::string> {
    if (s.from_flag) return s.flag_value;
    if (auto v = env_of(s)) return v;
    auto it = file.find(s.key);
    if (it == file.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
    if (std::string(s.key) == "seeds" && it->is_array()) {
      std::string joined;
      for (const auto& e : *it) {
        if (!e.is_string()) {
          error = "config file " + config_path + ": /seeds: expected strings, found " + json_type(e);
          return std::nullopt;
        }
        joined += (joined.empty() ? "" : ",") + e.get<std::string>();
      }
      return joined;
    }
    error = "config file " + config_path + ": /" + s.key + ": expected a string, found " + json_type(*it);
    return std::nullopt;
  };

  real::RealNodeConfig cfg;
  auto v_name = value_of(name);
  auto v_listen = value_of(listen);
  auto v_seeds = value_of(seeds);
  auto v_cookie = value_of(cookie_file);
  auto v_http = value_of(http);
  auto v_data = value_of(data_dir);
  auto v_trace = value_of(trace);
  auto v_seed = value_of(seed);
  auto v_pm = value_of(portmap_interval);
  auto v_hs = value_of(handshake_timeout);
  auto v_fb = value_of(frame_bytes_max);
  auto v_token = value_of(api_token_file);
  auto v_size = value_of(cluster_size);
  if (!error.empty()) return fail(error);

  if (!v_name) return fail("--name is required (or MABEAM_NAME, or \"name\" in the config file)");
  cfg.name = *v_name;
  if (!real::valid_node_name(cfg.name)) return fail("--name \"" + cfg.name + "\": expected 1-64 characters of A-Z a-z 0-9 . _ -");
  if (!v_listen) return fail("--listen HOST:PORT is required (or MABEAM_LISTEN)");
  auto hp = real::parse_host_port(*v_listen);
  if (!hp) return fail("--listen: " + hp.status().message());
  cfg.listen = *hp;
  if (v_seeds) {
    auto s = real::parse_seeds(*v_seeds);
    if (!s) return fail("--seeds: " + s.status().message());
    cfg.seeds = *s;
  }
  if (!v_cookie) return fail("--cookie-file is required (or MABEAM_COOKIE_FILE)");
  auto cookie = real::read_cookie_file(*v_cookie);
  if (!cookie) return fail(cookie.status().message());
  cfg.cookie = *cookie;
  if (v_http) {
    auto h = real::parse_host_port(*v_http);
    if (!h) return fail("--http: " + h.status().message());
    cfg.http = *h;
  }
  if (v_token) {
    auto token = real::read_api_token_file(*v_token);
    if (!token) return fail(token.status().message());
    cfg.api_token = std::move(*token);
  }
  if (v_size) {
    try {
      std::size_t used = 0;
      const auto k = std::stoull(*v_size, &used);
      if (used != v_size->size() || k < 1 || k > 10000) throw std::out_of_range("range");
      cfg.cluster_size = static_cast<std::size_t>(k);
    } catch (const std::exception&) {
      return fail("--cluster-size: expected a node count from 1 to 10000, found \"" + *v_size + "\"");
    }
  }
  if (v_data) cfg.data_dir = *v_data;
  if (v_trace) cfg.trace_path = *v_trace;
  cfg.trace_messages = trace_messages || (file.contains("trace_messages") && file["trace_messages"].is_boolean() &&
                                          file["trace_messages"].get<bool>());
  if (v_seed) {
    try {
      std::size_t used = 0;
      cfg.seed = std::stoull(*v_seed, &used);
      if (used != v_seed->size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      return fail("--seed: expected an unsigned integer, found \"" + *v_seed + "\"");
    }
  }
  if (v_pm) {
    auto d = parse_duration(*v_pm);
    if (!d || *d < ms(10)) return fail("--portmap-interval: expected a duration of at least 10ms, found \"" + *v_pm + "\"");
    cfg.portmap_interval = *d;
  }
  if (v_hs) {
    auto d = parse_duration(*v_hs);
    if (!d || *d < ms(1)) return fail("--handshake-timeout: expected a duration like 3s, found \"" + *v_hs + "\"");
    cfg.transport.handshake_step_timeout = *d;
  }
  if (v_fb) {
    try {
      const auto n = std::stoull(*v_fb);
      if (n < 64 || n > (1ull << 31)) throw std::out_of_range("range");
      cfg.transport.frame_bytes_max = static_cast<std::size_t>(n);
    } catch (const std::exception&) {
      return fail("--frame-bytes-max: expected 64..2147483648, found \"" + *v_fb + "\"");
    }
  }
  // Without a `config` block the defaults apply (SWIM membership), as in a scenario.
  if (auto s = parse_node_config(file.value("config", nlohmann::json()), "/config", cfg.setup); !s)
    return fail("config file " + config_path + ": " + s.message());
  // Declared variables (the same `variables` array as a scenario's) and this node's own
  // capabilities and resources, gossiped with membership.
  if (auto s = vars::parse_variables_config(file, "", cfg.setup.variables); !s)
    return fail("config file " + config_path + ": " + s.message());
  // A strong variable is held by a Raft group whose voters every node must agree on.
  for (const auto& v : cfg.setup.variables.variables)
    if (v.consistency == vars::Consistency::strong && !cfg.setup.consensus.voters_set)
      return fail("config file " + config_path + ": strong variable \"" + v.name +
                  "\" needs /config/consensus/voters (the Raft group's initial voters, the same list on every node)");
  swim::NodeInfo info;
  if (auto s = parse_node_info(file, "", info); !s) return fail("config file " + config_path + ": " + s.message());
  cfg.setup.node_info[*v_name] = std::move(info);
  // Idle connections are closed well after the failure detector would have said `down`
  // (SWIM: a probe interval is at most a few seconds even with a poor local health score).
  const DurationUs detect_after = cfg.setup.detector == Detector::heartbeat
                                      ? cfg.setup.heartbeat.down_after
                                      : cfg.setup.membership.probe_interval * cfg.setup.membership.health_max;
  cfg.transport.idle_timeout = std::max<DurationUs>(sec(15), 4 * detect_after);

  if (cfg.cluster_size == 0)
    std::fprintf(stderr,
                 "mabeam node %s: warning: no --cluster-size: a majority is counted only against the members this "
                 "node has seen, so a node cut off early may believe it holds one\n",
                 cfg.name.c_str());
  real::RealNode node(std::move(cfg));
  if (auto s = node.open(); !s) {
    std::fprintf(stderr, "mabeam node: %s\n", s.message().c_str());
    return s.code() == Status::Code::invalid ? 2 : 1;
  }
  std::printf("listening on %s\n", node.advertised().c_str());
  if (node.http_port() != 0) {
    auto h = real::parse_host_port(v_http.value_or(""));
    std::printf("http on %s:%u\n", h ? h->host.c_str() : "?", unsigned{node.http_port()});
  }
  std::printf("node %s incarnation %llu seed %llu\n", v_name->c_str(), static_cast<unsigned long long>(node.incarnation()),
              static_cast<unsigned long long>(node.seed()));
  std::fflush(stdout);
  node.run();
  std::fprintf(stderr, "mabeam node %s: stopped\n", v_name->c_str());
  return 0;
}

}  // namespace mabeam::app
