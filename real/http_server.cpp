// The node's HTTP endpoints server (see http_server.h).
#include "real/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <set>

#include "real/accept_backoff.h"
#include "real/tcp_listen.h"

namespace mabeam::real {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
// Open connections a node serves at once (each costs a socket and its buffers, up to twice
// kRequestBytesMax); past it a new connection is closed at accept. 512 leaves room under the
// usual soft limit of 1024 descriptors for the cluster's own links and the data files.
constexpr std::size_t kConnectionsMax = 512;
constexpr std::size_t kRequestBytesMax = 8 * 1024;
constexpr auto kConnectionDeadline = std::chrono::seconds(10);
}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl& s, tcp::socket sock) : server(s), keep(s.shared_from_this()), stream(std::move(sock)) {}
    void read() {
      parser.emplace();
      parser->header_limit(kRequestBytesMax);
      parser->body_limit(kRequestBytesMax);
      stream.expires_after(kConnectionDeadline);
      http::async_read(stream, buffer, *parser, [self = shared_from_this()](const error_code& ec, std::size_t) {
        if (ec) return self->finish();
        self->respond(parser_release(*self));
      });
    }
    static http::request<http::string_body> parser_release(Session& s) { return s.parser->release(); }
    void respond(const http::request<http::string_body>& req) {
      auto res = std::make_shared<http::response<http::string_body>>();
      res->version(req.version());
      res->set(http::field::server, "mabeam");
      const auto method = req.method();
      res->keep_alive(req.keep_alive());
      if (method != http::verb::get && method != http::verb::head && method != http::verb::put &&
          method != http::verb::post && method != http::verb::delete_) {
        res->result(http::status::method_not_allowed);
        res->set(http::field::allow, "GET, HEAD, PUT, POST, DELETE");
        res->set(http::field::content_type, "text/plain; charset=utf-8");
        res->body() = "method not allowed\n";
        return write(res, false);
      }
      HttpRequest r{std::string(req.method_string()), std::string(req.target()), req.body(),
                    std::string(req[http::field::authorization]), peer_address()};
      if (method == http::verb::head) r.method = "GET";
      server.handler(r, [self = shared_from_this(), res, head = method == http::verb::head](HttpResponse out) {
        if (self->done) return;
        res->result(static_cast<unsigned>(out.status));
        res->set(http::field::content_type, out.content_type);
        res->body() = std::move(out.body);
        for (const auto& [name, value] : out.headers) res->set(name, value);
        self->write(res, head);
      });
    }
    std::string peer_address() {
      error_code ec;
      const auto ep = stream.socket().remote_endpoint(ec);
      return ec ? std::string("unknown") : ep.address().to_string();
    }
    void write(const std::shared_ptr<http::response<http::string_body>>& res, bool head) {
      res->prepare_payload();
      if (head) res->body().clear();
      http::async_write(stream, *res, [self = shared_from_this(), res](const error_code& ec, std::size_t) {
        if (ec || !res->keep_alive()) return self->finish();
        self->read();
      });
    }
    void finish() {
      if (done) return;
      done = true;
      error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream.close();
      server.sessions.erase(shared_from_this());
    }
    Impl& server;
    std::shared_ptr<Impl> keep;  // the server outlives its sessions' pending handlers
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    bool done = false;
  };

  Impl(asio::io_context& io_, HostPort listen_, HttpHandler handler_)
      : io(io_), listen_at(std::move(listen_)), handler(std::move(handler_)), acceptor(io_) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || self->closed) return;
      if (ec) return self->retry_accept_later(ec);
      self->accept_backoff.succeeded();
      if (self->sessions.size() >= kConnectionsMax) {
        error_code ignored;
        s.close(ignored);
      } else {
        auto session = std::make_shared<Session>(*self, std::move(s));
        self->sessions.insert(session);
        session->read();
      }
      self->accept();
    });
  }

  // Out of descriptors or similar: the connection waits in the backlog; try again later.
  void retry_accept_later(const error_code& ec) {
    accept_retry.expires_after(std::chrono::microseconds(accept_backoff.failed(ec.message())));
    accept_retry.async_wait([self = shared_from_this()](const error_code& e) {
      if (!e && !self->closed) self->accept();
    });
  }

  asio::io_context& io;
  HostPort listen_at;
  HttpHandler handler;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry{io};
  AcceptBackoff accept_backoff{"mabeam http " + listen_at.str()};
  std::set<std::shared_ptr<Session>> sessions;
  bool closed = false;
};

HttpServer::HttpServer(asio::io_context& io, HostPort listen, HttpHandler handler)
    : impl_(std::make_shared<Impl>(io, std::move(listen), std::move(handler))) {}

HttpServer::~HttpServer() { close(); }

Status HttpServer::listen() {
  Impl& s = *impl_;
  if (auto st = listen_on(s.acceptor, s.listen_at); !st) return Status::io_error("http " + s.listen_at.str() + ": " + st.message());
  s.accept_backoff.set_who("mabeam http " + s.listen_at.host + ":" + std::to_string(s.acceptor.local_endpoint().port()));
  s.accept();
  return Status::ok();
}

std::uint16_t HttpServer::local_port() const {
  error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::close() {
  Impl& s = *impl_;
  if (s.closed) return;
  s.closed = true;
  error_code ec;
  s.acceptor.close(ec);
  s.accept_retry.cancel();
  for (auto& session : std::vector<std::shared_ptr<Impl::Session>>(s.sessions.begin(), s.sessions.end())) session->finish();
}

}  // namespace mabeam::real
