// DOC: AddressTable — adds and removes virtual addresses through rtnetlink (libnl-route), never by
// running `ip`. Each VIP keeps what keepalived's `virtual_ipaddress` line says: prefix, dev, label,
// scope, brd (explicit or `+`), peer, -nodad, noprefixroute, preferred_lft. Operations are
// idempotent — EEXIST on add and EADDRNOTAVAIL on remove count as success — because a Router may
// claim addresses it already holds, and a crashed predecessor may have left them behind.
// The calls are synchronous: an RTM_NEWADDR to the local kernel is acknowledged in microseconds.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/ip_address.hpp"
#include "common/result.hpp"

struct nl_sock;

namespace vrrp::io {

enum class AddressScope : std::uint8_t { global, site, link, host, nowhere };

struct VipSpec {
  vigil::IpPrefix prefix;
  std::string dev;
  int ifindex = 0;
  std::optional<vigil::IpAddress> broadcast;
  bool broadcast_auto = false;  // brd +: the prefix's last address
  AddressScope scope = AddressScope::global;
  std::optional<std::string> label;
  std::optional<vigil::IpAddress> peer;
  bool no_dad = false;
  bool no_prefix_route = false;
  std::optional<std::uint32_t> preferred_lft;

  friend bool operator==(const VipSpec&, const VipSpec&) = default;
  [[nodiscard]] std::string to_string() const;  // "198.18.0.100/32 dev h1 label h1:vip"
};

class AddressTable {
 public:
  // Opens the rtnetlink socket; fails with the reason (EPERM: needs CAP_NET_ADMIN).
  static vigil::Result<AddressTable> open();
  ~AddressTable();
  AddressTable(AddressTable&&) noexcept;
  AddressTable& operator=(AddressTable&&) noexcept;

  // true when the address was added, false when it was already there.
  vigil::Result<bool> add(const VipSpec& vip);
  // true when the address was removed, false when it was not there.
  vigil::Result<bool> remove(const VipSpec& vip);

 private:
  explicit AddressTable(nl_sock* socket) : socket_(socket) {}
  nl_sock* socket_ = nullptr;
};

}  // namespace vrrp::io
