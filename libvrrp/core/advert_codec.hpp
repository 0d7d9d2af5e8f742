// DOC: VRRP advertisement codec. One Advert value type for both versions, encoded to and decoded
// from the VRRP message alone (what follows the IP header):
//
//   RFC 3768 §5.1 (v2, IPv4 only)             RFC 5798 §5.1 (v3, IPv4 and IPv6)
//   0      ver|type  vrid  priority  count    0      ver|type  vrid  priority  count
//   4      auth_type adver_int(s) checksum    4      rsvd(4)|max_adver_int(12, cs) checksum
//   8      count × IPv4 address               8      count × IPv4 or IPv6 address
//   8+4n   8 bytes authentication data
//
// The v2 checksum covers the message only. The v3 checksum adds the IP pseudo-header
// (RFC 5798 §5.2.8); for IPv4 some routers leave it out (keepalived `v3_checksum_as_v2`,
// RFC 9568's reading), so decode accepts both and reports which one matched.
//
// decode() never throws and never reads out of bounds: a malformed packet is an Error whose
// `code` carries a DecodeError, so the I/O layer can count drops per reason.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"

namespace vrrp {

inline constexpr std::uint8_t k_ip_protocol = 112;  // IANA protocol number for VRRP
inline constexpr std::uint8_t k_ttl = 255;          // RFC 5798 §5.1.1.3: sent with TTL/hop limit 255

// RFC 3768 §5.3.6. Types 1 and 2 were removed by RFC 3768 but keepalived still sends them.
enum class AuthType : std::uint8_t { none = 0, simple_password = 1, ip_ah = 2 };
[[nodiscard]] std::string_view to_string(AuthType type) noexcept;

using AuthData = std::array<std::uint8_t, 8>;

struct Advert {
  std::uint8_t version = 3;  // 2 or 3
  std::uint8_t vrid = 1;
  std::uint8_t priority = 100;
  // v2: whole seconds (1..255); v3: centiseconds (1..4095). Kept in milliseconds, which holds both
  // exactly; encode() rounds to the wire unit (see wire_interval()).
  std::chrono::milliseconds max_advert_int{1000};
  std::vector<vigil::IpAddress> addresses;
  AuthType auth_type = AuthType::none;  // v2 only
  AuthData auth_data{};                 // v2 only: the password for simple_password, else zero

  friend bool operator==(const Advert&, const Advert&) = default;
};

// Which bytes a checksum covers: the VRRP message alone (v2; v3 IPv4 "as v2") or the message
// plus the IP pseudo-header (v3, always for IPv6).
enum class ChecksumForm : std::uint8_t { message_only, pseudo_header };
[[nodiscard]] std::string_view to_string(ChecksumForm form) noexcept;

struct EncodeContext {
  vigil::Family family = vigil::Family::v4;
  vigil::IpAddress source;       // IP source of the packet, for the v3 pseudo-header
  vigil::IpAddress destination;  // 224.0.0.18 / ff02::12, or the unicast peer
  ChecksumForm v3_ipv4_checksum = ChecksumForm::pseudo_header;  // message_only = v3_checksum_as_v2
};

struct DecodeContext {
  vigil::Family family = vigil::Family::v4;  // of the socket the packet came in on
  vigil::IpAddress source;
  vigil::IpAddress destination;
  // v2 only (RFC 3768 §7.1): the advert's auth type must equal ours, and for simple_password the
  // 8 data bytes must match.
  AuthType auth_type = AuthType::none;
  AuthData auth_data{};
};

struct Decoded {
  Advert advert;
  ChecksumForm checksum = ChecksumForm::pseudo_header;  // which form matched
  friend bool operator==(const Decoded&, const Decoded&) = default;
};

// Why a packet was dropped. The numeric value travels in vigil::Error::code (never 0).
enum class DecodeError : int {
  too_short = 1,   // shorter than the fixed header
  bad_ip_header,   // IPv4 version/IHL nonsense
  bad_ip_length,   // IPv4 total length disagrees with what was received
  fragmented,      // an advert is never fragmented
  not_vrrp,        // IP protocol is not 112
  bad_version,     // not 2 or 3, or v2 over IPv6
  bad_type,        // not 1 (ADVERTISEMENT)
  bad_length,      // length disagrees with the address count
  bad_checksum,
  bad_interval,    // advert interval 0
  bad_auth_type,   // v2 auth type not 0/1/2
  auth_mismatch,   // v2 auth type differs from ours
  bad_password,    // v2 simple password differs from ours
};
inline constexpr std::size_t k_decode_error_count = 13;
[[nodiscard]] std::string_view to_string(DecodeError error) noexcept;
// The reason carried by an Error that decode() or parse_ipv4_packet() returned.
[[nodiscard]] std::optional<DecodeError> decode_error(const vigil::Error& error) noexcept;

// The interval as it travels on the wire: v2 rounds to whole seconds (1..255), v3 to centiseconds
// (1..4095), as keepalived rounds its configuration. Timers use this value so that every router
// computes Master_Down_Interval from the same number.
[[nodiscard]] std::chrono::milliseconds wire_interval(std::uint8_t version, std::chrono::milliseconds interval) noexcept;

// Size of the encoded message for `count` addresses.
[[nodiscard]] std::size_t message_size(std::uint8_t version, vigil::Family family, std::size_t count) noexcept;

// Precondition: every address has context.family (others are written truncated or zero-padded),
// at most 255 addresses (the rest are dropped), version 2 only with IPv4.
[[nodiscard]] std::vector<std::uint8_t> encode(const Advert& advert, const EncodeContext& context);

[[nodiscard]] vigil::Result<Decoded> decode(std::span<const std::uint8_t> vrrp_message, const DecodeContext& context);

// What a raw IPv4 socket delivers: the IP header, then the VRRP message. (IPv6 raw sockets give
// no header; the hop limit comes from IPV6_HOPLIMIT ancillary data instead.)
struct Ipv4Packet {
  std::uint8_t ttl = 0;
  vigil::IpAddress source;
  vigil::IpAddress destination;
  std::span<const std::uint8_t> payload;  // points into the caller's buffer
};

[[nodiscard]] vigil::Result<Ipv4Packet> parse_ipv4_packet(std::span<const std::uint8_t> datagram);

}  // namespace vrrp
