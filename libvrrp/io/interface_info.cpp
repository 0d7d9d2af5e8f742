// DOC: Interface facts through SIOCGIF* ioctls and getifaddrs(3).
#include "libvrrp/io/interface_info.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vrrp::io {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

vigil::Result<InterfaceInfo> interface_info(const std::string& name) {
  InterfaceInfo info;
  info.name = name;
  if (name.size() >= IFNAMSIZ) return vigil::make_error("interface name '" + name + "' is too long");
  info.index = static_cast<int>(::if_nametoindex(name.c_str()));
  if (info.index == 0) return vigil::make_error("interface " + name + " does not exist", errno);
  const Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return vigil::make_error(std::string("socket: ") + std::strerror(errno), errno);
  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size() + 1);
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &req) < 0) {
    return vigil::make_error("SIOCGIFFLAGS " + name + ": " + std::strerror(errno), errno);
  }
  const auto flags = static_cast<unsigned>(req.ifr_flags);
  info.up = (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
  if (::ioctl(fd.get(), SIOCGIFHWADDR, &req) < 0) {
    return vigil::make_error("SIOCGIFHWADDR " + name + ": " + std::strerror(errno), errno);
  }
  std::memcpy(info.mac.data(), req.ifr_hwaddr.sa_data, info.mac.size());
  return info;
}

std::optional<vigil::IpAddress> primary_address(const std::string& name, vigil::Family family,
                                                const std::vector<vigil::IpAddress>& exclude) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<vigil::IpAddress> found;
  for (const ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_name == nullptr || name != a->ifa_name) continue;
    std::optional<vigil::IpAddress> ip;
    if (family == vigil::Family::v4 && a->ifa_addr->sa_family == AF_INET) {
      sockaddr_in sin{};
      std::memcpy(&sin, a->ifa_addr, sizeof sin);
      std::array<std::uint8_t, 4> b{};
      std::memcpy(b.data(), &sin.sin_addr, b.size());
      ip = vigil::IpAddress::from_v4(b);
    } else if (family == vigil::Family::v6 && a->ifa_addr->sa_family == AF_INET6) {
      sockaddr_in6 sin6{};
      std::memcpy(&sin6, a->ifa_addr, sizeof sin6);
      std::array<std::uint8_t, 16> b{};
      std::memcpy(b.data(), &sin6.sin6_addr, b.size());
      ip = vigil::IpAddress::from_v6(b);
      if (!ip->is_link_local()) ip.reset();  // RFC 5798 §5.1.2.1: adverts come from the link-local address
    }
    if (ip && std::find(exclude.begin(), exclude.end(), *ip) == exclude.end()) found = ip;
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace vrrp::io
