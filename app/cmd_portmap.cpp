// `mabeam portmap --listen HOST:PORT`: the port mapper (real/portmap.h), a name -> address
// registry that nodes register with and look each other up in, like Erlang's EPMD. Prints
// "listening on HOST:PORT" once bound. Exit codes: 0 after SIGTERM/SIGINT, 1 cannot listen,
// 2 bad arguments.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "app/commands.h"
#include "engine/duration.h"
#include "real/net_util.h"
#include "real/portmap.h"

namespace mabeam::app {

int cmd_portmap(int argc, char** argv) {
  CLI::App app{"Run the mabeam port mapper: nodes register name -> address and find each other.", "mabeam portmap"};
  std::string listen = "127.0.0.1:4369";
  std::string ttl_max = "10m";
  std::size_t registrations_max = 4096;
  app.add_option("--listen", listen, "HOST:PORT to serve on; port 0 picks one")->capture_default_str();
  app.add_option("--ttl-max", ttl_max, "longest registration lifetime a node may ask for")->capture_default_str();
  app.add_option("--registrations-max", registrations_max, "most names held at once")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto hp = real::parse_host_port(listen);
  if (!hp) {
    std::fprintf(stderr, "mabeam portmap: --listen: %s\n", hp.status().message().c_str());
    return 2;
  }
  auto ttl = parse_duration(ttl_max);
  if (!ttl || *ttl < sec(1)) {
    std::fprintf(stderr, "mabeam portmap: --ttl-max: expected a duration of at least 1s, found \"%s\"\n", ttl_max.c_str());
    return 2;
  }
  real::PortmapConfig cfg;
  cfg.listen = *hp;
  cfg.ttl_max = *ttl;
  cfg.registrations_max = registrations_max;
  return real::run_portmap(cfg);
}

}  // namespace mabeam::app
