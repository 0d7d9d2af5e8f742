// DOC: The one place libhealth includes Asio (beast.hpp adds Beast and TLS). Two workarounds for
// Boost 1.74 with g++ 12, both confined here:
//  * asio/awaitable.hpp uses std::exchange without including <utility>, so <utility> comes first;
//  * -Wnull-dereference and -Wmaybe-uninitialized are middle-end warnings: after inlining they
//    fire inside Asio's scheduler and Beast's parser (boost::optional; seen under the sanitizer
//    build) even though /usr/include is a system directory. They are switched off for the Boost
//    text only (push/pop), so vigil's own code is still checked.
// Boost::headers is a system include, so Boost's casts do not trip -Wold-style-cast.
#pragma once

#include <utility>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/generic/datagram_protocol.hpp>
#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#pragma GCC diagnostic pop

namespace health {
namespace asio = boost::asio;
using error_code = boost::system::error_code;

/// `co_await op(..., ec_token(ec))`: errors land in `ec` instead of being thrown, so no exception
/// crosses a probe's coroutine for an ordinary network outcome.
inline auto ec_token(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }
}  // namespace health
