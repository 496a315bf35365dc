// A small HTTP/1.1 server (Boost.Beast) for a node's endpoints: GET /health, /ready,
// /metrics, /status, and GET/PUT/POST /variables/NAME. The handler runs on the node's
// thread, so it reads node state without locks, and answers through `reply`, now or later
// (a write waits for the variables service). Requests are bounded (8 KiB), reading a
// request has a deadline, the number of connections is limited, and methods other than
// GET, HEAD, PUT and POST are answered 405.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"
#include "real/net_util.h"

namespace boost::asio {
class io_context;
}

namespace mabeam::real {

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(int s, std::string type, std::string b) : status(s), content_type(std::move(type)), body(std::move(b)) {}
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (WWW-Authenticate, Retry-After)
};
struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST
  std::string target;  // path and query
  std::string body;
  std::string authorization;  // the Authorization header, "" when absent
  std::string peer;           // the client's IP address
};
using HttpResponder = std::function<void(HttpResponse)>;
// Must call `reply` exactly once (a reply after the server closed is dropped).
using HttpHandler = std::function<void(const HttpRequest& request, HttpResponder reply)>;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HostPort listen, HttpHandler handler);
  ~HttpServer();
  Status listen();
  std::uint16_t local_port() const;
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mabeam::real
