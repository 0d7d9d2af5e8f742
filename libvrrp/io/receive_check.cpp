// DOC: The receive checks of receive_check.hpp, cheapest first, so that a flood of bad packets
// (vrrp-lab.md: 10,000 TTL-64 adverts/s) is rejected before checksumming or allocating.
#include "libvrrp/io/receive_check.hpp"

#include <algorithm>

namespace vrrp::io {

std::string_view to_string(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::too_short: return "too_short";
    case DropReason::bad_ip_header: return "bad_ip_header";
    case DropReason::bad_ip_length: return "bad_ip_length";
    case DropReason::fragmented: return "fragmented";
    case DropReason::not_vrrp: return "not_vrrp";
    case DropReason::bad_version: return "bad_version";
    case DropReason::bad_type: return "bad_type";
    case DropReason::bad_length: return "bad_length";
    case DropReason::bad_checksum: return "bad_checksum";
    case DropReason::bad_interval: return "bad_interval";
    case DropReason::bad_auth_type: return "bad_auth_type";
    case DropReason::auth_mismatch: return "auth_mismatch";
    case DropReason::bad_password: return "bad_password";
    case DropReason::bad_ttl: return "bad_ttl";
    case DropReason::unknown_vrid: return "unknown_vrid";
    case DropReason::not_a_peer: return "not_a_peer";
    case DropReason::own_address: return "own_address";
    case DropReason::version_mismatch: return "version_mismatch";
    case DropReason::interval_mismatch: return "interval_mismatch";
  }
  return "unknown";
}

static_assert(static_cast<std::size_t>(DropReason::interval_mismatch) + 1 == k_drop_reason_count,
              "k_drop_reason_count must follow the last DropReason");

DropReason from_decode_error(DecodeError error) noexcept {
  // DecodeError starts at 1 and its first 13 values are the first 13 DropReasons.
  static_assert(static_cast<int>(DecodeError::bad_password) == static_cast<int>(DropReason::bad_password) + 1);
  return static_cast<DropReason>(static_cast<int>(error) - 1);
}

std::optional<std::uint8_t> peek_vrid(std::span<const std::uint8_t> message) noexcept {
  if (message.size() < 2) return std::nullopt;
  return message[1];
}

Verdict check_advert(const InboundPacket& packet, const ReceivePolicy& policy) {
  Verdict v;
  const PeerPolicy* peer = nullptr;
  if (policy.unicast) {
    const auto it = std::find_if(policy.peers.begin(), policy.peers.end(),
                                 [&](const PeerPolicy& p) { return p.address == packet.source; });
    if (it != policy.peers.end()) peer = &*it;
    if (peer == nullptr && policy.check_unicast_src) {
      v.drop = DropReason::not_a_peer;
      v.detail = "source " + packet.source.to_string() + " is not a unicast_peer";
      return v;
    }
  }
  // RFC 5798 §7.1: a packet that crossed a router cannot come from our LAN. In unicast mode peers
  // may be routed, so keepalived checks only the bounds configured for the peer.
  if (!policy.unicast) {
    if (packet.hop_limit != k_ttl) {
      v.drop = DropReason::bad_ttl;
      v.detail = "TTL/hop limit " + std::to_string(packet.hop_limit) + " from " + packet.source.to_string();
      return v;
    }
  } else if (peer != nullptr) {
    if ((peer->min_ttl && packet.hop_limit < *peer->min_ttl) || (peer->max_ttl && packet.hop_limit > *peer->max_ttl)) {
      v.drop = DropReason::bad_ttl;
      v.detail = "TTL " + std::to_string(packet.hop_limit) + " outside the bounds set for peer " +
                 packet.source.to_string();
      return v;
    }
  }
  DecodeContext ctx;
  ctx.family = packet.family;
  ctx.source = packet.source;
  ctx.destination = packet.destination;
  ctx.auth_type = policy.auth_type;
  ctx.auth_data = policy.auth_data;
  auto decoded = decode(packet.message, ctx);
  if (!decoded) {
    const auto reason = decode_error(decoded.error());
    v.drop = reason ? from_decode_error(*reason) : DropReason::bad_length;
    v.detail = decoded.error().message + " from " + packet.source.to_string();
    return v;
  }
  v.advert = std::move(decoded->advert);
  return v;
}

}  // namespace vrrp::io
