// libFuzzer target: the VRRP receive path on raw bytes, as the socket hands them over.
//
// Input: one selector byte, then the datagram. Selector bits:
//   0     family: 0 = IPv4 (the bytes are a whole IPv4 datagram, IP header first, as a raw IPv4
//         socket delivers it), 1 = IPv6 (the bytes are the VRRP message alone, hop limit from
//         ancillary data = selector bits 4..7 mapped onto {255, 64, 1, ...})
//   1..2  the instance's auth: none, PASS "secret12", AH
//   3     unicast mode with check_unicast_src, one peer (198.18.0.1 / fe80::2) with TTL 250..255
//
// Path: parse_ipv4_packet → peek_vrid → check_advert (TTL, peer, decode incl. checksum and auth).
// Oracles beyond "no sanitizer report": an accepted advert re-encodes to bytes that decode to the
// same advert with the same checksum form, and the drop reason of a refused one is in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "libvrrp/core/advert_codec.hpp"
#include "libvrrp/io/receive_check.hpp"

namespace {

using vigil::Family;
using vigil::IpAddress;

[[noreturn]] void oracle_failed() { std::abort(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);

  vrrp::io::InboundPacket packet;
  if ((selector & 0x01U) == 0) {
    packet.family = Family::v4;
    const auto ip = vrrp::parse_ipv4_packet(bytes);
    if (!ip) {
      if (!vrrp::decode_error(ip.error())) oracle_failed();  // every refusal names its reason
      return 0;
    }
    packet.source = ip->source;
    packet.destination = ip->destination;
    packet.hop_limit = ip->ttl;
    packet.message = ip->payload;
  } else {
    packet.family = Family::v6;
    packet.source = *IpAddress::parse("fe80::2");
    packet.destination = *IpAddress::parse("ff02::12");
    static constexpr std::uint8_t k_hops[] = {255, 64, 1, 0, 254, 128, 255, 255,
                                              255, 255, 2, 3, 255, 100, 200, 255};
    packet.hop_limit = k_hops[selector >> 4];
    packet.message = bytes;
  }
  if (!vrrp::io::peek_vrid(packet.message)) return 0;

  vrrp::io::ReceivePolicy policy;
  switch ((selector >> 1) & 0x03U) {
    case 1:
      policy.auth_type = vrrp::AuthType::simple_password;
      policy.auth_data = {'s', 'e', 'c', 'r', 'e', 't', '1', '2'};
      break;
    case 2: policy.auth_type = vrrp::AuthType::ip_ah; break;
    default: break;
  }
  if ((selector & 0x08U) != 0) {
    policy.unicast = true;
    policy.check_unicast_src = true;
    policy.peers.push_back({*IpAddress::parse(packet.family == Family::v4 ? "198.18.0.1" : "fe80::2"), 250, 255});
  }

  const auto verdict = vrrp::io::check_advert(packet, policy);
  if (verdict.drop) {
    if (static_cast<std::size_t>(*verdict.drop) >= vrrp::io::k_drop_reason_count) oracle_failed();
    if (vrrp::io::to_string(*verdict.drop) == "unknown" || verdict.detail.empty()) oracle_failed();
    return 0;
  }

  // Accepted: decode again to learn the checksum form, re-encode, decode the result.
  vrrp::DecodeContext dctx;
  dctx.family = packet.family;
  dctx.source = packet.source;
  dctx.destination = packet.destination;
  dctx.auth_type = policy.auth_type;
  dctx.auth_data = policy.auth_data;
  const auto first = vrrp::decode(packet.message, dctx);
  if (!first || !(first->advert == verdict.advert)) oracle_failed();
  vrrp::EncodeContext ectx;
  ectx.family = packet.family;
  ectx.source = packet.source;
  ectx.destination = packet.destination;
  ectx.v3_ipv4_checksum = first->checksum;
  const auto encoded = vrrp::encode(first->advert, ectx);
  if (encoded.size() != vrrp::message_size(first->advert.version, packet.family, first->advert.addresses.size()))
    oracle_failed();
  const auto second = vrrp::decode(encoded, dctx);
  if (!second || !(second->advert == first->advert)) oracle_failed();
  // v3 over IPv4 accepts both checksum forms; a message whose two sums agree is ambiguous.
  if (packet.family == Family::v6 || first->advert.version == 2) {
    if (second->checksum != first->checksum) oracle_failed();
  }
  return 0;
}
