// DOC: Socket source options and error wording for the network probes.
#include "libhealth/probes/socket_util.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace health::detail {

asio::ip::address to_asio(const vigil::IpAddress& ip) {
  if (ip.is_v4()) {
    asio::ip::address_v4::bytes_type b{};
    const auto src = ip.bytes();
    std::copy(src.begin(), src.end(), b.begin());
    return asio::ip::address_v4(b);
  }
  asio::ip::address_v6::bytes_type b{};
  const auto src = ip.bytes();
  std::copy(src.begin(), src.end(), b.begin());
  return asio::ip::address_v6(b);
}

namespace {
vigil::Error errno_error(const std::string& what) {
  const int err = errno;
  return vigil::make_error(what + ": " + std::strerror(err), err);
}
}  // namespace

socklen_t to_sockaddr(bool v4, const vigil::IpAddress* address, std::uint16_t port, sockaddr_storage& out) {
  out = sockaddr_storage{};
  if (v4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    if (address != nullptr) std::memcpy(&sin.sin_addr, address->bytes().data(), 4);
    std::memcpy(&out, &sin, sizeof sin);
    return sizeof sin;
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  if (address != nullptr) std::memcpy(&sin6.sin6_addr, address->bytes().data(), 16);
  std::memcpy(&out, &sin6, sizeof sin6);
  return sizeof sin6;
}

vigil::Result<void> apply_source(int fd, const CheckTarget& target) {
  if (target.bind_if) {
    const auto& name = *target.bind_if;
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(), static_cast<socklen_t>(name.size())) != 0) {
      return errno_error("bind_if " + name);
    }
  }
  if (target.fwmark) {
    const unsigned mark = *target.fwmark;
    if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) return errno_error("fwmark");
  }
  if (!target.bind_ip && !target.bind_port) return {};

  // A fixed source port is reused every round while the previous connection may sit in
  // TIME_WAIT; SO_REUSEADDR lets the bind succeed (the 4-tuple still has to be free).
  const int one = 1;
  if (target.bind_port) (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const std::uint16_t port = target.bind_port.value_or(0);
  const bool v4 = target.ip.is_v4();
  if (target.bind_ip && target.bind_ip->is_v4() != v4) {
    return vigil::make_error("bindto " + target.bind_ip->to_string() + " is not of the target's address family");
  }
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(v4, target.bind_ip ? &*target.bind_ip : nullptr, port, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const std::string from = target.bind_ip ? format_endpoint(*target.bind_ip, port) : "port " + std::to_string(port);
    return errno_error("bind to " + from);
  }
  return {};
}

std::string connect_error(const error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::network_unreachable) return "network unreachable";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::connection_reset) return "connection reset";
  if (ec == asio::error::timed_out) return "connect timed out in the kernel";
  return "connect failed: " + ec.message();
}

}  // namespace health::detail
