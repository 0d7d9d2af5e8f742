// DOC: Netlink reply parsing (see reply_parser.hpp). Kernel side: ip_vs_genl_fill_service,
// ip_vs_genl_fill_dest, ip_vs_genl_fill_stats(64), ip_vs_genl_fill_daemon and the GET_INFO /
// GET_CONFIG replies in ip_vs_ctl.c; NLMSG_ERROR/NLMSG_DONE framing in af_netlink.c.
#include "libipvs/reply_parser.hpp"

#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "libipvs/wire.hpp"

namespace ipvs {

namespace {

using vigil::make_error;
using vigil::Result;

Result<Family> family_from_af(std::uint16_t af) {
  if (af == AF_INET) return Family::v4;
  if (af == AF_INET6) return Family::v6;
  return make_error("unsupported address family " + std::to_string(af));
}

// The kernel sends the full 16-byte union nf_inet_addr; an IPv4 address is its first 4 bytes.
// Older senders (moby) send exactly 4 bytes for IPv4, which is accepted too.
Result<IpAddress> address_from(std::span<const std::uint8_t> raw, Family family, const char* what) {
  const std::size_t need = family == Family::v4 ? 4 : 16;
  if (raw.size() < need)
    return make_error(std::string(what) + " is " + std::to_string(raw.size()) + " bytes, need " + std::to_string(need));
  return *IpAddress::from_bytes(raw.first(need));
}

// STATS carries u32 counters and u64 byte counts, STATS64 u64 everywhere: read by size.
Stats parse_stats(std::span<const std::uint8_t> nest) {
  Stats s;
  const auto attrs = wire::Attrs::parse(nest);
  if (!attrs) return s;  // counters are informative only; a bad nest leaves them zero
  auto get = [&](std::uint16_t type) -> std::uint64_t {
    if (const auto v64 = attrs->raw(type); v64.size() >= 8) return *attrs->u64(type);
    return attrs->u32(type).value_or(0);
  };
  s.conns = get(IPVS_STATS_ATTR_CONNS);
  s.in_packets = get(IPVS_STATS_ATTR_INPKTS);
  s.out_packets = get(IPVS_STATS_ATTR_OUTPKTS);
  s.in_bytes = get(IPVS_STATS_ATTR_INBYTES);
  s.out_bytes = get(IPVS_STATS_ATTR_OUTBYTES);
  s.cps = get(IPVS_STATS_ATTR_CPS);
  s.in_pps = get(IPVS_STATS_ATTR_INPPS);
  s.out_pps = get(IPVS_STATS_ATTR_OUTPPS);
  s.in_bps = get(IPVS_STATS_ATTR_INBPS);
  s.out_bps = get(IPVS_STATS_ATTR_OUTBPS);
  return s;
}

Stats stats_of(const wire::Attrs& attrs, std::uint16_t stats64, std::uint16_t stats32) {
  if (attrs.has(stats64)) return parse_stats(attrs.raw(stats64));
  if (attrs.has(stats32)) return parse_stats(attrs.raw(stats32));
  return {};
}

Result<SyncDaemon> parse_daemon_attrs(std::span<const std::uint8_t> nest) {
  auto attrs = wire::Attrs::parse(nest);
  if (!attrs) return attrs.error();
  SyncDaemon d;
  const auto state = attrs->u32(IPVS_DAEMON_ATTR_STATE);
  if (!state || (*state != IP_VS_STATE_MASTER && *state != IP_VS_STATE_BACKUP))
    return make_error("sync daemon without a valid state");
  d.state = static_cast<SyncState>(*state);
  d.interface = attrs->string(IPVS_DAEMON_ATTR_MCAST_IFN).value_or("");
  d.sync_id = attrs->u32(IPVS_DAEMON_ATTR_SYNC_ID).value_or(0);
  d.max_len = attrs->u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN);
  d.port = attrs->u16(IPVS_DAEMON_ATTR_MCAST_PORT);
  d.ttl = attrs->u8(IPVS_DAEMON_ATTR_MCAST_TTL);
  if (const auto g4 = attrs->raw(IPVS_DAEMON_ATTR_MCAST_GROUP); g4.size() >= 4)
    d.group = IpAddress::from_bytes(g4.first(4));
  else if (const auto g6 = attrs->raw(IPVS_DAEMON_ATTR_MCAST_GROUP6); g6.size() >= 16)
    d.group = IpAddress::from_bytes(g6.first(16));
  return d;
}

// The extended-ack TLVs follow the echoed request: just its header when NLM_F_CAPPED, else the
// whole request (af_netlink.c netlink_ack).
std::string ext_ack_message(std::span<const std::uint8_t> payload, std::uint16_t flags) {
  if ((flags & NLM_F_ACK_TLVS) == 0 || payload.size() < sizeof(struct nlmsgerr)) return {};
  std::size_t offset = sizeof(int);
  if ((flags & NLM_F_CAPPED) != 0) {
    offset += NLMSG_HDRLEN;
  } else {
    std::uint32_t echoed_len = 0;
    std::memcpy(&echoed_len, payload.data() + sizeof(int), sizeof echoed_len);
    offset += wire::align4(echoed_len);
  }
  if (offset > payload.size()) return {};
  const auto tlvs = wire::Attrs::parse(payload.subspan(offset));
  if (!tlvs) return {};
  return tlvs->string(NLMSGERR_ATTR_MSG).value_or("");
}

Result<Message> parse_genl(std::uint16_t type, std::uint32_t seq, std::span<const std::uint8_t> payload,
                           std::uint16_t ipvs_family_id, Family dest_family, Counters counters) {
  if (payload.size() < GENL_HDRLEN)
    return make_error("generic netlink header truncated (" + std::to_string(payload.size()) + " bytes)");
  const std::uint8_t command = payload[0];
  auto attrs = wire::Attrs::parse(payload.subspan(GENL_HDRLEN));
  if (!attrs) return attrs.error();

  if (type == GENL_ID_CTRL && command == CTRL_CMD_NEWFAMILY) {
    const auto id = attrs->u16(CTRL_ATTR_FAMILY_ID);
    if (!id) return make_error("nlctrl family reply without CTRL_ATTR_FAMILY_ID");
    return Message{FamilyMsg{seq, *id, attrs->string(CTRL_ATTR_FAMILY_NAME).value_or("")}};
  }
  if (type != ipvs_family_id) return Message{OtherMsg{seq, type}};

  switch (command) {
    case IPVS_CMD_NEW_SERVICE: {
      if (!attrs->has(IPVS_CMD_ATTR_SERVICE)) return make_error("service message without IPVS_CMD_ATTR_SERVICE");
      auto service = parse_service_attrs(attrs->raw(IPVS_CMD_ATTR_SERVICE), counters);
      if (!service) return service.error();
      return Message{ServiceMsg{seq, std::move(service).value()}};
    }
    case IPVS_CMD_NEW_DEST: {
      if (!attrs->has(IPVS_CMD_ATTR_DEST)) return make_error("dest message without IPVS_CMD_ATTR_DEST");
      auto dest = parse_dest_attrs(attrs->raw(IPVS_CMD_ATTR_DEST), dest_family, counters);
      if (!dest) return dest.error();
      return Message{DestMsg{seq, std::move(dest).value()}};
    }
    case IPVS_CMD_SET_INFO:
      return Message{InfoMsg{seq, attrs->u32(IPVS_INFO_ATTR_VERSION).value_or(0),
                             attrs->u32(IPVS_INFO_ATTR_CONN_TAB_SIZE).value_or(0)}};
    case IPVS_CMD_SET_CONFIG:
      return Message{TimeoutsMsg{seq, Timeouts{attrs->u32(IPVS_CMD_ATTR_TIMEOUT_TCP),
                                               attrs->u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN),
                                               attrs->u32(IPVS_CMD_ATTR_TIMEOUT_UDP)}}};
    case IPVS_CMD_NEW_DAEMON: {
      if (!attrs->has(IPVS_CMD_ATTR_DAEMON)) return make_error("daemon message without IPVS_CMD_ATTR_DAEMON");
      auto daemon = parse_daemon_attrs(attrs->raw(IPVS_CMD_ATTR_DAEMON));
      if (!daemon) return daemon.error();
      return Message{DaemonMsg{seq, std::move(daemon).value()}};
    }
    default:
      return Message{OtherMsg{seq, type}};
  }
}

}  // namespace

std::uint32_t seq_of(const Message& m) noexcept {
  return std::visit([](const auto& x) { return x.seq; }, m);
}

Result<Service> parse_service_attrs(std::span<const std::uint8_t> nest, Counters counters) {
  auto attrs = wire::Attrs::parse(nest);
  if (!attrs) return attrs.error();
  const auto af = attrs->u16(IPVS_SVC_ATTR_AF);
  if (!af) return make_error("service without IPVS_SVC_ATTR_AF");
  const auto family = family_from_af(*af);
  if (!family) return family.error();

  Service s;
  const auto fwmark = attrs->u32(IPVS_SVC_ATTR_FWMARK);
  if (fwmark && *fwmark != 0) {
    s.key = ServiceKey::firewall_mark(*fwmark, *family);
  } else {
    const auto protocol = attrs->u16(IPVS_SVC_ATTR_PROTOCOL);
    const auto port = attrs->be16(IPVS_SVC_ATTR_PORT);
    if (!protocol || !port || !attrs->has(IPVS_SVC_ATTR_ADDR))
      return make_error("service without fwmark or protocol/address/port");
    auto address = address_from(attrs->raw(IPVS_SVC_ATTR_ADDR), *family, "service address");
    if (!address) return address.error();
    s.key = ServiceKey(static_cast<Protocol>(*protocol), *address, *port);
  }
  s.scheduler = attrs->string(IPVS_SVC_ATTR_SCHED_NAME).value_or("");
  s.pe_name = attrs->string(IPVS_SVC_ATTR_PE_NAME).value_or("");
  if (const auto raw = attrs->raw(IPVS_SVC_ATTR_FLAGS); raw.size() >= sizeof(struct ip_vs_flags)) {
    struct ip_vs_flags flags{};
    std::memcpy(&flags, raw.data(), sizeof flags);
    s.flags = ServiceFlags::from_bits(flags.flags);  // drops HASHED, which the kernel always sets
  }
  s.timeout = attrs->u32(IPVS_SVC_ATTR_TIMEOUT).value_or(0);
  // Mirror of the request: be32 mask for IPv4, plain prefix length for IPv6.
  s.netmask = (*family == Family::v4 ? attrs->be32(IPVS_SVC_ATTR_NETMASK) : attrs->u32(IPVS_SVC_ATTR_NETMASK))
                  .value_or(Service::default_netmask(*family));
  if (counters == Counters::read) s.stats = stats_of(*attrs, IPVS_SVC_ATTR_STATS64, IPVS_SVC_ATTR_STATS);
  return s;
}

Result<Dest> parse_dest_attrs(std::span<const std::uint8_t> nest, Family dest_family, Counters counters) {
  auto attrs = wire::Attrs::parse(nest);
  if (!attrs) return attrs.error();
  Family family = dest_family;
  if (const auto af = attrs->u16(IPVS_DEST_ATTR_ADDR_FAMILY)) {
    const auto f = family_from_af(*af);
    if (!f) return f.error();
    family = *f;
  }
  const auto port = attrs->be16(IPVS_DEST_ATTR_PORT);
  if (!port || !attrs->has(IPVS_DEST_ATTR_ADDR)) return make_error("dest without address/port");
  auto address = address_from(attrs->raw(IPVS_DEST_ATTR_ADDR), family, "dest address");
  if (!address) return address.error();

  Dest d;
  d.key = DestKey{*address, *port};
  const auto forward = attrs->u32(IPVS_DEST_ATTR_FWD_METHOD).value_or(IP_VS_CONN_F_MASQ) & IP_VS_CONN_F_FWD_MASK;
  if (forward > IP_VS_CONN_F_BYPASS) return make_error("dest with unknown forwarding method " + std::to_string(forward));
  d.forward = static_cast<ForwardMethod>(forward);
  d.weight = attrs->u32(IPVS_DEST_ATTR_WEIGHT).value_or(0);
  d.upper_threshold = attrs->u32(IPVS_DEST_ATTR_U_THRESH).value_or(0);
  d.lower_threshold = attrs->u32(IPVS_DEST_ATTR_L_THRESH).value_or(0);
  d.active_conns = attrs->u32(IPVS_DEST_ATTR_ACTIVE_CONNS).value_or(0);
  d.inactive_conns = attrs->u32(IPVS_DEST_ATTR_INACT_CONNS).value_or(0);
  d.persistent_conns = attrs->u32(IPVS_DEST_ATTR_PERSIST_CONNS).value_or(0);
  const auto tun_type = attrs->u8(IPVS_DEST_ATTR_TUN_TYPE).value_or(IP_VS_CONN_F_TUNNEL_TYPE_IPIP);
  if (tun_type >= IP_VS_CONN_F_TUNNEL_TYPE_MAX) return make_error("dest with unknown tunnel type " + std::to_string(tun_type));
  d.tunnel_type = static_cast<TunnelType>(tun_type);
  d.tunnel_port = attrs->be16(IPVS_DEST_ATTR_TUN_PORT).value_or(0);
  const auto tun_flags = attrs->u16(IPVS_DEST_ATTR_TUN_FLAGS).value_or(IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM);
  d.tunnel_checksum = (tun_flags & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM) != 0 ? TunnelChecksum::remcsum
                      : (tun_flags & IP_VS_TUNNEL_ENCAP_FLAG_CSUM) != 0  ? TunnelChecksum::csum
                                                                         : TunnelChecksum::nocsum;
  if (counters == Counters::read) d.stats = stats_of(*attrs, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_STATS);
  return d;
}

Result<std::vector<Message>> parse_messages(std::span<const std::uint8_t> bytes, std::uint16_t ipvs_family_id,
                                            Family dest_family, Counters counters) {
  std::vector<Message> out;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const std::size_t left = bytes.size() - offset;
    if (left < NLMSG_HDRLEN)
      return make_error("netlink header truncated at offset " + std::to_string(offset) + " (" + std::to_string(left) +
                        " bytes left)");
    struct nlmsghdr header{};
    std::memcpy(&header, bytes.data() + offset, NLMSG_HDRLEN);
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > left)
      return make_error("netlink message length " + std::to_string(header.nlmsg_len) + " invalid at offset " +
                        std::to_string(offset) + " (" + std::to_string(left) + " bytes left)");
    const auto payload = bytes.subspan(offset + NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
    const std::uint32_t seq = header.nlmsg_seq;

    switch (header.nlmsg_type) {
      case NLMSG_NOOP:
        out.emplace_back(OtherMsg{seq, header.nlmsg_type});
        break;
      case NLMSG_ERROR: {
        if (payload.size() < sizeof(int))
          return make_error("NLMSG_ERROR truncated at offset " + std::to_string(offset));
        int error = 0;
        std::memcpy(&error, payload.data(), sizeof error);
        // The kernel sends -errno; clamp nonsense (INT_MIN, positive values) to EPROTO.
        const int errno_value = error == 0 ? 0 : (error < 0 && error > -4096 ? -error : EPROTO);
        out.emplace_back(AckMsg{seq, errno_value, ext_ack_message(payload, header.nlmsg_flags)});
        break;
      }
      case NLMSG_DONE: {
        int error = 0;
        if (payload.size() >= sizeof error) std::memcpy(&error, payload.data(), sizeof error);
        out.emplace_back(DoneMsg{seq, error == 0 ? 0 : (error < 0 && error > -4096 ? -error : EPROTO)});
        break;
      }
      case NLMSG_OVERRUN:
        return make_error("netlink overrun: replies were lost", ENOBUFS);
      default: {
        if (header.nlmsg_type < NLMSG_MIN_TYPE) {
          out.emplace_back(OtherMsg{seq, header.nlmsg_type});
          break;
        }
        auto message = parse_genl(header.nlmsg_type, seq, payload, ipvs_family_id, dest_family, counters);
        if (!message)
          return make_error("netlink message seq " + std::to_string(seq) + " at offset " + std::to_string(offset) +
                            ": " + message.error().message);
        out.push_back(std::move(message).value());
        break;
      }
    }
    offset += wire::align4(header.nlmsg_len);
  }
  return out;
}

}  // namespace ipvs
