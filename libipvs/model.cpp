// DOC: Value semantics of the IPVS model: flag bits, normalised keys, "same settings"
// comparisons used by the diff, and the text forms used in plans, logs and errors.
#include "libipvs/model.hpp"

#include <utility>

namespace ipvs {

std::uint32_t ServiceFlags::bits() const noexcept {
  std::uint32_t out = 0;
  if (persistent) out |= k_persistent;
  if (one_packet) out |= k_one_packet;
  if (sched1) out |= k_sched1;
  if (sched2) out |= k_sched2;
  if (sched3) out |= k_sched3;
  return out;
}

ServiceFlags ServiceFlags::from_bits(std::uint32_t bits) noexcept {
  ServiceFlags f;
  f.persistent = (bits & k_persistent) != 0;
  f.one_packet = (bits & k_one_packet) != 0;
  f.sched1 = (bits & k_sched1) != 0;
  f.sched2 = (bits & k_sched2) != 0;
  f.sched3 = (bits & k_sched3) != 0;
  return f;
}

ServiceKey::ServiceKey(Protocol protocol, const IpAddress& address, std::uint16_t port) noexcept
    : family_(address.family()), protocol_(protocol), address_(address), port_(port) {}

ServiceKey ServiceKey::firewall_mark(std::uint32_t mark, Family family) noexcept {
  ServiceKey key;
  key.fwmark_ = mark;
  key.family_ = family;
  key.protocol_ = Protocol::tcp;  // what ip_vs_genl_parse_service stores for fwmark services
  key.address_ = family == Family::v4 ? IpAddress{} : IpAddress::from_v6({});
  return key;
}

std::string ServiceKey::to_string() const {
  if (is_fwmark()) return "FWM " + std::to_string(fwmark_) + (family_ == Family::v6 ? " IPv6" : "");
  const std::string_view name = ipvs::to_string(protocol_);
  const std::string proto =
      name == "?" ? "proto " + std::to_string(static_cast<unsigned>(protocol_)) : std::string(name);
  return proto + " " + format_endpoint(address_, port_);
}

Service Service::make(const ServiceKey& key, std::string scheduler) {
  Service s;
  s.key = key;
  s.scheduler = std::move(scheduler);
  s.netmask = default_netmask(key.family());
  return s;
}

bool Service::same_settings(const Service& other) const noexcept {
  return key == other.key && scheduler == other.scheduler && flags == other.flags && timeout == other.timeout &&
         netmask == other.netmask && pe_name == other.pe_name;
}

std::string DestKey::to_string() const { return format_endpoint(address, port); }

Dest Dest::make(const IpAddress& address, std::uint16_t port, ForwardMethod forward, std::uint32_t weight) {
  Dest d;
  d.key = DestKey{address, port};
  d.forward = forward;
  d.weight = weight;
  return d;
}

bool Dest::same_settings(const Dest& other) const noexcept {
  if (key != other.key || forward != other.forward || weight != other.weight ||
      upper_threshold != other.upper_threshold || lower_threshold != other.lower_threshold)
    return false;
  if (forward != ForwardMethod::tunnel) return true;
  if (tunnel_type != other.tunnel_type) return false;
  if (tunnel_type == TunnelType::gue && tunnel_port != other.tunnel_port) return false;
  if (tunnel_type != TunnelType::ipip && tunnel_checksum != other.tunnel_checksum) return false;
  return true;
}

ServiceEntry& Table::put(Service service) {
  auto [it, inserted] = services.try_emplace(service.key);
  it->second.service = std::move(service);
  return it->second;
}

bool Table::put_dest(const ServiceKey& service, const Dest& dest) {
  const auto it = services.find(service);
  if (it == services.end()) return false;
  it->second.dests.insert_or_assign(dest.key, dest);
  return true;
}

const ServiceEntry* Table::find(const ServiceKey& key) const {
  const auto it = services.find(key);
  return it == services.end() ? nullptr : &it->second;
}

const Dest* Table::find_dest(const ServiceKey& service, const DestKey& dest) const {
  const auto* entry = find(service);
  if (entry == nullptr) return nullptr;
  const auto it = entry->dests.find(dest);
  return it == entry->dests.end() ? nullptr : &it->second;
}

std::size_t Table::dest_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [key, entry] : services) n += entry.dests.size();
  return n;
}

std::string Table::to_string() const {
  std::string out;
  for (const auto& [key, entry] : services) {
    const Service& s = entry.service;
    out += key.to_string() + " " + s.scheduler;
    if (s.flags.persistent) out += " persistent " + std::to_string(s.timeout);
    if (s.netmask != Service::default_netmask(key.family())) out += " mask " + std::to_string(s.netmask);
    if (s.flags.one_packet) out += " ops";
    if (s.flags.sched1) out += " flag-1";
    if (s.flags.sched2) out += " flag-2";
    if (s.flags.sched3) out += " flag-3";
    if (!s.pe_name.empty()) out += " pe " + s.pe_name;
    out += "\n";
    for (const auto& [dkey, d] : entry.dests) {
      out += "  -> " + dkey.to_string() + " " + std::string(ipvs::to_string(d.forward)) + " weight " +
             std::to_string(d.weight);
      if (d.upper_threshold != 0 || d.lower_threshold != 0)
        out += " thresholds " + std::to_string(d.lower_threshold) + ".." + std::to_string(d.upper_threshold);
      if (d.forward == ForwardMethod::tunnel) {
        out += " " + std::string(ipvs::to_string(d.tunnel_type));
        if (d.tunnel_type == TunnelType::gue) out += " port " + std::to_string(d.tunnel_port);
        if (d.tunnel_type != TunnelType::ipip) out += " " + std::string(ipvs::to_string(d.tunnel_checksum));
      }
      out += " active " + std::to_string(d.active_conns) + " inactive " + std::to_string(d.inactive_conns) + "\n";
    }
  }
  return out;
}

std::string_view to_string(Protocol p) noexcept {
  switch (p) {
    case Protocol::tcp: return "TCP";
    case Protocol::udp: return "UDP";
    case Protocol::sctp: return "SCTP";
  }
  return "?";
}

std::string_view to_string(ForwardMethod m) noexcept {
  switch (m) {
    case ForwardMethod::masq: return "nat";
    case ForwardMethod::local_node: return "local";
    case ForwardMethod::tunnel: return "tun";
    case ForwardMethod::direct_route: return "dr";
    case ForwardMethod::bypass: return "bypass";
  }
  return "?";
}

std::string_view to_string(TunnelType t) noexcept {
  switch (t) {
    case TunnelType::ipip: return "ipip";
    case TunnelType::gue: return "gue";
    case TunnelType::gre: return "gre";
  }
  return "?";
}

std::string_view to_string(TunnelChecksum c) noexcept {
  switch (c) {
    case TunnelChecksum::nocsum: return "nocsum";
    case TunnelChecksum::csum: return "csum";
    case TunnelChecksum::remcsum: return "remcsum";
  }
  return "?";
}

}  // namespace ipvs
