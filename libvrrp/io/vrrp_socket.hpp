// DOC: VrrpSocket — one raw IPPROTO_VRRP (112) socket per (interface, address family), shared by
// every instance on that interface and family; the service dispatches received adverts by VRID.
//
//   * SO_BINDTODEVICE: only this interface's packets, and sends leave through it.
//   * Multicast: joined to 224.0.0.18 / ff02::12 (or the configured group) on demand; multicast
//     TTL/hop limit 255 (RFC 5798 §5.1.1.3), loopback off so we never hear ourselves.
//   * Unicast: the same socket sends to each peer with TTL 255 (or unicast_ttl).
//   * The source address is chosen per packet with IP_PKTINFO / IPV6_PKTINFO, so one socket serves
//     instances with different unicast_src_ip, and receiving is not narrowed by a bind().
//   * IPv4 delivers the IP header (parse_ipv4_packet finds TTL and addresses); IPv6 delivers the
//     message alone, with the hop limit and destination as ancillary data. The IPv6 checksum is
//     computed and verified by the codec, not by the kernel (IPV6_CHECKSUM would drop bad packets
//     before we could count them).
//
// Receiving drains the socket in a loop on each wake-up, at most k_max_per_turn packets, then
// yields to the loop so a flood cannot starve timers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "libvrrp/io/receive_check.hpp"

namespace vrrp::io {

class VrrpSocket {
 public:
  static constexpr std::size_t k_max_per_turn = 64;

  using PacketHandler = std::function<void(const InboundPacket&)>;
  // A datagram whose IP layer is unusable (IPv4 header nonsense): no VRID to attribute it to.
  using ErrorHandler = std::function<void(DropReason, std::string_view detail)>;

  // Opens and configures the socket; an error names the failing call (EPERM: needs CAP_NET_RAW).
  static vigil::Result<std::unique_ptr<VrrpSocket>> open(boost::asio::io_context& io, const std::string& interface,
                                                         int ifindex, vigil::Family family);
  ~VrrpSocket();
  VrrpSocket(const VrrpSocket&) = delete;
  VrrpSocket& operator=(const VrrpSocket&) = delete;

  // Joins a multicast group on this interface; joining twice is a no-op.
  vigil::Result<void> join(const vigil::IpAddress& group);

  // Sends one VRRP message (the IP header is the kernel's).
  vigil::Result<void> send(std::span<const std::uint8_t> message, const vigil::IpAddress& source,
                           const vigil::IpAddress& destination, std::uint8_t ttl);

  void start(PacketHandler on_packet, ErrorHandler on_error);

  [[nodiscard]] const std::string& interface() const noexcept { return interface_; }
  [[nodiscard]] vigil::Family family() const noexcept { return family_; }
  [[nodiscard]] int ifindex() const noexcept { return ifindex_; }

 private:
  VrrpSocket(boost::asio::io_context& io, int fd, std::string interface, int ifindex, vigil::Family family);
  void wait();
  void drain();
  void deliver(std::span<const std::uint8_t> datagram, const void* name, const void* control, std::size_t control_len);

  boost::asio::posix::stream_descriptor descriptor_;
  std::string interface_;
  int ifindex_;
  vigil::Family family_;
  std::vector<vigil::IpAddress> joined_;
  PacketHandler on_packet_;
  ErrorHandler on_error_;
  std::vector<std::uint8_t> buffer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vrrp::io
