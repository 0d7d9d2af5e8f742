// DOC: Helpers for the libipvs tests: a tiny, independent netlink byte builder (literal attribute
// numbers, so the tests do not reuse the encoder they check) and table/config shorthands.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "conf/model.hpp"
#include "libipvs/model.hpp"

namespace ipvs::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes le16(std::uint16_t v) { return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)}; }
inline Bytes be16(std::uint16_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
inline Bytes le32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 24)};
}
inline Bytes le64(std::uint64_t v) {
  Bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return out;
}
inline Bytes str(const std::string& s) {
  Bytes out(s.begin(), s.end());
  out.push_back(0);
  return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// One netlink attribute: u16 length (header + payload), u16 type, payload, zero padding to 4.
inline Bytes nla(std::uint16_t type, const Bytes& payload) {
  Bytes out = cat({le16(static_cast<std::uint16_t>(4 + payload.size())), le16(type), payload});
  while (out.size() % 4 != 0) out.push_back(0);
  return out;
}

/// nlmsghdr (len, type, flags, seq, pid 0) + payload.
inline Bytes nlmsg(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const Bytes& payload) {
  Bytes out = cat({le32(static_cast<std::uint32_t>(16 + payload.size())), le16(type), le16(flags), le32(seq), le32(0),
                   payload});
  while (out.size() % 4 != 0) out.push_back(0);
  return out;
}

/// genlmsghdr (cmd, version, reserved) + attributes.
inline Bytes genl(std::uint8_t cmd, const Bytes& attrs, std::uint8_t version = 1) {
  return cat({Bytes{cmd, version, 0, 0}, attrs});
}

inline Bytes addr16(const vigil::IpAddress& a) {
  const auto& raw = a.raw16();
  return Bytes(raw.begin(), raw.end());
}

inline vigil::IpAddress ip(const char* text) { return *vigil::IpAddress::parse(text); }

inline ServiceKey tcp(const char* address, std::uint16_t port) { return ServiceKey(Protocol::tcp, ip(address), port); }

inline Dest dest(const char* address, std::uint16_t port, std::uint32_t weight = 1,
                 ForwardMethod forward = ForwardMethod::masq) {
  return Dest::make(ip(address), port, forward, weight);
}

/// A table with `services` TCP services 10.x.y.z:80 (rr), each with `dests` dests.
inline Table big_table(std::size_t services, std::size_t dests) {
  Table t;
  for (std::size_t i = 0; i < services; ++i) {
    const auto addr = vigil::IpAddress::from_v4_u32(0x0a000000U + static_cast<std::uint32_t>(i));
    auto& entry = t.put(Service::make(ServiceKey(Protocol::tcp, addr, 80), "rr"));
    for (std::size_t j = 0; j < dests; ++j) {
      const auto raddr = vigil::IpAddress::from_v4_u32(0xac100000U + static_cast<std::uint32_t>(i * dests + j));
      const Dest d = Dest::make(raddr, 8080, ForwardMethod::masq, 1);
      entry.dests.emplace(d.key, d);
    }
  }
  return t;
}

// --- config shorthands ---

inline conf::RealServer real_server(const char* address, std::uint16_t port, std::uint32_t weight = 1) {
  conf::RealServer rs;
  rs.address = ip(address);
  rs.port = port;
  rs.weight = weight;
  rs.checkers.push_back(conf::Checker{});  // checked, so health applies (no checker = always up)
  return rs;
}

inline conf::VirtualServer virtual_server(const char* address, std::uint16_t port,
                                          std::initializer_list<conf::RealServer> real_servers) {
  conf::VirtualServer vs;
  vs.address = ip(address);
  vs.family = vs.address->family();
  vs.port = port;
  vs.scheduler = "rr";
  vs.real_servers = real_servers;
  return vs;
}

}  // namespace ipvs::test
