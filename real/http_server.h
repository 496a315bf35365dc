// A small HTTP/1.1 server (Boost.Beast) for a node's endpoints: GET /health, /ready,
// /metrics, /status. The handler runs on the node's thread, so it reads node state without
// locks. Requests are bounded (8 KiB), each connection has a deadline, and the number of
// connections is limited; anything else than GET/HEAD is answered 405.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "engine/status.h"
#include "real/net_util.h"

namespace boost::asio {
class io_context;
}

namespace mabeam::real {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using HttpHandler = std::function<HttpResponse(const std::string& target)>;

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
