// DOC: IPVS generic-netlink requests as values, built by named factories (Katran's
// NetlinkMessage::TC(…) idea). Building is pure: a Request holds the command, the netlink flags
// and the attribute bytes; encode() prefixes the nlmsghdr + genlmsghdr for a given genl family
// id and sequence number, so tests compare exact bytes and the socket is the only I/O.
//
// Encoding follows keepalived's libipvs.c (protocols.md): ADDR is the full 16-byte
// union nf_inet_addr, PORT is big-endian, FLAGS carries mask ~0, NEW/SET_SERVICE always carry
// SCHED_NAME, FLAGS, TIMEOUT and NETMASK (ip_vs_genl_parse_service returns EINVAL without them),
// dests always carry ADDR_FAMILY, and tunnel attributes go only with TUN (PORT only for GUE,
// FLAGS not for IPIP). One deliberate difference: requests that only name a service (DEL_SERVICE,
// the dest commands, the dest dump) carry only its identifying attributes (AF + FWMARK, or AF +
// PROTOCOL + ADDR + PORT): the kernel parses them with full_entry=false and would ignore the
// rest, and smaller messages mean more operations per batched send.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libipvs/model.hpp"
#include "libipvs/operation.hpp"

namespace ipvs {

/// IPVS sync daemon state (ip_vs.h IP_VS_STATE_*).
enum class SyncState : std::uint32_t { master = 1, backup = 2 };

/// lvs_sync_daemon settings (IPVS_CMD_ATTR_DAEMON). The optional fields exist since Linux 4.3.
struct SyncDaemon {
  SyncState state = SyncState::master;
  std::string interface;          // ≤ 15 bytes (IP_VS_IFNAME_MAXLEN incl. NUL)
  std::uint32_t sync_id = 0;
  std::optional<std::uint16_t> max_len;
  std::optional<IpAddress> group;  // IPv4 → MCAST_GROUP, IPv6 → MCAST_GROUP6
  std::optional<std::uint16_t> port;
  std::optional<std::uint8_t> ttl;
  friend bool operator==(const SyncDaemon&, const SyncDaemon&) = default;
};

/// lvs_timeouts (IPVS_CMD_SET_CONFIG): seconds; an absent one keeps the kernel's current value.
struct Timeouts {
  std::optional<std::uint32_t> tcp, tcp_fin, udp;
  friend bool operator==(const Timeouts&, const Timeouts&) = default;
};

class Request {
 public:
  // --- table changes (all with NLM_F_ACK) ---
  [[nodiscard]] static Request add_service(const Service& service);
  [[nodiscard]] static Request set_service(const Service& service);
  [[nodiscard]] static Request del_service(const ServiceKey& key);
  [[nodiscard]] static Request add_dest(const ServiceKey& service, const Dest& dest);
  [[nodiscard]] static Request set_dest(const ServiceKey& service, const Dest& dest);
  [[nodiscard]] static Request del_dest(const ServiceKey& service, const DestKey& dest);
  [[nodiscard]] static Request flush();
  [[nodiscard]] static Request zero();  // reset every counter
  [[nodiscard]] static Request from(const Operation& op);

  // --- global settings ---
  [[nodiscard]] static Request new_daemon(const SyncDaemon& daemon);
  [[nodiscard]] static Request del_daemon(SyncState state);
  [[nodiscard]] static Request set_timeouts(const Timeouts& timeouts);

  // --- reads ---
  [[nodiscard]] static Request dump_services();                    // NLM_F_DUMP
  [[nodiscard]] static Request get_service(const ServiceKey& service);  // one service, or ESRCH
  [[nodiscard]] static Request dump_dests(const ServiceKey& service);  // NLM_F_DUMP
  [[nodiscard]] static Request dump_daemons();                     // NLM_F_DUMP
  [[nodiscard]] static Request get_info();                         // reply: version, conn_tab size
  [[nodiscard]] static Request get_timeouts();                     // IPVS_CMD_GET_CONFIG
  /// nlctrl CTRL_CMD_GETFAMILY: resolves a genl family id by name (fixed type GENL_ID_CTRL,
  /// so encode()'s family argument is ignored).
  [[nodiscard]] static Request get_family(std::string_view name);
  /// NLMSG_NOOP with NLM_F_ACK: netlink_rcv_skb acks control messages without passing them to
  /// genl, so its ACK marks that every earlier request on the socket has been answered.
  [[nodiscard]] static Request barrier();

  /// The whole netlink message for this family id and sequence number.
  [[nodiscard]] std::vector<std::uint8_t> encode(std::uint16_t family_id, std::uint32_t seq) const;
  /// Appends the message to `out` (a batch of pipelined requests is one buffer).
  void encode_into(std::vector<std::uint8_t>& out, std::uint16_t family_id, std::uint32_t seq) const;

  [[nodiscard]] std::uint8_t command() const noexcept { return command_; }
  [[nodiscard]] std::uint16_t flags() const noexcept { return flags_; }
  [[nodiscard]] bool is_dump() const noexcept;
  [[nodiscard]] std::span<const std::uint8_t> attributes() const noexcept { return attrs_; }
  [[nodiscard]] std::size_t encoded_size() const noexcept;

 private:
  Request(std::uint8_t command, std::uint16_t flags) : command_(command), flags_(flags) {}

  std::uint8_t command_ = 0;
  std::uint16_t flags_ = 0;
  std::optional<std::uint16_t> fixed_type_;  // nlctrl / NOOP requests do not use the IPVS id
  bool genl_header_ = true;                  // NOOP has no genl header
  std::vector<std::uint8_t> attrs_;
};

}  // namespace ipvs
