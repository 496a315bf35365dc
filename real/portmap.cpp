// The port mapper: registry, server and node-side client (see portmap.h).
#include "real/portmap.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <set>

#include "real/accept_backoff.h"
#include "real/asio_context.h"
#include "real/tcp_listen.h"

namespace mabeam::real {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const auto sp = line.find(' ');
    if (sp != 0) out.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
    if (out.size() > 8) break;
  }
  return out;
}
}  // namespace

PortmapTable::Reply PortmapTable::handle(std::string_view line, TimeUs now, const std::string& caller_ip) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  for (char c : line)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return {"ERR bad character\n", true};
  expire(now);
  const auto w = split_words(line);
  if (w.empty()) return {"ERR empty request\n", true};
  const std::string_view cmd = w[0];
  if (cmd == "REGISTER" && w.size() == 4) {
    const std::string name(w[1]);
    if (!valid_node_name(name)) return {"ERR bad name\n", true};
    auto hp = parse_host_port(w[2]);
    if (!hp || hp->port == 0) return {"ERR bad address\n", true};
    if (hp->host == "0.0.0.0" || hp->host == "::") hp->host = caller_ip;
    std::int64_t ttl_ms = 0;
    auto [p, ec] = std::from_chars(w[3].data(), w[3].data() + w[3].size(), ttl_ms);
    if (ec != std::errc() || p != w[3].data() + w[3].size() || ttl_ms <= 0) return {"ERR bad ttl\n", true};
    const DurationUs ttl = std::min<DurationUs>(ms(std::min<std::int64_t>(ttl_ms, 1'000'000'000)), ttl_max_);
    if (!entries_.count(name) && entries_.size() >= registrations_max_) return {"ERR registry full\n", true};
    entries_[name] = Entry{hp->str(), now + ttl};
    return {"OK\n"};
  }
  if (cmd == "UNREGISTER" && w.size() == 2) {
    entries_.erase(std::string(w[1]));
    return {"OK\n"};
  }
  if (cmd == "LOOKUP" && w.size() == 2) {
    const std::string name(w[1]);
    if (!valid_node_name(name)) return {"ERR bad name\n", true};
    auto it = entries_.find(name);
    if (it == entries_.end()) return {"NOTFOUND " + name + "\n"};
    return {"FOUND " + name + " " + it->second.addr + "\n"};
  }
  if (cmd == "LIST" && w.size() == 1) {
    Reply r;
    for (const auto& [name, e] : entries_) r.text += "NODE " + name + " " + e.addr + "\n";
    r.text += "END\n";
    return r;
  }
  if (cmd == "QUIT" && w.size() == 1) return {"BYE\n", true};
  return {"ERR unknown request\n", true};
}

void PortmapTable::expire(TimeUs now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires <= now) it = entries_.erase(it);
    else ++it;
  }
}

// ---- server ----

namespace {
struct Server;

struct Session : std::enable_shared_from_this<Session> {
  Session(Server& s, tcp::socket sock_) : server(s), sock(std::move(sock_)), timer(sock.get_executor()) {}
  void start();
  void read_line();
  void finish();
  Server& server;
  tcp::socket sock;
  asio::steady_timer timer;
  std::string in;
  std::string out;
  std::string caller_ip;
  bool closed = false;
};

struct Server {
  Server(asio::io_context& io_, const PortmapConfig& cfg_)
      : io(io_), cfg(cfg_), acceptor(io_), table(cfg_.registrations_max, cfg_.ttl_max) {}
  void accept() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) return retry_accept_later(ec);
      accept_backoff.succeeded();
      if (sessions.size() >= cfg.connections_max) {
        error_code ignored;
        s.close(ignored);
      } else {
        auto session = std::make_shared<Session>(*this, std::move(s));
        sessions.insert(session);
        session->start();
      }
      accept();
    });
  }
  // Out of descriptors or similar: the connection waits in the backlog; try again later.
  void retry_accept_later(const error_code& ec) {
    accept_retry.expires_after(std::chrono::microseconds(accept_backoff.failed(ec.message())));
    accept_retry.async_wait([this](const error_code& e) {
      if (!e && acceptor.is_open()) accept();
    });
  }
  asio::io_context& io;
  PortmapConfig cfg;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry{io};
  AcceptBackoff accept_backoff{"mabeam portmap: accept on " + cfg.listen.str()};
  PortmapTable table;
  std::set<std::shared_ptr<Session>> sessions;
};

void Session::start() {
  error_code ec;
  auto ep = sock.remote_endpoint(ec);
  caller_ip = ec ? "0.0.0.0" : ep.address().to_string();
  timer.expires_after(std::chrono::microseconds(server.cfg.idle_timeout));
  timer.async_wait([w = weak_from_this()](const error_code& e) {
    if (auto self = w.lock(); self && !e) self->finish();
  });
  read_line();
}

void Session::read_line() {
  asio::async_read_until(sock, asio::dynamic_buffer(in, kPortmapLineBytesMax + 1), '\n',
                         [self = shared_from_this()](const error_code& ec, std::size_t n) {
                           if (self->closed) return;
                           if (ec) {
                             if (ec == asio::error::not_found) {
                               // Over-long line: say why, then close.
                               self->out = "ERR line too long\n";
                               asio::async_write(self->sock, asio::buffer(self->out),
                                                 [self](const error_code&, std::size_t) { self->finish(); });
                               return;
                             }
                             self->finish();
                             return;
                           }
                           std::string line = self->in.substr(0, n - 1);
                           self->in.erase(0, n);
                           auto reply = self->server.table.handle(line, process_now_us(), self->caller_ip);
                           self->out = std::move(reply.text);
                           const bool close = reply.close;
                           asio::async_write(self->sock, asio::buffer(self->out), [self, close](const error_code& e, std::size_t) {
                             if (e || close) self->finish();
                             else self->read_line();
                           });
                         });
}

void Session::finish() {
  if (closed) return;
  closed = true;
  error_code ec;
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
  timer.cancel();
  server.sessions.erase(shared_from_this());
}
}  // namespace

int run_portmap(const PortmapConfig& config) {
  asio::io_context io;
  Server server(io, config);
  if (auto st = listen_on(server.acceptor, config.listen); !st) {
    std::fprintf(stderr, "mabeam portmap: cannot listen on %s: %s\n", config.listen.str().c_str(), st.message().c_str());
    return 1;
  }
  const auto port = server.acceptor.local_endpoint().port();
  std::printf("listening on %s:%u\n", config.listen.host.c_str(), unsigned{port});
  std::fflush(stdout);
  server.accept_backoff.set_who("mabeam portmap: accept on " + config.listen.host + ":" + std::to_string(port));
  server.accept();
  // Expired entries are dropped on every request too; the sweep keeps memory bounded when idle.
  asio::steady_timer sweep(io);
  std::function<void()> arm = [&] {
    sweep.expires_after(std::chrono::seconds(1));
    sweep.async_wait([&](const error_code& e) {
      if (e) return;
      server.table.expire(process_now_us());
      arm();
    });
  };
  arm();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const error_code&, int) {
    error_code ignored;
    server.acceptor.close(ignored);
    server.accept_retry.cancel();
    sweep.cancel();
    for (auto& s : std::vector<std::shared_ptr<Session>>(server.sessions.begin(), server.sessions.end())) s->finish();
    io.stop();
  });
  io.run();
  return 0;
}

// ---- client ----

struct PortmapClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_, HostPort mapper_, std::string name_, std::string addr_, DurationUs interval_, OnList on_list_)
      : io(io_), mapper(std::move(mapper_)), name(std::move(name_)), addr(std::move(addr_)), interval(interval_),
        on_list(std::move(on_list_)), timer(io_), resolver(io_) {}

  void round() {
    if (stopped) return;
    auto sock = std::make_shared<tcp::socket>(io);
    auto buf = std::make_shared<std::string>();
    const std::string request = "REGISTER " + name + " " + addr + " " + std::to_string((3 * interval + sec(1)) / 1000) +
                                "\nLIST\nQUIT\n";
    auto deadline = std::make_shared<asio::steady_timer>(io);
    deadline->expires_after(std::chrono::microseconds(std::max<DurationUs>(interval, sec(2))));
    deadline->async_wait([sock](const error_code& e) {
      if (e) return;
      error_code ignored;
      sock->close(ignored);
    });
    auto self = shared_from_this();
    resolver.async_resolve(mapper.host, std::to_string(mapper.port), [self, sock, buf, request, deadline](const error_code& ec, tcp::resolver::results_type r) {
      if (ec) return self->failed("resolve: " + ec.message(), deadline);
      asio::async_connect(*sock, r, [self, sock, buf, request, deadline](const error_code& e1, const tcp::endpoint&) {
        if (e1) return self->failed("connect: " + e1.message(), deadline);
        auto req = std::make_shared<std::string>(request);
        asio::async_write(*sock, asio::buffer(*req), [self, sock, buf, req, deadline](const error_code& e2, std::size_t) {
          if (e2) return self->failed("write: " + e2.message(), deadline);
          asio::async_read(*sock, asio::dynamic_buffer(*buf, 1 << 20), [self, sock, buf, deadline](const error_code& e3, std::size_t) {
            if (e3 && e3 != asio::error::eof) return self->failed("read: " + e3.message(), deadline);
            deadline->cancel();
            self->parse(*buf);
            self->next();
          });
        });
      });
    });
  }

  void failed(const std::string& why, const std::shared_ptr<asio::steady_timer>& deadline) {
    deadline->cancel();
    if (!reported && !stopped) {
      std::fprintf(stderr, "mabeam node %s: port mapper %s unreachable: %s (retrying)\n", name.c_str(), mapper.str().c_str(),
                   why.c_str());
      reported = true;
    }
    next();
  }

  void parse(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> nodes;
    std::size_t pos = 0;
    bool ok = false;
    while (pos < text.size()) {
      auto nl = text.find('\n', pos);
      if (nl == std::string::npos) break;
      const std::string_view line(text.data() + pos, nl - pos);
      pos = nl + 1;
      const auto w = split_words(line);
      if (w.size() == 3 && w[0] == "NODE" && valid_node_name(w[1]) && parse_host_port(w[2])) nodes.emplace_back(w[1], w[2]);
      if (w.size() == 1 && w[0] == "END") ok = true;
    }
    if (ok) {
      if (reported) std::fprintf(stderr, "mabeam node %s: port mapper %s reachable again\n", name.c_str(), mapper.str().c_str());
      reported = false;
      if (!stopped) on_list(nodes);
    }
  }

  void next() {
    if (stopped) return;
    timer.expires_after(std::chrono::microseconds(interval));
    timer.async_wait([w = weak_from_this()](const error_code& e) {
      if (auto self = w.lock(); self && !e) self->round();
    });
  }

  asio::io_context& io;
  HostPort mapper;
  std::string name;
  std::string addr;
  DurationUs interval;
  OnList on_list;
  asio::steady_timer timer;
  tcp::resolver resolver;
  bool stopped = false;
  bool reported = false;
};

PortmapClient::PortmapClient(asio::io_context& io, HostPort mapper, std::string name, std::string addr, DurationUs interval,
                             OnList on_list)
    : impl_(std::make_shared<Impl>(io, std::move(mapper), std::move(name), std::move(addr), interval, std::move(on_list))) {}

PortmapClient::~PortmapClient() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

void PortmapClient::start() { impl_->round(); }

void PortmapClient::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->timer.cancel();
  // Best effort: a graceful leave should not wait on the mapper; the ttl covers a lost request.
  auto sock = std::make_shared<tcp::socket>(impl_->io);
  auto req = std::make_shared<std::string>("UNREGISTER " + impl_->name + "\nQUIT\n");
  impl_->resolver.async_resolve(impl_->mapper.host, std::to_string(impl_->mapper.port),
                                [sock, req](const error_code& ec, tcp::resolver::results_type r) {
                                  if (ec) return;
                                  asio::async_connect(*sock, r, [sock, req](const error_code& e1, const tcp::endpoint&) {
                                    if (e1) return;
                                    asio::async_write(*sock, asio::buffer(*req), [sock, req](const error_code&, std::size_t) {});
                                  });
                                });
}

}  // namespace mabeam::real
