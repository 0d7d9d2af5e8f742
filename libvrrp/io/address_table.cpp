// DOC: RTM_NEWADDR / RTM_DELADDR through libnl-route's rtnl_addr. IPv6 VIPs are added with
// IFA_F_NODAD as keepalived does: a tentative address cannot be used during DAD, and the
// duplicate DAD would find is exactly the one VRRP exists to resolve.
#include "libvrrp/io/address_table.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <sys/socket.h>

#include <utility>

namespace vrrp::io {
namespace {

struct AddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using AddrPtr = std::unique_ptr<rtnl_addr, AddrDeleter>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrDeleter>;

NlAddrPtr to_nl(const vigil::IpAddress& a, int prefix_len) {
  NlAddrPtr p(nl_addr_build(a.is_v4() ? AF_INET : AF_INET6, a.bytes().data(), a.bytes().size()));
  if (p) nl_addr_set_prefixlen(p.get(), prefix_len);
  return p;
}

int to_rt_scope(AddressScope s) {
  switch (s) {
    case AddressScope::global: return RT_SCOPE_UNIVERSE;
    case AddressScope::site: return RT_SCOPE_SITE;
    case AddressScope::link: return RT_SCOPE_LINK;
    case AddressScope::host: return RT_SCOPE_HOST;
    case AddressScope::nowhere: return RT_SCOPE_NOWHERE;
  }
  return RT_SCOPE_UNIVERSE;
}

vigil::IpAddress last_address(const vigil::IpPrefix& p) {
  const std::uint32_t host_bits = p.length >= 32 ? 0U : (0xFFFFFFFFU >> p.length);
  return vigil::IpAddress::from_v4_u32(p.address.v4_u32() | host_bits);
}

vigil::Result<AddrPtr> build(const VipSpec& vip) {
  AddrPtr a(rtnl_addr_alloc());
  if (!a) return vigil::make_error("out of memory");
  const bool v4 = vip.prefix.address.is_v4();
  rtnl_addr_set_ifindex(a.get(), vip.ifindex);
  rtnl_addr_set_family(a.get(), v4 ? AF_INET : AF_INET6);
  const auto local = to_nl(vip.prefix.address, vip.prefix.length);
  if (!local || rtnl_addr_set_local(a.get(), local.get()) < 0) return vigil::make_error("bad address");
  rtnl_addr_set_prefixlen(a.get(), vip.prefix.length);
  rtnl_addr_set_scope(a.get(), to_rt_scope(vip.scope));
  if (vip.label && v4 && rtnl_addr_set_label(a.get(), vip.label->c_str()) < 0) {
    return vigil::make_error("label '" + *vip.label + "' is too long (15 characters at most)");
  }
  if (v4 && (vip.broadcast || vip.broadcast_auto)) {
    const auto brd = to_nl(vip.broadcast ? *vip.broadcast : last_address(vip.prefix), 32);
    if (!brd || rtnl_addr_set_broadcast(a.get(), brd.get()) < 0) return vigil::make_error("bad broadcast");
  }
  if (vip.peer) {
    const auto peer = to_nl(*vip.peer, vip.prefix.length);
    if (!peer || rtnl_addr_set_peer(a.get(), peer.get()) < 0) return vigil::make_error("bad peer address");
  }
  unsigned flags = 0;
  if (vip.no_dad || !v4) flags |= IFA_F_NODAD;
  if (vip.no_prefix_route) flags |= IFA_F_NOPREFIXROUTE;
  if (flags != 0) rtnl_addr_set_flags(a.get(), flags);
  if (vip.preferred_lft) rtnl_addr_set_preferred_lifetime(a.get(), *vip.preferred_lft);
  return a;
}

vigil::Error nl_failure(const char* op, const VipSpec& vip, int err) {
  std::string text = std::string(op) + " " + vip.to_string() + ": " + nl_geterror(err);
  if (err == -NLE_PERM) text += " (needs CAP_NET_ADMIN)";
  return vigil::make_error(std::move(text), -err);
}

}  // namespace

std::string VipSpec::to_string() const {
  std::string s = prefix.to_string() + " dev " + dev;
  if (label) s += " label " + *label;
  return s;
}

vigil::Result<AddressTable> AddressTable::open() {
  nl_sock* s = nl_socket_alloc();
  if (s == nullptr) return vigil::make_error("nl_socket_alloc failed");
  if (const int err = nl_connect(s, NETLINK_ROUTE); err < 0) {
    nl_socket_free(s);
    return vigil::make_error(std::string("rtnetlink: ") + nl_geterror(err), -err);
  }
  return AddressTable(s);
}

AddressTable::~AddressTable() {
  if (socket_ != nullptr) nl_socket_free(socket_);
}

AddressTable::AddressTable(AddressTable&& other) noexcept : socket_(std::exchange(other.socket_, nullptr)) {}

AddressTable& AddressTable::operator=(AddressTable&& other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) nl_socket_free(socket_);
    socket_ = std::exchange(other.socket_, nullptr);
  }
  return *this;
}

vigil::Result<bool> AddressTable::add(const VipSpec& vip) {
  auto a = build(vip);
  if (!a) return a.error();
  const int err = rtnl_addr_add(socket_, a->get(), NLM_F_EXCL);
  if (err == -NLE_EXIST) return false;
  if (err < 0) return nl_failure("add", vip, err);
  return true;
}

vigil::Result<bool> AddressTable::remove(const VipSpec& vip) {
  auto a = build(vip);
  if (!a) return a.error();
  const int err = rtnl_addr_delete(socket_, a->get(), 0);
  if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
  if (err < 0) return nl_failure("remove", vip, err);
  return true;
}

}  // namespace vrrp::io
