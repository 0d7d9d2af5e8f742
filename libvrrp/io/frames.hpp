// DOC: Ethernet frames that announce an address — pure builders, tested byte by byte.
//
//   Gratuitous ARP (RFC 5227 §3, RFC 5798 §6.4.2 "broadcast a gratuitous ARP request"): an ARP
//   request to ff:ff:ff:ff:ff:ff whose sender and target protocol addresses are both the VIP.
//   keepalived sends the request form with the target hardware address set to broadcast too.
//
//   Unsolicited Neighbor Advertisement (RFC 4861 §7.2.6, RFC 5798 §6.4.2 for IPv6): ICMPv6 type
//   136 from the VIP to all-nodes ff02::1 (33:33:00:00:00:01), hop limit 255, Override set,
//   Solicited clear, with a Target Link-Layer Address option.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/ip_address.hpp"

namespace vrrp::io {

using MacAddress = std::array<std::uint8_t, 6>;

[[nodiscard]] std::vector<std::uint8_t> gratuitous_arp_frame(const MacAddress& source_mac, const vigil::IpAddress& address);

[[nodiscard]] std::vector<std::uint8_t> unsolicited_na_frame(const MacAddress& source_mac, const vigil::IpAddress& address,
                                                             bool router_flag = false);

// The frame for `address`'s family.
[[nodiscard]] std::vector<std::uint8_t> announcement_frame(const MacAddress& source_mac, const vigil::IpAddress& address);

}  // namespace vrrp::io
