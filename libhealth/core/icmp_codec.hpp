// DOC: ICMP / ICMPv6 echo codec for PING_CHECK (RFC 792, RFC 4443 §4.1-4.2). Pure bytes in,
// bytes out. ICMPv6 checksums are left zero: the kernel computes them for ICMPv6 sockets
// (RFC 3542 §3.1), and ICMP datagram ("ping") sockets fill in the identifier themselves.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ip_address.hpp"

namespace health {

struct EchoReply {
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
};

[[nodiscard]] std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) noexcept;

[[nodiscard]] std::vector<std::uint8_t> icmp_echo_request(vigil::Family family, std::uint16_t identifier,
                                                          std::uint16_t sequence,
                                                          std::span<const std::uint8_t> payload);

/// An echo reply's id and sequence; nullopt for any other message. IPv4 raw sockets deliver the
/// IP header first (skip_ip_header); ICMP datagram sockets and IPv6 sockets do not.
[[nodiscard]] std::optional<EchoReply> parse_icmp_echo_reply(vigil::Family family, std::span<const std::uint8_t> packet,
                                                             bool skip_ip_header) noexcept;

}  // namespace health
