// DOC: PING_CHECK: one ICMP / ICMPv6 echo, answered within connect_timeout.
//
// The unprivileged way is an ICMP datagram socket, which Linux allows only to groups listed in
// net.ipv4.ping_group_range (default: none). When that is refused, a raw socket is tried (needs
// CAP_NET_RAW, which the daemon keeps for VRRP anyway). When both are refused the check fails
// with a reason that says which sysctl or capability is missing, rather than pretending.
#include <netinet/in.h>

#include <array>
#include <vector>

#include "libhealth/core/icmp_codec.hpp"
#include "libhealth/probes/operation.hpp"
#include "libhealth/probes/probes.hpp"
#include "libhealth/probes/socket_util.hpp"

namespace health::detail {

namespace {

using DatagramSocket = asio::generic::datagram_protocol::socket;
using RawSocket = asio::generic::raw_protocol::socket;

constexpr std::array<std::uint8_t, 16> k_payload{'v', 'i', 'g', 'i', 'l', ' ', 'P', 'I', 'N', 'G', '_', 'C', 'H', 'E', 'C', 'K'};

class PingProbe final : public Operation {
 public:
  PingProbe(ProbeContext& context, const ProbeSpec& spec)
      : Operation(context, spec.timeout), target_(spec.target), datagram_(context.io()), raw_(context.io()) {
    target_.bind_port.reset();  // ICMP has no ports
  }

  asio::awaitable<ProbeResult> run() {
    const bool v4 = target_.ip.is_v4();
    const int family = v4 ? AF_INET : AF_INET6;
    const int protocol = v4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
    error_code ec;
    datagram_.open(asio::generic::datagram_protocol(family, protocol), ec);
    if (!ec) co_return co_await exchange(datagram_, false, false);
    raw_.open(asio::generic::raw_protocol(family, protocol), ec);
    if (!ec) co_return co_await exchange(raw_, v4, true);
    co_return ProbeResult::failure(
        "PING_CHECK not supported here: ICMP datagram sockets are not allowed for this group "
        "(sysctl net.ipv4.ping_group_range) and raw ICMP sockets need CAP_NET_RAW (" + ec.message() + ")");
  }

 private:
  void abort() noexcept override {
    error_code ignored;
    datagram_.close(ignored);
    raw_.close(ignored);
  }

  /// IPv4 raw sockets deliver the IP header (skip_ip_header). Datagram sockets rewrite the
  /// identifier and deliver only their own replies, so only raw sockets match it (match_id).
  template <class Socket>
  asio::awaitable<ProbeResult> exchange(Socket& socket, bool skip_ip_header, bool match_id) {
    if (auto source = apply_source(socket.native_handle(), target_); !source) {
      co_return ProbeResult::failure(source.error().message);
    }
    const asio::ip::udp::endpoint ip_endpoint(to_asio(target_.ip), 0);
    const int protocol = target_.ip.is_v4() ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
    const typename Socket::endpoint_type endpoint(ip_endpoint.data(), ip_endpoint.size(), protocol);
    error_code ec;
    socket.connect(endpoint, ec);
    if (ec) co_return ProbeResult::failure(connect_error(ec));

    const std::uint16_t identifier = context().random_u16();
    const std::uint16_t sequence = context().random_u16();
    const auto request = icmp_echo_request(target_.ip.family(), identifier, sequence, k_payload);
    arm_deadline();
    co_await socket.async_send(asio::buffer(request), ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("ICMP echo");
    if (ec) co_return ProbeResult::failure("ICMP send failed: " + ec.message());

    std::vector<std::uint8_t> reply(1500);
    for (;;) {
      const std::size_t n = co_await socket.async_receive(asio::buffer(reply), ec_token(ec));
      if (timed_out() || cancelled()) co_return interrupted("ICMP echo reply");
      if (ec) co_return ProbeResult::failure("ICMP receive failed: " + ec.message());
      const auto echo = parse_icmp_echo_reply(target_.ip.family(),
                                              std::span<const std::uint8_t>(reply.data(), n), skip_ip_header);
      if (!echo || echo->sequence != sequence || (match_id && echo->identifier != identifier)) continue;
      co_return ProbeResult::success("echo reply in " + format_duration(elapsed()));
    }
  }

  CheckTarget target_;
  DatagramSocket datagram_;
  RawSocket raw_;
};

}  // namespace

ProbeHandle start_ping_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done) {
  return launch(std::make_shared<PingProbe>(context, spec), std::move(done));
}

}  // namespace health::detail
