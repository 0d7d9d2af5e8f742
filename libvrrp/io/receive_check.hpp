// DOC: Receive checks for VRRP adverts — pure, so they are unit-tested without sockets. The socket
// hands over what the kernel delivered (source, destination, TTL/hop limit, the VRRP message); the
// checks decide, cheapest first, whether a Router may see it:
//
//   1. VRID: peek byte 1 and find the instance; unknown VRIDs are dropped before any decoding.
//   2. TTL / hop limit: 255 in multicast mode (RFC 5798 §7.1, "MUST verify"); in unicast mode only
//      a configured peer's min_ttl/max_ttl bound it, as keepalived does.
//   3. Unicast source: with check_unicast_src the sender must be a configured peer.
//   4. The codec: version, type, length vs count, checksum (both v3 IPv4 forms), interval, v2 auth.
//
// A dropped packet yields one DropReason, which the service counts per instance and logs at debug
// level through a RateLimiter. Nothing about a dropped packet ever reaches the state machine.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "libvrrp/core/advert_codec.hpp"

namespace vrrp::io {

// Every reason an advert is not handed to a Router. The first block mirrors vrrp::DecodeError.
enum class DropReason : std::uint8_t {
  too_short,
  bad_ip_header,
  bad_ip_length,
  fragmented,
  not_vrrp,
  bad_version,
  bad_type,
  bad_length,
  bad_checksum,
  bad_interval,
  bad_auth_type,
  auth_mismatch,
  bad_password,
  bad_ttl,          // multicast mode: TTL/hop limit is not 255; unicast: outside the peer's bounds
  unknown_vrid,     // no instance on this interface and family has this VRID
  not_a_peer,       // unicast mode with check_unicast_src: the source is not a unicast_peer
  own_address,      // Router: the source is our own primary address
  version_mismatch, // Router: v2 advert to a v3 instance or the reverse
  interval_mismatch,// Router: v2 advert interval differs (RFC 3768 §7.1)
};
inline constexpr std::size_t k_drop_reason_count = 19;

// Metric label / status key: "bad_checksum", "bad_ttl", ...
[[nodiscard]] std::string_view to_string(DropReason reason) noexcept;
[[nodiscard]] DropReason from_decode_error(DecodeError error) noexcept;

using DropCounters = std::array<std::uint64_t, k_drop_reason_count>;

// What the socket received, IP header already taken apart.
struct InboundPacket {
  vigil::Family family = vigil::Family::v4;
  vigil::IpAddress source;
  vigil::IpAddress destination;
  std::uint8_t hop_limit = 0;              // IPv4 TTL or IPv6 hop limit
  std::span<const std::uint8_t> message;  // the VRRP message
};

struct PeerPolicy {
  vigil::IpAddress address;
  std::optional<std::uint8_t> min_ttl;
  std::optional<std::uint8_t> max_ttl;
};

// What one instance accepts.
struct ReceivePolicy {
  bool unicast = false;
  std::vector<PeerPolicy> peers;  // unicast mode
  bool check_unicast_src = false;
  AuthType auth_type = AuthType::none;  // v2 only
  AuthData auth_data{};
};

struct Verdict {
  std::optional<DropReason> drop;  // empty: accepted
  std::string detail;              // why, for the debug log
  Advert advert;                   // valid when accepted
};

// VRID of a message, if it has one (the second byte of both versions).
[[nodiscard]] std::optional<std::uint8_t> peek_vrid(std::span<const std::uint8_t> message) noexcept;

// Checks 2–4 for a packet whose VRID matched an instance with `policy`.
[[nodiscard]] Verdict check_advert(const InboundPacket& packet, const ReceivePolicy& policy);

}  // namespace vrrp::io
