// DOC: FakeKernel — the kernel's checks, in the kernel's order (see fake_kernel.hpp).
#include "libipvs/fake_kernel.hpp"
#include "common/overloaded.hpp"

#include <cerrno>
#include <cstdint>
#include <limits>

namespace ipvs {

namespace {

using vigil::Overloaded;

// IP_VS_SCHEDNAME_MAXLEN 16 with the NUL: the genl policy (NLA_NUL_STRING, len 15) rejects more.
constexpr std::size_t k_max_name = 15;

// ip_vs_new_dest: IPv4 needs inet_addr_type() RTN_LOCAL or RTN_UNICAST; IPv6 a unicast,
// non-link-local address (unless local, which a fake cannot know). Since Linux 5.x only
// 0.0.0.0 itself counts as "zeronet" (0.1.2.3 is accepted: checked on 6.1 in the VM tests).
bool unicast_dest(const IpAddress& a) {
  if (a.is_v4()) {
    if (a.v4_u32() == 0 || a.v4_u32() == 0xffffffffU) return false;  // RTN_BROADCAST
    return !a.is_multicast();
  }
  return !a.is_unspecified() && !a.is_multicast() && !a.is_link_local();
}

// What the kernel keeps of the tunnel attributes (the encoder sends them only for TUN).
Dest stored_form(const Dest& in, const Dest* previous) {
  Dest d = in;
  if (d.forward != ForwardMethod::tunnel) {
    d.tunnel_type = TunnelType::ipip;
    d.tunnel_port = 0;
    d.tunnel_checksum = TunnelChecksum::nocsum;
  } else {
    if (d.tunnel_type != TunnelType::gue) d.tunnel_port = 0;
    if (d.tunnel_type == TunnelType::ipip) d.tunnel_checksum = TunnelChecksum::nocsum;
  }
  // Counters belong to the kernel.
  d.active_conns = previous != nullptr ? previous->active_conns : 0;
  d.inactive_conns = previous != nullptr ? previous->inactive_conns : 0;
  d.persistent_conns = previous != nullptr ? previous->persistent_conns : 0;
  d.stats = previous != nullptr ? previous->stats : vigil::Box<Stats>(Stats{});
  return d;
}

}  // namespace

FakeKernel::FakeKernel()
    : schedulers_{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"} {}

vigil::Result<Table> FakeKernel::dump() {
  if (dump_errno_ != 0) return vigil::make_error("dump services: " + errno_text(dump_errno_), dump_errno_);
  Table out = table_;
  if (counters_ == Counters::skip)
    for (auto& [key, entry] : out.services) {
      entry.service.stats.reset();
      for (auto& [dkey, d] : entry.dests) d.stats.reset();
    }
  return out;
}

ApplyReport FakeKernel::apply(const Plan& plan) {
  ApplyReport report;
  for (std::size_t i = 0; i < plan.operations.size(); ++i) {
    ++report.attempted;
    const int err = execute(plan.operations[i]);
    if (err != 0) report.failures.push_back(OpFailure{i, operation_error(plan.operations[i], err)});
  }
  return report;
}

int FakeKernel::check_service_settings(const Service& s) const {
  if (s.scheduler != "none" && !schedulers_.contains(s.scheduler)) return ENOENT;
  if (!s.pe_name.empty() && !engines_.contains(s.pe_name)) return ENOENT;
  if (s.key.family() == Family::v6 && (s.netmask < 1 || s.netmask > 128)) return EINVAL;
  return 0;
}

int FakeKernel::check_dest_settings(const ServiceKey& service, const Dest& d) {
  if (d.family() != service.family() && d.forward != ForwardMethod::tunnel) return EINVAL;
  if (d.weight > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max())) return ERANGE;
  if (d.lower_threshold > d.upper_threshold) return ERANGE;
  if (d.forward == ForwardMethod::tunnel && d.tunnel_type == TunnelType::gue && d.tunnel_port == 0) return EINVAL;
  return 0;
}

int FakeKernel::execute(const Operation& op) {
  ++executed_;
  // Policy checks happen while parsing, before the service lookup.
  if (const auto* add = std::get_if<AddService>(&op);
      add != nullptr && (add->service.scheduler.size() > k_max_name || add->service.pe_name.size() > k_max_name + 1))
    return EINVAL;
  if (const auto* set = std::get_if<SetService>(&op);
      set != nullptr && (set->service.scheduler.size() > k_max_name || set->service.pe_name.size() > k_max_name + 1))
    return EINVAL;

  const ServiceKey& key = service_of(op);
  const auto it = table_.services.find(key);
  const bool exists = it != table_.services.end();
  if (!std::holds_alternative<AddService>(op) && !exists) return ESRCH;

  return std::visit(
      Overloaded{
          [&](const AddService& o) -> int {
            if (exists) return EEXIST;
            if (const int err = check_service_settings(o.service); err != 0) return err;
            Service s = o.service;
            s.stats = Stats{};
            table_.put(s);
            return 0;
          },
          [&](const SetService& o) -> int {
            if (const int err = check_service_settings(o.service); err != 0) return err;
            Service s = o.service;
            s.stats = it->second.service.stats;
            it->second.service = s;
            return 0;
          },
          [&](const DelService&) -> int {
            table_.services.erase(it);
            return 0;
          },
          [&](const AddDest& o) -> int {
            if (const int err = check_dest_settings(key, o.dest); err != 0) return err;
            auto& dests = it->second.dests;
            if (dests.contains(o.dest.key)) return EEXIST;
            if (!unicast_dest(o.dest.key.address)) return EINVAL;
            dests.emplace(o.dest.key, stored_form(o.dest, nullptr));
            return 0;
          },
          [&](const SetDest& o) -> int {
            if (const int err = check_dest_settings(key, o.dest); err != 0) return err;
            auto& dests = it->second.dests;
            const auto d = dests.find(o.dest.key);
            if (d == dests.end()) return ENOENT;
            d->second = stored_form(o.dest, &d->second);
            return 0;
          },
          [&](const DelDest& o) -> int { return it->second.dests.erase(o.dest) == 1 ? 0 : ENOENT; },
      },
      op);
}

}  // namespace ipvs

namespace ipvs {

vigil::Result<void> FakeKernel::control(const Request& request) {
  controls_.push_back(request);
  if (request.command() == Request::flush().command()) table_ = Table{};
  return {};
}

}  // namespace ipvs
