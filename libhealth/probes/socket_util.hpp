// DOC: Socket plumbing shared by the network probes: address conversion, the checker's source
// options (bindto, bind_port, bind_if, fwmark) applied before connect, and the wording of
// connect errors (refused, timeout and unreachable must read differently in the log).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "libhealth/core/check.hpp"
#include "libhealth/probes/asio.hpp"

namespace health::detail {

[[nodiscard]] asio::ip::address to_asio(const vigil::IpAddress& ip);

/// Fills `out` with an IPv4 (v4) or IPv6 socket address of `address` (the wildcard when null)
/// and `port`; returns its length.
socklen_t to_sockaddr(bool v4, const vigil::IpAddress* address, std::uint16_t port, sockaddr_storage& out);

/// Applies bind_if (SO_BINDTODEVICE), fwmark (SO_MARK) and bindto/bind_port to an open socket.
[[nodiscard]] vigil::Result<void> apply_source(int fd, const CheckTarget& target);

/// Opens `socket` for the target's family and applies the source options.
template <class Socket>
[[nodiscard]] vigil::Result<void> open_for(Socket& socket, const CheckTarget& target) {
  error_code ec;
  const auto protocol = target.ip.is_v4() ? Socket::protocol_type::v4() : Socket::protocol_type::v6();
  socket.open(protocol, ec);
  if (ec) return vigil::make_error("socket: " + ec.message(), ec.value());
  return apply_source(socket.native_handle(), target);
}

/// "connection refused", "network unreachable", "connect failed: <message>".
[[nodiscard]] std::string connect_error(const error_code& ec);

}  // namespace health::detail
