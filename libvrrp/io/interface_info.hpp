// DOC: What vrrp_io needs to know about a network interface at start and on reload: its index, MAC
// address, link state, and the address adverts are sent from — RFC 5798 §5.1.1.1/§5.1.2.1: the
// primary IPv4 address of the interface, or for IPv6 its link-local address. Addresses we manage
// as VIPs are never chosen (after a crash the predecessor's VIP may still be on the interface).
// Synchronous ioctl/getifaddrs calls: cheap, and only made at start and reload.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "libvrrp/io/frames.hpp"

namespace vrrp::io {

struct InterfaceInfo {
  std::string name;
  int index = 0;
  MacAddress mac{};
  bool up = false;  // administratively up and with carrier (IFF_UP && IFF_RUNNING)
};

[[nodiscard]] vigil::Result<InterfaceInfo> interface_info(const std::string& name);

// The first address of `family` on `name` that is not in `exclude` (IPv6: link-local only).
[[nodiscard]] std::optional<vigil::IpAddress> primary_address(const std::string& name, vigil::Family family,
                                                              const std::vector<vigil::IpAddress>& exclude);

}  // namespace vrrp::io
