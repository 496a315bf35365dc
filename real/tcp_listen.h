// Opening a listening TCP socket on HOST:PORT (an address, or a name resolved once, at
// start), with SO_REUSEADDR: the one way the transport's peer listener, the HTTP endpoints
// and the port mapper bind. Includes Asio: only for .cpp files of real/.
#pragma once
#include <boost/asio/ip/tcp.hpp>

#include "engine/status.h"
#include "real/net_util.h"

namespace mabeam::real {

// Opens, binds and listens `acceptor` on `at` (port 0: an ephemeral port). Error: io_error
// "cannot resolve host" or the socket error's text; the caller says what was listening.
Status listen_on(boost::asio::ip::tcp::acceptor& acceptor, const HostPort& at);

}  // namespace mabeam::real
