// DOC: The IPVS table as values — what the kernel holds (from a dump) or what vigil wants it to
// hold (from the config and the health view).
//
// A ServiceKey is the kernel's identity of a virtual service: (family, protocol, address, port),
// or (family, firewall mark). A DestKey is a real server's identity inside one service: (address,
// port); its family may differ from the service's for mixed-family tunnels (ip_vs.h
// IPVS_DEST_ATTR_ADDR_FAMILY). Everything else is a setting that SET_SERVICE / SET_DEST can
// change in place, or a read-only counter that only dumps fill in.
//
// Table is ordered by those identities (a std::map of services, each with a sorted vector of
// dests): the diff walks two tables in step (one merge pass, no lookups), which keeps a
// no-change diff of 10,000 services × 4 dests in the low milliseconds.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/box.hpp"
#include "common/ip_address.hpp"
#include "libipvs/flat_map.hpp"

namespace ipvs {

using vigil::Family;
using vigil::IpAddress;

/// IP protocol number of a service (IPVS_SVC_ATTR_PROTOCOL). The kernel's genl path does not
/// validate it, so a dump may carry any value; the named ones are those ipvsadm/keepalived use.
enum class Protocol : std::uint16_t { tcp = 6, udp = 17, sctp = 132 };

/// Service flags (ip_vs.h IP_VS_SVC_F_*). HASHED (0x2) is kernel-internal and never kept here.
struct ServiceFlags {
  bool persistent = false;  // IP_VS_SVC_F_PERSISTENT
  bool one_packet = false;  // IP_VS_SVC_F_ONEPACKET ("ops", UDP only in practice)
  bool sched1 = false;      // IP_VS_SVC_F_SCHED1: sh-fallback / mh-fallback
  bool sched2 = false;      // IP_VS_SVC_F_SCHED2: sh-port / mh-port
  bool sched3 = false;      // IP_VS_SVC_F_SCHED3

  static constexpr std::uint32_t k_persistent = 0x0001;
  static constexpr std::uint32_t k_hashed = 0x0002;
  static constexpr std::uint32_t k_one_packet = 0x0004;
  static constexpr std::uint32_t k_sched1 = 0x0008;
  static constexpr std::uint32_t k_sched2 = 0x0010;
  static constexpr std::uint32_t k_sched3 = 0x0020;

  [[nodiscard]] std::uint32_t bits() const noexcept;
  [[nodiscard]] static ServiceFlags from_bits(std::uint32_t bits) noexcept;
  friend bool operator==(const ServiceFlags&, const ServiceFlags&) = default;
};

class ServiceKey {
 public:
  ServiceKey() = default;
  /// An address service; the family is the address's.
  ServiceKey(Protocol protocol, const IpAddress& address, std::uint16_t port) noexcept;
  /// A firewall-mark service. The kernel stores protocol TCP and no address for these
  /// (ip_vs_genl_parse_service), so they are normalised to that here.
  [[nodiscard]] static ServiceKey firewall_mark(std::uint32_t mark, Family family) noexcept;

  [[nodiscard]] Family family() const noexcept { return family_; }
  [[nodiscard]] Protocol protocol() const noexcept { return protocol_; }
  [[nodiscard]] const IpAddress& address() const noexcept { return address_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::uint32_t fwmark() const noexcept { return fwmark_; }
  [[nodiscard]] bool is_fwmark() const noexcept { return fwmark_ != 0; }

  /// "TCP 10.0.0.10:80", "UDP [2001:db8::1]:53", "FWM 7", "FWM 7 IPv6" (ipvsadm's words).
  [[nodiscard]] std::string to_string() const;

  friend auto operator<=>(const ServiceKey&, const ServiceKey&) = default;
  friend bool operator==(const ServiceKey&, const ServiceKey&) = default;

 private:
  // Member order is the sort order: fwmark services sort after address services.
  std::uint32_t fwmark_ = 0;
  Family family_ = Family::v4;
  Protocol protocol_ = Protocol::tcp;
  IpAddress address_;
  std::uint16_t port_ = 0;
};

/// Counters of a service or dest. Filled from STATS64 when the kernel sends it (Linux ≥ 4.1),
/// else from the 32-bit STATS nest; rates are per second, as the kernel's estimator gives them.
struct Stats {
  std::uint64_t conns = 0, in_packets = 0, out_packets = 0, in_bytes = 0, out_bytes = 0;
  std::uint64_t cps = 0, in_pps = 0, out_pps = 0, in_bps = 0, out_bps = 0;
  friend bool operator==(const Stats&, const Stats&) = default;
};

/// Whether a dump reads the counters. skip leaves Service/Dest::stats empty, for dumps whose
/// counters nobody looks at (no metrics endpoint): at 10,000 x 4 they are 4 MB per table.
enum class Counters : bool { skip, read };

struct Service {
  ServiceKey key;
  std::string scheduler = "wlc";  // ≤ 15 bytes; "none" = no scheduler (Linux ≥ 4.x)
  ServiceFlags flags;
  std::uint32_t timeout = 0;      // persistence timeout, seconds
  /// Persistence granularity. IPv4: the netmask in host order (0xffffff00 = /24), sent as be32.
  /// IPv6: the prefix length (1..128). keepalived sends 0xffffffff / 128 when none is set.
  std::uint32_t netmask = 0xffffffff;
  std::string pe_name;            // persistence engine ("sip"), empty = none
  /// Read-only, from dumps; none in a desired table. Boxed: a desired table at 10,000 × 4 would
  /// otherwise carry 4 MB of zero counters.
  vigil::Box<Stats> stats;

  /// Service with the keepalived defaults for its family (netmask ~0 or 128).
  [[nodiscard]] static Service make(const ServiceKey& key, std::string scheduler);
  [[nodiscard]] static std::uint32_t default_netmask(Family family) noexcept {
    return family == Family::v4 ? 0xffffffffU : 128U;
  }
  /// Equal in every field vigil sets (not the counters).
  [[nodiscard]] bool same_settings(const Service& other) const noexcept;
};

/// ip_vs.h IP_VS_CONN_F_* forwarding methods (IPVS_DEST_ATTR_FWD_METHOD, mask 0x7).
enum class ForwardMethod : std::uint8_t { masq = 0, local_node = 1, tunnel = 2, direct_route = 3, bypass = 4 };
enum class TunnelType : std::uint8_t { ipip = 0, gue = 1, gre = 2 };
/// IP_VS_TUNNEL_ENCAP_FLAG_*: nocsum = 0, csum = bit 0, remcsum = bit 1.
enum class TunnelChecksum : std::uint8_t { nocsum = 0, csum = 1, remcsum = 2 };

struct DestKey {
  IpAddress address;
  std::uint16_t port = 0;

  [[nodiscard]] std::string to_string() const;  // "10.0.0.2:80", "[2001:db8::2]:80"
  friend auto operator<=>(const DestKey&, const DestKey&) = default;
  friend bool operator==(const DestKey&, const DestKey&) = default;
};

struct Dest {
  DestKey key;
  ForwardMethod forward = ForwardMethod::masq;
  std::uint32_t weight = 1;            // the kernel takes an int: > INT32_MAX is ERANGE
  std::uint32_t upper_threshold = 0;   // 0 = no limit
  std::uint32_t lower_threshold = 0;   // the kernel refuses lower > upper (ERANGE)
  TunnelType tunnel_type = TunnelType::ipip;    // TUN only
  std::uint16_t tunnel_port = 0;                // GUE only
  TunnelChecksum tunnel_checksum = TunnelChecksum::nocsum;  // GUE/GRE only
  // read-only (dumps)
  std::uint32_t active_conns = 0;
  std::uint32_t inactive_conns = 0;
  std::uint32_t persistent_conns = 0;
  vigil::Box<Stats> stats;  // from dumps only (see Service::stats)

  [[nodiscard]] static Dest make(const IpAddress& address, std::uint16_t port, ForwardMethod forward,
                                 std::uint32_t weight);
  [[nodiscard]] Family family() const noexcept { return key.address.family(); }
  /// Equal in every field vigil sets. Tunnel fields count only where the kernel keeps them:
  /// type for TUN, port for GUE, checksum flags for GUE/GRE (what the request encoder sends).
  [[nodiscard]] bool same_settings(const Dest& other) const noexcept;
};

/// Dests of one service, sorted by key (a sorted vector: see flat_map.hpp).
using DestMap = FlatMap<DestKey, Dest>;

struct ServiceEntry {
  Service service;
  DestMap dests;
};

struct Table {
  std::map<ServiceKey, ServiceEntry> services;

  /// Insert or replace a service; its dests are kept when it already existed.
  ServiceEntry& put(Service service);
  /// Insert or replace a dest of an existing service; false when the service is missing.
  bool put_dest(const ServiceKey& service, const Dest& dest);
  [[nodiscard]] const ServiceEntry* find(const ServiceKey& key) const;
  [[nodiscard]] const Dest* find_dest(const ServiceKey& service, const DestKey& dest) const;
  [[nodiscard]] std::size_t dest_count() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return services.empty(); }
  /// `ipvsadm -Ln`-like listing, one line per service and per dest (tests, dumps, debugging).
  [[nodiscard]] std::string to_string() const;
};

[[nodiscard]] std::string_view to_string(Protocol p) noexcept;  // "TCP", "UDP", "SCTP", "?"
[[nodiscard]] std::string_view to_string(ForwardMethod m) noexcept;  // "nat", "dr", "tun", ...
[[nodiscard]] std::string_view to_string(TunnelType t) noexcept;
[[nodiscard]] std::string_view to_string(TunnelChecksum c) noexcept;
/// "10.0.0.1:80" or "[2001:db8::1]:80".
using vigil::format_endpoint;

}  // namespace ipvs
