// DOC: Byte layouts of the announcement frames (Ethernet II + ARP, Ethernet II + IPv6 + ICMPv6).
#include "libvrrp/io/frames.hpp"

namespace vrrp::io {
namespace {

constexpr std::uint16_t k_ethertype_arp = 0x0806;
constexpr std::uint16_t k_ethertype_ipv6 = 0x86DD;
constexpr std::uint8_t k_icmpv6 = 58;
constexpr std::uint8_t k_neighbor_advertisement = 136;

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFFU));
}

template <std::size_t N>
void put(std::vector<std::uint8_t>& out, const std::array<std::uint8_t, N>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void put(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void ethernet(std::vector<std::uint8_t>& out, const MacAddress& dst, const MacAddress& src, std::uint16_t type) {
  put(out, dst);
  put(out, src);
  put16(out, type);
}

// RFC 1071 one's-complement checksum over big-endian words.
std::uint16_t checksum(std::span<const std::uint8_t> data, std::uint32_t sum) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (std::uint32_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) sum += std::uint32_t{data[i]} << 8;
  while (sum >> 16) sum = (sum & 0xFFFFU) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xFFFFU);
}

}  // namespace

std::vector<std::uint8_t> gratuitous_arp_frame(const MacAddress& source_mac, const vigil::IpAddress& address) {
  const MacAddress broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  std::vector<std::uint8_t> out;
  out.reserve(42);
  ethernet(out, broadcast, source_mac, k_ethertype_arp);
  put16(out, 1);       // hardware type: Ethernet
  put16(out, 0x0800);  // protocol type: IPv4
  out.push_back(6);    // hardware address length
  out.push_back(4);    // protocol address length
  put16(out, 1);       // operation: request
  put(out, source_mac);
  put(out, address.bytes());
  put(out, broadcast);
  put(out, address.bytes());
  return out;
}

std::vector<std::uint8_t> unsolicited_na_frame(const MacAddress& source_mac, const vigil::IpAddress& address,
                                               bool router_flag) {
  const MacAddress all_nodes_mac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
  const auto all_nodes = *vigil::IpAddress::parse("ff02::1");

  // ICMPv6 NA: type, code, checksum, flags(R S O), reserved, target, option 2 (TLLA, 8 bytes).
  std::vector<std::uint8_t> icmp;
  icmp.reserve(32);
  icmp.push_back(k_neighbor_advertisement);
  icmp.push_back(0);
  put16(icmp, 0);
  icmp.push_back(static_cast<std::uint8_t>((router_flag ? 0x80U : 0U) | 0x20U));  // Override, not Solicited
  icmp.push_back(0);
  icmp.push_back(0);
  icmp.push_back(0);
  put(icmp, address.bytes());
  icmp.push_back(2);  // Target Link-Layer Address
  icmp.push_back(1);  // length in units of 8 bytes
  put(icmp, source_mac);

  // RFC 4443 §2.3: the checksum covers the IPv6 pseudo-header.
  std::uint32_t pseudo = 0;
  auto add_words = [&](std::span<const std::uint8_t> b) {
    for (std::size_t i = 0; i + 1 < b.size(); i += 2) pseudo += (std::uint32_t{b[i]} << 8) | b[i + 1];
  };
  add_words(address.bytes());
  add_words(all_nodes.bytes());
  pseudo += static_cast<std::uint32_t>(icmp.size());
  pseudo += k_icmpv6;
  const std::uint16_t sum = checksum(icmp, pseudo);
  icmp[2] = static_cast<std::uint8_t>(sum >> 8);
  icmp[3] = static_cast<std::uint8_t>(sum & 0xFFU);

  std::vector<std::uint8_t> out;
  out.reserve(14 + 40 + icmp.size());
  ethernet(out, all_nodes_mac, source_mac, k_ethertype_ipv6);
  out.push_back(0x60);  // version 6, traffic class 0
  out.push_back(0);
  put16(out, 0);        // flow label
  put16(out, static_cast<std::uint16_t>(icmp.size()));
  out.push_back(k_icmpv6);
  out.push_back(255);   // RFC 4861 §7.1.2: hop limit 255
  put(out, address.bytes());
  put(out, all_nodes.bytes());
  put(out, std::span<const std::uint8_t>(icmp));
  return out;
}

std::vector<std::uint8_t> announcement_frame(const MacAddress& source_mac, const vigil::IpAddress& address) {
  return address.is_v4() ? gratuitous_arp_frame(source_mac, address) : unsolicited_na_frame(source_mac, address);
}

}  // namespace vrrp::io
