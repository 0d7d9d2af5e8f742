#include "conf/model.hpp"

#include <algorithm>

namespace conf {

std::string SourceLoc::to_string() const {
  std::string out = file ? *file : std::string("<input>");
  if (line == 0) return out;  // the file as a whole (unreadable, empty)
  return out + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string VirtualServer::key() const {
  const std::string proto(conf::to_string(protocol));
  if (fwmark) return "fwmark " + std::to_string(*fwmark) + "/" + std::string(vigil::to_string(family));
  if (group) return "group " + *group + "/" + proto;
  const std::string ip = address ? address->to_string() : std::string("?");
  const std::string host = family == Family::v6 ? "[" + ip + "]" : ip;
  return host + ":" + std::to_string(port) + "/" + proto;
}

namespace {
template <typename T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
  const auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return x.name == name; });
  return it == items.end() ? nullptr : &*it;
}
}  // namespace

const VrrpInstance* Config::find_instance(std::string_view name) const { return find_named(vrrp_instances, name); }
const VrrpScript* Config::find_script(std::string_view name) const { return find_named(vrrp_scripts, name); }
const VirtualServerGroup* Config::find_group(std::string_view name) const {
  return find_named(virtual_server_groups, name);
}

std::string_view to_string(Protocol p) noexcept {
  switch (p) {
    case Protocol::tcp: return "tcp";
    case Protocol::udp: return "udp";
    case Protocol::sctp: return "sctp";
  }
  return "?";
}

std::string_view to_string(ForwardMethod m) noexcept {
  switch (m) {
    case ForwardMethod::nat: return "NAT";
    case ForwardMethod::dr: return "DR";
    case ForwardMethod::tun: return "TUN";
  }
  return "?";
}

std::string_view to_string(CheckerKind k) noexcept {
  switch (k) {
    case CheckerKind::tcp: return "TCP_CHECK";
    case CheckerKind::http: return "HTTP_GET";
    case CheckerKind::ssl: return "SSL_GET";
    case CheckerKind::misc: return "MISC_CHECK";
    case CheckerKind::udp: return "UDP_CHECK";
    case CheckerKind::dns: return "DNS_CHECK";
    case CheckerKind::ping: return "PING_CHECK";
    case CheckerKind::smtp: return "SMTP_CHECK";
    case CheckerKind::file: return "FILE_CHECK";
    case CheckerKind::bfd: return "BFD_CHECK";
  }
  return "?";
}

std::string_view to_string(IpScope s) noexcept {
  switch (s) {
    case IpScope::global: return "global";
    case IpScope::site: return "site";
    case IpScope::link: return "link";
    case IpScope::host: return "host";
    case IpScope::nowhere: return "nowhere";
  }
  return "?";
}

std::string_view to_string(InitialState s) noexcept { return s == InitialState::master ? "MASTER" : "BACKUP"; }

std::string_view to_string(AuthType a) noexcept {
  switch (a) {
    case AuthType::none: return "none";
    case AuthType::pass: return "PASS";
    case AuthType::ah: return "AH";
  }
  return "?";
}

}  // namespace conf
