// DOC: Text forms of operations: the names used in failure reports and the dry-run plan lines.
#include "libipvs/operation.hpp"
#include "common/overloaded.hpp"

namespace ipvs {

namespace {

using vigil::Overloaded;

std::string service_summary(const Service& s) {
  std::string out = s.scheduler;
  if (s.flags.persistent) out += " persistent " + std::to_string(s.timeout);
  if (s.netmask != Service::default_netmask(s.key.family())) out += " netmask " + std::to_string(s.netmask);
  if (s.flags.one_packet) out += " ops";
  if (s.flags.sched1) out += " flag-1";
  if (s.flags.sched2) out += " flag-2";
  if (s.flags.sched3) out += " flag-3";
  if (!s.pe_name.empty()) out += " pe " + s.pe_name;
  return out;
}

std::string tunnel_summary(const Dest& d) {
  std::string out(to_string(d.tunnel_type));
  if (d.tunnel_type == TunnelType::gue) out += " port " + std::to_string(d.tunnel_port);
  if (d.tunnel_type != TunnelType::ipip) out += " " + std::string(to_string(d.tunnel_checksum));
  return out;
}

std::string dest_summary(const Dest& d) {
  std::string out = std::string(to_string(d.forward)) + " weight " + std::to_string(d.weight);
  if (d.upper_threshold != 0 || d.lower_threshold != 0)
    out += " thresholds " + std::to_string(d.lower_threshold) + ".." + std::to_string(d.upper_threshold);
  if (d.forward == ForwardMethod::tunnel) out += " " + tunnel_summary(d);
  return out;
}

void add_change(std::string& out, std::string_view field, const std::string& from, const std::string& to) {
  if (from == to) return;
  out += " ";
  out += field;
  out += " " + from + " -> " + to;
}

std::string flag_text(const ServiceFlags& f) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ",";
    out += name;
  };
  add(f.persistent, "persistent");
  add(f.one_packet, "ops");
  add(f.sched1, "flag-1");
  add(f.sched2, "flag-2");
  add(f.sched3, "flag-3");
  return out.empty() ? "none" : out;
}

std::string service_changes(const Service& before, const Service& after) {
  std::string out;
  add_change(out, "scheduler", before.scheduler, after.scheduler);
  add_change(out, "flags", flag_text(before.flags), flag_text(after.flags));
  add_change(out, "timeout", std::to_string(before.timeout), std::to_string(after.timeout));
  add_change(out, "netmask", std::to_string(before.netmask), std::to_string(after.netmask));
  add_change(out, "pe", before.pe_name.empty() ? "none" : before.pe_name, after.pe_name.empty() ? "none" : after.pe_name);
  return out;
}

std::string dest_changes(const Dest& before, const Dest& after) {
  std::string out;
  add_change(out, "forward", std::string(to_string(before.forward)), std::string(to_string(after.forward)));
  add_change(out, "weight", std::to_string(before.weight), std::to_string(after.weight));
  add_change(out, "upper", std::to_string(before.upper_threshold), std::to_string(after.upper_threshold));
  add_change(out, "lower", std::to_string(before.lower_threshold), std::to_string(after.lower_threshold));
  if (after.forward == ForwardMethod::tunnel)
    add_change(out, "tunnel", before.forward == ForwardMethod::tunnel ? tunnel_summary(before) : "none",
               tunnel_summary(after));
  return out;
}

}  // namespace

const ServiceKey& service_of(const Operation& op) noexcept {
  return std::visit(Overloaded{
                        [](const AddService& o) -> const ServiceKey& { return o.service.key; },
                        [](const SetService& o) -> const ServiceKey& { return o.service.key; },
                        [](const DelService& o) -> const ServiceKey& { return o.key; },
                        [](const AddDest& o) -> const ServiceKey& { return o.service; },
                        [](const SetDest& o) -> const ServiceKey& { return o.service; },
                        [](const DelDest& o) -> const ServiceKey& { return o.service; },
                    },
                    op);
}

std::string describe(const Operation& op) {
  return std::visit(Overloaded{
                        [](const AddService& o) { return "add service " + o.service.key.to_string(); },
                        [](const SetService& o) { return "set service " + o.service.key.to_string(); },
                        [](const DelService& o) { return "delete service " + o.key.to_string(); },
                        [](const AddDest& o) {
                          return "add dest " + o.dest.key.to_string() + " to " + o.service.to_string();
                        },
                        [](const SetDest& o) {
                          return "set dest " + o.dest.key.to_string() + " in " + o.service.to_string();
                        },
                        [](const DelDest& o) {
                          return "delete dest " + o.dest.to_string() + " from " + o.service.to_string();
                        },
                    },
                    op);
}

std::string plan_line(const Operation& op) {
  return std::visit(
      Overloaded{
          [](const AddService& o) { return "+ service " + o.service.key.to_string() + " " + service_summary(o.service); },
          [](const SetService& o) {
            // Without `before` (an operation made by hand) the line names the service only.
            return "~ service " + o.service.key.to_string() + (o.before ? service_changes(*o.before, o.service) : "");
          },
          [](const DelService& o) { return "- service " + o.key.to_string(); },
          [](const AddDest& o) {
            return "+ dest " + o.dest.key.to_string() + " to " + o.service.to_string() + " " + dest_summary(o.dest);
          },
          [](const SetDest& o) {
            return "~ dest " + o.dest.key.to_string() + " in " + o.service.to_string() +
                   (o.before ? dest_changes(*o.before, o.dest) : "");
          },
          [](const DelDest& o) { return "- dest " + o.dest.to_string() + " from " + o.service.to_string(); },
      },
      op);
}

}  // namespace ipvs
