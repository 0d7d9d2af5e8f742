// DOC: The raw VRRP socket: setsockopt calls at open, sendmsg with a PKTINFO control message, and a
// bounded non-blocking recvmsg loop driven by async_wait. No exception leaves a handler: every
// error is a Result or a drop reason.
#include "libvrrp/io/vrrp_socket.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "libvrrp/core/advert_codec.hpp"

namespace vrrp::io {
namespace {

namespace asio = boost::asio;

vigil::Error sys_error(const std::string& what) {
  const int e = errno;
  std::string text = what + ": " + std::strerror(e);
  if (e == EPERM || e == EACCES) text += " (raw sockets need CAP_NET_RAW)";
  return vigil::make_error(std::move(text), e);
}

template <class T>
bool set_option(int fd, int level, int name, const T& value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

sockaddr_in to_sockaddr4(const vigil::IpAddress& a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  std::memcpy(&s.sin_addr, a.bytes().data(), 4);
  return s;
}

sockaddr_in6 to_sockaddr6(const vigil::IpAddress& a, int ifindex) {
  sockaddr_in6 s{};
  s.sin6_family = AF_INET6;
  std::memcpy(&s.sin6_addr, a.bytes().data(), 16);
  if (a.is_link_local() || a.is_multicast()) s.sin6_scope_id = static_cast<std::uint32_t>(ifindex);
  return s;
}

vigil::IpAddress from_in6(const in6_addr& a) {
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), &a, b.size());
  return vigil::IpAddress::from_v6(b);
}

}  // namespace

vigil::Result<std::unique_ptr<VrrpSocket>> VrrpSocket::open(asio::io_context& io, const std::string& interface,
                                                            int ifindex, vigil::Family family) {
  const int af = family == vigil::Family::v4 ? AF_INET : AF_INET6;
  const int fd = ::socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, k_ip_protocol);
  if (fd < 0) return sys_error("socket(IPPROTO_VRRP)");
  auto fail = [fd](const std::string& what) {
    vigil::Error e = sys_error(what);
    ::close(fd);
    return e;
  };
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(), static_cast<socklen_t>(interface.size())) != 0) {
    return fail("SO_BINDTODEVICE " + interface);
  }
  const int ttl = 255;
  const int off = 0;
  const int on = 1;
  if (family == vigil::Family::v4) {
    const unsigned char mttl = 255;
    const unsigned char loop = 0;
    ip_mreqn mreq{};
    mreq.imr_ifindex = ifindex;
    if (!set_option(fd, IPPROTO_IP, IP_MULTICAST_TTL, mttl)) return fail("IP_MULTICAST_TTL");
    if (!set_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, loop)) return fail("IP_MULTICAST_LOOP");
    if (!set_option(fd, IPPROTO_IP, IP_MULTICAST_IF, mreq)) return fail("IP_MULTICAST_IF");
    if (!set_option(fd, IPPROTO_IP, IP_TTL, ttl)) return fail("IP_TTL");
  } else {
    if (!set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl)) return fail("IPV6_MULTICAST_HOPS");
    if (!set_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl)) return fail("IPV6_UNICAST_HOPS");
    if (!set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, off)) return fail("IPV6_MULTICAST_LOOP");
    if (!set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex)) return fail("IPV6_MULTICAST_IF");
    if (!set_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, on)) return fail("IPV6_RECVHOPLIMIT");
    if (!set_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, on)) return fail("IPV6_RECVPKTINFO");
  }
  return std::unique_ptr<VrrpSocket>(new VrrpSocket(io, fd, interface, ifindex, family));
}

VrrpSocket::VrrpSocket(asio::io_context& io, int fd, std::string interface, int ifindex, vigil::Family family)
    : descriptor_(io, fd), interface_(std::move(interface)), ifindex_(ifindex), family_(family), buffer_(65536) {}

VrrpSocket::~VrrpSocket() {
  *alive_ = false;
  boost::system::error_code ignored;
  descriptor_.close(ignored);
}

vigil::Result<void> VrrpSocket::join(const vigil::IpAddress& group) {
  if (std::find(joined_.begin(), joined_.end(), group) != joined_.end()) return {};
  const int fd = descriptor_.native_handle();
  if (family_ == vigil::Family::v4) {
    ip_mreqn mreq{};
    std::memcpy(&mreq.imr_multiaddr, group.bytes().data(), 4);
    mreq.imr_ifindex = ifindex_;
    if (!set_option(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq)) return sys_error("IP_ADD_MEMBERSHIP " + group.to_string());
  } else {
    ipv6_mreq mreq{};
    std::memcpy(&mreq.ipv6mr_multiaddr, group.bytes().data(), 16);
    mreq.ipv6mr_interface = static_cast<unsigned>(ifindex_);
    if (!set_option(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq)) {
      return sys_error("IPV6_ADD_MEMBERSHIP " + group.to_string());
    }
  }
  joined_.push_back(group);
  return {};
}

vigil::Result<void> VrrpSocket::send(std::span<const std::uint8_t> message, const vigil::IpAddress& source,
                                     const vigil::IpAddress& destination, std::uint8_t ttl) {
  const int fd = descriptor_.native_handle();
  iovec iov{const_cast<std::uint8_t*>(message.data()), message.size()};  // NOLINT: sendmsg does not write
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) std::array<std::uint8_t, CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))> control{};
  msg.msg_control = control.data();
  sockaddr_in sin{};
  sockaddr_in6 sin6{};
  if (family_ == vigil::Family::v4) {
    sin = to_sockaddr4(destination);
    msg.msg_name = &sin;
    msg.msg_namelen = sizeof sin;
    msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_ifindex = ifindex_;
    std::memcpy(&info.ipi_spec_dst, source.bytes().data(), 4);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    // Unicast TTL is per socket; set it when it differs (unicast_ttl). Multicast TTL stays 255.
    if (!destination.is_multicast() && !set_option(fd, IPPROTO_IP, IP_TTL, int{ttl})) return sys_error("IP_TTL");
  } else {
    sin6 = to_sockaddr6(destination, ifindex_);
    msg.msg_name = &sin6;
    msg.msg_namelen = sizeof sin6;
    msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    info.ipi6_ifindex = static_cast<unsigned>(ifindex_);
    std::memcpy(&info.ipi6_addr, source.bytes().data(), 16);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_HOPLIMIT;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    const int hops = ttl;
    std::memcpy(CMSG_DATA(c), &hops, sizeof hops);
  }
  if (::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    return sys_error("send to " + destination.to_string() + " on " + interface_);
  }
  return {};
}

void VrrpSocket::start(PacketHandler on_packet, ErrorHandler on_error) {
  on_packet_ = std::move(on_packet);
  on_error_ = std::move(on_error);
  wait();
}

void VrrpSocket::wait() {
  descriptor_.async_wait(asio::posix::stream_descriptor::wait_read,
                         [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
                           const auto still = alive.lock();
                           if (ec || !still || !*still) return;
                           drain();
                           if (*still) wait();
                         });
}

void VrrpSocket::drain() {
  const int fd = descriptor_.native_handle();
  const std::shared_ptr<bool> alive = alive_;  // a handler may close this socket (reload)
  for (std::size_t n = 0; n < k_max_per_turn; ++n) {
    sockaddr_storage name{};
    alignas(cmsghdr) std::array<std::uint8_t, 256> control{};
    iovec iov{buffer_.data(), buffer_.size()};
    msghdr msg{};
    msg.msg_name = &name;
    msg.msg_namelen = sizeof name;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const ssize_t got = ::recvmsg(fd, &msg, MSG_DONTWAIT);
    if (got < 0) return;  // EAGAIN: drained (other errors: try again on the next wake-up)
    const auto size = static_cast<std::size_t>(got);
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      if (on_error_) on_error_(DropReason::bad_length, "datagram larger than the receive buffer");
      continue;
    }
    try {
      deliver(std::span<const std::uint8_t>(buffer_.data(), size), &name, &msg, msg.msg_controllen);
    } catch (const std::exception& e) {
      // A handler must never let an exception reach Asio (DESIGN.md); a bug here costs one packet.
      if (on_error_) on_error_(DropReason::bad_length, std::string("handler failed: ") + e.what());
    }
    if (!*alive) return;
  }
}

void VrrpSocket::deliver(std::span<const std::uint8_t> datagram, const void* name, const void* msg_ptr,
                         std::size_t /*control_len*/) {
  if (family_ == vigil::Family::v4) {
    auto parsed = parse_ipv4_packet(datagram);
    if (!parsed) {
      const auto reason = decode_error(parsed.error());
      if (on_error_) on_error_(reason ? from_decode_error(*reason) : DropReason::bad_ip_header, parsed.error().message);
      return;
    }
    InboundPacket p;
    p.family = vigil::Family::v4;
    p.source = parsed->source;
    p.destination = parsed->destination;
    p.hop_limit = parsed->ttl;
    p.message = parsed->payload;
    on_packet_(p);
    return;
  }
  const auto* sin6 = static_cast<const sockaddr_in6*>(name);
  const auto* msg = static_cast<const msghdr*>(msg_ptr);
  InboundPacket p;
  p.family = vigil::Family::v6;
  p.source = from_in6(sin6->sin6_addr);
  p.message = datagram;
  bool have_hops = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(msg), c)) {  // NOLINT
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int hops = 0;
      std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
      p.hop_limit = static_cast<std::uint8_t>(std::clamp(hops, 0, 255));
      have_hops = true;
    } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      p.destination = from_in6(info.ipi6_addr);
    }
  }
  if (!have_hops) p.hop_limit = 0;  // unknown: the TTL check rejects it in multicast mode
  on_packet_(p);
}

}  // namespace vrrp::io
