// DOC: Request factories — the attribute layout of each IPVS command, attribute by attribute
// (numbers from linux/ip_vs.h; the kernel side is ip_vs_genl_parse_service/_dest,
// ip_vs_genl_set_cmd, ip_vs_genl_set_daemon and ip_vs_genl_set_config in ip_vs_ctl.c).
#include "libipvs/request.hpp"
#include "common/overloaded.hpp"

#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstring>

#include "libipvs/wire.hpp"

namespace ipvs {

namespace {

using vigil::Overloaded;

constexpr std::uint16_t k_set_flags = NLM_F_REQUEST | NLM_F_ACK;
constexpr std::uint16_t k_dump_flags = NLM_F_REQUEST | NLM_F_DUMP;

std::uint16_t af_of(Family f) noexcept {
  return static_cast<std::uint16_t>(f == Family::v4 ? AF_INET : AF_INET6);
}

// AF, then FWMARK alone or PROTOCOL + ADDR + PORT: what ip_vs_genl_parse_service requires first.
void put_service_identity(wire::AttrWriter& w, const ServiceKey& key) {
  w.put_u16(IPVS_SVC_ATTR_AF, af_of(key.family()));
  if (key.is_fwmark()) {
    w.put_u32(IPVS_SVC_ATTR_FWMARK, key.fwmark());
    return;
  }
  w.put_u16(IPVS_SVC_ATTR_PROTOCOL, static_cast<std::uint16_t>(key.protocol()));
  w.put_bytes(IPVS_SVC_ATTR_ADDR, key.address().raw16());  // full union nf_inet_addr, as keepalived
  w.put_be16(IPVS_SVC_ATTR_PORT, key.port());
}

void put_service_key_nest(wire::AttrWriter& w, const ServiceKey& key) {
  const auto nest = w.begin_nest(IPVS_CMD_ATTR_SERVICE);
  put_service_identity(w, key);
  w.end_nest(nest);
}

void put_full_service(wire::AttrWriter& w, const Service& s) {
  const auto nest = w.begin_nest(IPVS_CMD_ATTR_SERVICE);
  put_service_identity(w, s.key);
  w.put_string(IPVS_SVC_ATTR_SCHED_NAME, s.scheduler);
  // Omitted = no persistence engine: ip_vs_edit_service unbinds the old one (pe_name NULL).
  if (!s.pe_name.empty()) w.put_string(IPVS_SVC_ATTR_PE_NAME, s.pe_name);
  // struct ip_vs_flags { flags; mask }: mask ~0 replaces every flag, as keepalived does.
  const struct ip_vs_flags flags{s.flags.bits(), ~0U};
  std::array<std::uint8_t, sizeof flags> raw{};
  std::memcpy(raw.data(), &flags, sizeof flags);
  w.put_bytes(IPVS_SVC_ATTR_FLAGS, raw);
  w.put_u32(IPVS_SVC_ATTR_TIMEOUT, s.timeout);
  // NETMASK: nla_get_be32 in the kernel. IPv4 stores the mask in network order; IPv6 stores the
  // prefix length as a plain number in the same field (ip_vs_add_service checks 1..128).
  if (s.key.family() == Family::v4)
    w.put_be32(IPVS_SVC_ATTR_NETMASK, s.netmask);
  else
    w.put_u32(IPVS_SVC_ATTR_NETMASK, s.netmask);
  w.end_nest(nest);
}

void put_dest_identity(wire::AttrWriter& w, const DestKey& key) {
  // ADDR_FAMILY first, as keepalived; the kernel falls back to the service's family without it.
  w.put_u16(IPVS_DEST_ATTR_ADDR_FAMILY, af_of(key.address.family()));
  w.put_bytes(IPVS_DEST_ATTR_ADDR, key.address.raw16());
  w.put_be16(IPVS_DEST_ATTR_PORT, key.port);
}

void put_full_dest(wire::AttrWriter& w, const Dest& d) {
  const auto nest = w.begin_nest(IPVS_CMD_ATTR_DEST);
  put_dest_identity(w, d.key);
  w.put_u32(IPVS_DEST_ATTR_FWD_METHOD, static_cast<std::uint32_t>(d.forward));
  w.put_u32(IPVS_DEST_ATTR_WEIGHT, d.weight);
  if (d.forward == ForwardMethod::tunnel) {
    w.put_u8(IPVS_DEST_ATTR_TUN_TYPE, static_cast<std::uint8_t>(d.tunnel_type));
    if (d.tunnel_type == TunnelType::gue) w.put_be16(IPVS_DEST_ATTR_TUN_PORT, d.tunnel_port);
    if (d.tunnel_type != TunnelType::ipip)
      w.put_u16(IPVS_DEST_ATTR_TUN_FLAGS, static_cast<std::uint16_t>(d.tunnel_checksum));
  }
  w.put_u32(IPVS_DEST_ATTR_U_THRESH, d.upper_threshold);
  w.put_u32(IPVS_DEST_ATTR_L_THRESH, d.lower_threshold);
  w.end_nest(nest);
}

}  // namespace

Request Request::add_service(const Service& service) {
  Request r(IPVS_CMD_NEW_SERVICE, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  put_full_service(w, service);
  return r;
}

Request Request::set_service(const Service& service) {
  Request r(IPVS_CMD_SET_SERVICE, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  put_full_service(w, service);
  return r;
}

Request Request::del_service(const ServiceKey& key) {
  Request r(IPVS_CMD_DEL_SERVICE, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  put_service_key_nest(w, key);
  return r;
}

Request Request::add_dest(const ServiceKey& service, const Dest& dest) {
  Request r(IPVS_CMD_NEW_DEST, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  put_service_key_nest(w, service);
  put_full_dest(w, dest);
  return r;
}

Request Request::set_dest(const ServiceKey& service, const Dest& dest) {
  Request r(IPVS_CMD_SET_DEST, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  put_service_key_nest(w, service);
  put_full_dest(w, dest);
  return r;
}

Request Request::del_dest(const ServiceKey& service, const DestKey& dest) {
  Request r(IPVS_CMD_DEL_DEST, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  put_service_key_nest(w, service);
  const auto nest = w.begin_nest(IPVS_CMD_ATTR_DEST);
  put_dest_identity(w, dest);
  w.end_nest(nest);
  return r;
}

Request Request::flush() { return Request(IPVS_CMD_FLUSH, k_set_flags); }

Request Request::zero() { return Request(IPVS_CMD_ZERO, k_set_flags); }

Request Request::from(const Operation& op) {
  return std::visit(Overloaded{
                        [](const AddService& o) { return add_service(o.service); },
                        [](const SetService& o) { return set_service(o.service); },
                        [](const DelService& o) { return del_service(o.key); },
                        [](const AddDest& o) { return add_dest(o.service, o.dest); },
                        [](const SetDest& o) { return set_dest(o.service, o.dest); },
                        [](const DelDest& o) { return del_dest(o.service, o.dest); },
                    },
                    op);
}

Request Request::new_daemon(const SyncDaemon& daemon) {
  Request r(IPVS_CMD_NEW_DAEMON, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  const auto nest = w.begin_nest(IPVS_CMD_ATTR_DAEMON);
  // STATE, MCAST_IFN and SYNC_ID are mandatory (ip_vs_genl_new_daemon); the rest since 4.3.
  w.put_u32(IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(daemon.state));
  w.put_string(IPVS_DAEMON_ATTR_MCAST_IFN, daemon.interface);
  w.put_u32(IPVS_DAEMON_ATTR_SYNC_ID, daemon.sync_id);
  if (daemon.max_len) w.put_u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, *daemon.max_len);
  if (daemon.group) {
    if (daemon.group->is_v4())
      w.put_bytes(IPVS_DAEMON_ATTR_MCAST_GROUP, daemon.group->bytes());  // in_addr, network order
    else
      w.put_bytes(IPVS_DAEMON_ATTR_MCAST_GROUP6, daemon.group->bytes());
  }
  // MCAST_PORT is NLA_U16 read with nla_get_u16: host order, unlike the service/dest ports.
  if (daemon.port) w.put_u16(IPVS_DAEMON_ATTR_MCAST_PORT, *daemon.port);
  if (daemon.ttl) w.put_u8(IPVS_DAEMON_ATTR_MCAST_TTL, *daemon.ttl);
  w.end_nest(nest);
  return r;
}

Request Request::del_daemon(SyncState state) {
  Request r(IPVS_CMD_DEL_DAEMON, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  const auto nest = w.begin_nest(IPVS_CMD_ATTR_DAEMON);
  w.put_u32(IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(state));  // the only one read
  w.end_nest(nest);
  return r;
}

Request Request::set_timeouts(const Timeouts& timeouts) {
  Request r(IPVS_CMD_SET_CONFIG, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  if (timeouts.tcp) w.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP, *timeouts.tcp);
  if (timeouts.tcp_fin) w.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, *timeouts.tcp_fin);
  if (timeouts.udp) w.put_u32(IPVS_CMD_ATTR_TIMEOUT_UDP, *timeouts.udp);
  return r;
}

Request Request::dump_services() { return Request(IPVS_CMD_GET_SERVICE, k_dump_flags); }

Request Request::get_service(const ServiceKey& service) {
  Request r(IPVS_CMD_GET_SERVICE, k_set_flags);
  wire::AttrWriter w(r.attrs_);
  put_service_key_nest(w, service);
  return r;
}

Request Request::dump_dests(const ServiceKey& service) {
  Request r(IPVS_CMD_GET_DEST, k_dump_flags);
  wire::AttrWriter w(r.attrs_);
  put_service_key_nest(w, service);
  return r;
}

Request Request::dump_daemons() { return Request(IPVS_CMD_GET_DAEMON, k_dump_flags); }

Request Request::get_info() { return Request(IPVS_CMD_GET_INFO, k_set_flags); }

Request Request::get_timeouts() { return Request(IPVS_CMD_GET_CONFIG, k_set_flags); }

Request Request::get_family(std::string_view name) {
  Request r(CTRL_CMD_GETFAMILY, k_set_flags);
  r.fixed_type_ = GENL_ID_CTRL;
  wire::AttrWriter w(r.attrs_);
  w.put_string(CTRL_ATTR_FAMILY_NAME, name);
  return r;
}

Request Request::barrier() {
  Request r(0, k_set_flags);
  r.fixed_type_ = NLMSG_NOOP;
  r.genl_header_ = false;
  return r;
}

bool Request::is_dump() const noexcept { return (flags_ & NLM_F_DUMP) == NLM_F_DUMP; }

std::size_t Request::encoded_size() const noexcept {
  return NLMSG_HDRLEN + (genl_header_ ? GENL_HDRLEN : 0U) + attrs_.size();
}

std::vector<std::uint8_t> Request::encode(std::uint16_t family_id, std::uint32_t seq) const {
  std::vector<std::uint8_t> out;
  out.reserve(encoded_size());
  encode_into(out, family_id, seq);
  return out;
}

void Request::encode_into(std::vector<std::uint8_t>& out, std::uint16_t family_id, std::uint32_t seq) const {
  const std::size_t start = out.size();
  const struct nlmsghdr header{static_cast<std::uint32_t>(encoded_size()), fixed_type_.value_or(family_id), flags_, seq,
                               0};  // pid 0: the kernel addresses replies by the socket's port id
  out.resize(start + NLMSG_HDRLEN, 0);
  std::memcpy(out.data() + start, &header, sizeof header);
  if (genl_header_) {
    const struct genlmsghdr genl{command_, fixed_type_ ? std::uint8_t{1} : std::uint8_t{IPVS_GENL_VERSION}, 0};
    const std::size_t at = out.size();
    out.resize(at + GENL_HDRLEN, 0);
    std::memcpy(out.data() + at, &genl, sizeof genl);
  }
  out.insert(out.end(), attrs_.begin(), attrs_.end());
}

}  // namespace ipvs
