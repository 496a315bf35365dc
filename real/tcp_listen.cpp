// Opening a listening TCP socket (see tcp_listen.h).
#include "real/tcp_listen.h"

#include <string>

namespace mabeam::real {

Status listen_on(boost::asio::ip::tcp::acceptor& acceptor, const HostPort& at) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(at.host, ec);
  if (ec) {
    tcp::resolver resolver(acceptor.get_executor());
    auto results = resolver.resolve(at.host, std::to_string(at.port), ec);
    if (ec || results.empty()) return Status::io_error("cannot resolve host");
    address = results.begin()->endpoint().address();
  }
  const tcp::endpoint ep(address, at.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::io_error(ec.message());
  return Status::ok();
}

}  // namespace mabeam::real
