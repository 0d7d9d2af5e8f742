// DOC: conf::VrrpInstance → InstanceSpec, and the field-by-field comparison reload plans print.
#include "libvrrp/service/instance_spec.hpp"

#include <algorithm>
#include <sstream>

namespace vrrp {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

io::AddressScope to_scope(conf::IpScope s) {
  switch (s) {
    case conf::IpScope::global: return io::AddressScope::global;
    case conf::IpScope::site: return io::AddressScope::site;
    case conf::IpScope::link: return io::AddressScope::link;
    case conf::IpScope::host: return io::AddressScope::host;
    case conf::IpScope::nowhere: return io::AddressScope::nowhere;
  }
  return io::AddressScope::global;
}

io::VipSpec to_vip(const conf::VirtualIp& v, const std::string& interface) {
  io::VipSpec s;
  s.prefix = v.prefix;
  s.dev = v.dev.value_or(interface);
  s.broadcast = v.broadcast;
  s.broadcast_auto = v.broadcast_auto;
  s.scope = to_scope(v.scope);
  s.label = v.label;
  s.peer = v.peer;
  s.no_dad = v.no_dad;
  s.no_prefix_route = v.no_prefix_route;
  s.preferred_lft = v.preferred_lft;
  return s;
}

std::optional<vigil::ScriptSpec> to_script(const conf::Config& config, const std::optional<conf::Script>& s) {
  if (!s) return std::nullopt;
  vigil::ScriptSpec spec;
  spec.command = s->command;
  spec.user = s->user ? s->user : config.global.script_user;
  spec.group = s->group ? s->group : config.global.script_group;
  return spec;
}

}  // namespace

NotifySpec make_notify_spec(const conf::Config& config, const conf::NotifyScripts& n) {
  NotifySpec out;
  out.master = to_script(config, n.master);
  out.backup = to_script(config, n.backup);
  out.fault = to_script(config, n.fault);
  out.stop = to_script(config, n.stop);
  out.any = to_script(config, n.any);
  return out;
}

namespace {

void add_tracks(const conf::Config& config, const std::vector<conf::TrackInterface>& links,
                const std::vector<conf::TrackScript>& scripts, InstanceSpec& spec) {
  for (const auto& t : links) spec.track_links.push_back(TrackedLink{t.name, t.weight, t.reverse});
  for (const auto& t : scripts) {
    const conf::VrrpScript* s = config.find_script(t.name);
    TrackedScript ts{t.name, 0, t.reverse};
    if (s != nullptr) {
      ts.weight = t.weight.value_or(s->weight);
      ts.reverse = t.reverse || s->weight_reverse;
    } else if (t.weight) {
      ts.weight = *t.weight;
    }
    spec.track_scripts.push_back(ts);
  }
}

// ---- text for plan lines ------------------------------------------------------------------

std::string text(const std::string& s) { return s.empty() ? "\"\"" : s; }
std::string text(bool b) { return b ? "on" : "off"; }
std::string text(std::uint8_t v) { return std::to_string(v); }
std::string text(unsigned v) { return std::to_string(v); }
std::string text(milliseconds d) {
  std::ostringstream o;
  o << static_cast<double>(d.count()) / 1000.0 << "s";
  return o.str();
}
std::string text(std::chrono::microseconds d) { return text(duration_cast<milliseconds>(d)); }
std::string text(const vigil::IpAddress& a) { return a.to_string(); }
std::string text(const io::VipSpec& v) { return v.to_string(); }
std::string text(const io::PeerPolicy& p) { return p.address.to_string(); }
std::string text(const TrackedLink& t) { return t.name + (t.weight != 0 ? " weight " + std::to_string(t.weight) : ""); }
std::string text(const TrackedScript& t) { return t.name + (t.weight != 0 ? " weight " + std::to_string(t.weight) : ""); }
std::string text(const std::optional<vigil::ScriptSpec>& s) { return s ? s->command : "none"; }
std::string text(const std::optional<std::string>& s) { return s ? *s : "none"; }
template <class T>
std::string text(const std::optional<T>& v) {
  return v ? text(*v) : "none";
}
template <class T>
std::string text(const std::vector<T>& v) {
  if (v.empty()) return "none";
  std::string out;
  for (const auto& e : v) out += (out.empty() ? "" : " ") + text(e);
  return out;
}

bool same(const std::optional<vigil::ScriptSpec>& a, const std::optional<vigil::ScriptSpec>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->command == b->command && a->user == b->user && a->group == b->group);
}
bool same(const io::PeerPolicy& a, const io::PeerPolicy& b) {
  return a.address == b.address && a.min_ttl == b.min_ttl && a.max_ttl == b.max_ttl;
}
bool same(const std::vector<io::PeerPolicy>& a, const std::vector<io::PeerPolicy>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) { return same(x, y); });
}
template <class T>
bool same(const T& a, const T& b) {
  return a == b;
}

class Differ {
 public:
  template <class T>
  void field(const char* name, const T& a, const T& b) {
    if (!same(a, b)) lines_.push_back(std::string(name) + " " + text(a) + " -> " + text(b));
  }
  std::vector<std::string> lines_;
};

}  // namespace

InstanceSpec make_instance_spec(const conf::Config& config, const conf::VrrpInstance& in) {
  InstanceSpec s;
  RouterConfig& r = s.router;
  r.name = in.name;
  r.vrid = in.vrid;
  r.family = in.family;
  r.version = in.version;
  r.priority = in.priority;
  r.advert_interval = duration_cast<milliseconds>(in.advert_int);
  r.preempt = in.preempt;
  r.preempt_delay = duration_cast<milliseconds>(in.preempt_delay);
  for (const auto& v : in.vips) r.addresses.push_back(v.prefix.address);
  if (in.auth_type == conf::AuthType::pass) {
    r.auth.type = AuthType::simple_password;
    std::copy_n(in.auth_pass.begin(), std::min<std::size_t>(in.auth_pass.size(), r.auth.password.size()),
                r.auth.password.begin());
  } else if (in.auth_type == conf::AuthType::ah) {
    r.auth.type = AuthType::ip_ah;
  }
  r.accept = in.accept;
  r.lossless_handover = config.global.handover == conf::HandoverMode::lossless;
  r.timer_expired_backup = in.timer_expired_backup_given;
  if (in.timer_expired_backup && *in.timer_expired_backup > 0) r.highest_other_priority = in.timer_expired_backup;
  r.garp.master_delay = duration_cast<milliseconds>(in.garp_master_delay);
  r.garp.master_repeat = in.garp_master_repeat;
  r.garp.master_refresh = duration_cast<milliseconds>(in.garp_master_refresh);
  r.garp.master_refresh_repeat = in.garp_master_refresh_repeat;
  if (in.garp_lower_prio_delay) r.garp.lower_prio_delay = duration_cast<milliseconds>(*in.garp_lower_prio_delay);
  r.garp.lower_prio_repeat = in.garp_lower_prio_repeat;
  r.higher_prio_send_advert = in.higher_prio_send_advert;
  r.lower_prio_no_advert = in.lower_prio_no_advert;
  r.down_timer_adverts = in.down_timer_adverts;
  r.sync_group = in.sync_group.has_value();

  s.interface = in.interface;
  const auto source = in.unicast_src_ip ? in.unicast_src_ip : in.mcast_src_ip;
  if (source) {
    r.primary_address = *source;
    s.source_given = true;
  }
  s.unicast = !in.unicast_peers.empty();
  s.multicast_group = in.mcast_dst_ip.value_or(in.family == vigil::Family::v4 ? config.global.vrrp_mcast_group4
                                                                               : config.global.vrrp_mcast_group6);
  s.receive.unicast = s.unicast;
  for (const auto& p : in.unicast_peers) s.receive.peers.push_back(io::PeerPolicy{p.address, p.min_ttl, p.max_ttl});
  s.receive.check_unicast_src = in.check_unicast_src;
  s.receive.auth_type = r.auth.type;
  s.receive.auth_data = r.auth.type == AuthType::simple_password ? r.auth.password : AuthData{};
  s.unicast_ttl = in.unicast_ttl.value_or(255);
  s.v3_ipv4_checksum = in.v3_checksum_as_v2 ? ChecksumForm::message_only : ChecksumForm::pseudo_header;
  for (const auto& v : in.vips) s.vips.push_back(to_vip(v, in.interface));
  for (const auto& v : in.excluded_vips) s.vips.push_back(to_vip(v, in.interface));

  add_tracks(config, in.track_interfaces, in.track_scripts, s);
  s.track_own_link = !in.dont_track_primary;
  s.fault_without_peer = in.unicast_fault_no_peer && in.unicast_peers.empty();
  s.notify = make_notify_spec(config, in.notify);
  s.sync_group = in.sync_group;
  if (in.sync_group) {
    // keepalived applies a sync group's track_interface/track_script to each member.
    for (const auto& g : config.sync_groups) {
      if (g.name == *in.sync_group) add_tracks(config, g.track_interfaces, g.track_scripts, s);
    }
  }
  s.garp_interval = config.global.vrrp_garp_interval;
  s.gna_interval = config.global.vrrp_gna_interval;
  return s;
}

io::ScriptCheck make_script_check(const conf::Config& config, const conf::VrrpScript& script) {
  io::ScriptCheck c;
  c.name = script.name;
  c.spec.command = script.script.command;
  c.spec.user = script.script.user ? script.script.user : config.global.script_user;
  c.spec.group = script.script.group ? script.script.group : config.global.script_group;
  c.spec.timeout = duration_cast<milliseconds>(script.timeout);
  c.interval = script.interval;
  c.rise = script.rise;
  c.fall = script.fall;
  c.init_fail = script.init_fail;
  return c;
}

std::vector<std::string> describe_changes(const InstanceSpec& a, const InstanceSpec& b) {
  Differ d;
  const RouterConfig& x = a.router;
  const RouterConfig& y = b.router;
  d.field("interface", a.interface, b.interface);
  d.field("vrid", x.vrid, y.vrid);
  d.field("family", std::string(vigil::to_string(x.family)), std::string(vigil::to_string(y.family)));
  d.field("version", x.version, y.version);
  d.field("sync_group", a.sync_group, b.sync_group);
  d.field("priority", x.priority, y.priority);
  d.field("advert_int", x.advert_interval, y.advert_interval);
  d.field("preempt", x.preempt, y.preempt);
  d.field("preempt_delay", x.preempt_delay, y.preempt_delay);
  d.field("vips", a.vips, b.vips);
  d.field("auth", std::string(to_string(x.auth.type)), std::string(to_string(y.auth.type)));
  if (x.auth.password != y.auth.password) d.lines_.push_back("auth_pass changed");
  d.field("source", a.source_given ? x.primary_address : vigil::IpAddress{},
          b.source_given ? y.primary_address : vigil::IpAddress{});
  d.field("unicast_peers", a.receive.peers, b.receive.peers);
  d.field("check_unicast_src", a.receive.check_unicast_src, b.receive.check_unicast_src);
  d.field("mcast_dst_ip", a.multicast_group, b.multicast_group);
  d.field("unicast_ttl", a.unicast_ttl, b.unicast_ttl);
  d.field("v3_checksum_as_v2", a.v3_ipv4_checksum == ChecksumForm::message_only,
          b.v3_ipv4_checksum == ChecksumForm::message_only);
  d.field("track_interface", a.track_links, b.track_links);
  d.field("track_script", a.track_scripts, b.track_scripts);
  d.field("dont_track_primary", !a.track_own_link, !b.track_own_link);
  d.field("unicast_fault_no_peer", a.fault_without_peer, b.fault_without_peer);
  d.field("notify_master", a.notify.master, b.notify.master);
  d.field("notify_backup", a.notify.backup, b.notify.backup);
  d.field("notify_fault", a.notify.fault, b.notify.fault);
  d.field("notify_stop", a.notify.stop, b.notify.stop);
  d.field("notify", a.notify.any, b.notify.any);
  d.field("garp_master_delay", x.garp.master_delay, y.garp.master_delay);
  d.field("garp_master_repeat", x.garp.master_repeat, y.garp.master_repeat);
  d.field("garp_master_refresh", x.garp.master_refresh, y.garp.master_refresh);
  d.field("garp_master_refresh_repeat", x.garp.master_refresh_repeat, y.garp.master_refresh_repeat);
  d.field("garp_lower_prio_delay", x.garp.lower_prio_delay, y.garp.lower_prio_delay);
  d.field("garp_lower_prio_repeat", x.garp.lower_prio_repeat, y.garp.lower_prio_repeat);
  d.field("vrrp_garp_interval", a.garp_interval, b.garp_interval);
  d.field("vrrp_gna_interval", a.gna_interval, b.gna_interval);
  d.field("accept", x.accept, y.accept);
  d.field("vigil_handover lossless", x.lossless_handover, y.lossless_handover);
  d.field("timer_expired_backup", x.timer_expired_backup, y.timer_expired_backup);
  d.field("timer_expired_backup priority", x.highest_other_priority, y.highest_other_priority);
  d.field("higher_prio_send_advert", x.higher_prio_send_advert, y.higher_prio_send_advert);
  d.field("lower_prio_no_advert", x.lower_prio_no_advert, y.lower_prio_no_advert);
  d.field("down_timer_adverts", x.down_timer_adverts, y.down_timer_adverts);
  return d.lines_;
}

bool recreate_needed(const InstanceSpec& a, const InstanceSpec& b) {
  return a.interface != b.interface || a.router.vrid != b.router.vrid || a.router.family != b.router.family ||
         a.router.version != b.router.version || a.sync_group != b.sync_group;
}

bool router_settings_equal_but_priority(const RouterConfig& x, const RouterConfig& y) {
  auto garp_eq = [](const GarpConfig& a, const GarpConfig& b) {
    return a.master_delay == b.master_delay && a.master_repeat == b.master_repeat &&
           a.master_refresh == b.master_refresh && a.master_refresh_repeat == b.master_refresh_repeat &&
           a.lower_prio_delay == b.lower_prio_delay && a.lower_prio_repeat == b.lower_prio_repeat;
  };
  // 255 is not a weight of priority but a role (address owner, RFC 5798 §6.4.1): rebuild for it.
  const bool owner_same = (x.priority == 255) == (y.priority == 255);
  return owner_same && x.name == y.name && x.vrid == y.vrid && x.family == y.family && x.version == y.version &&
         x.advert_interval == y.advert_interval && x.preempt == y.preempt && x.preempt_delay == y.preempt_delay &&
         x.primary_address == y.primary_address && x.addresses == y.addresses && x.auth.type == y.auth.type &&
         x.auth.password == y.auth.password && x.accept == y.accept && x.lossless_handover == y.lossless_handover &&
         x.timer_expired_backup == y.timer_expired_backup && x.highest_other_priority == y.highest_other_priority &&
         garp_eq(x.garp, y.garp) && x.higher_prio_send_advert == y.higher_prio_send_advert &&
         x.lower_prio_no_advert == y.lower_prio_no_advert && x.down_timer_adverts == y.down_timer_adverts &&
         x.sync_group == y.sync_group;
}

Advert advert_for(const RouterConfig& config, std::uint8_t priority) {
  Advert a;
  a.version = config.version;
  a.vrid = config.vrid;
  a.priority = priority;
  a.max_advert_int = wire_interval(config.version, config.advert_interval);
  a.addresses = config.addresses;
  if (config.version == 2) {
    a.auth_type = config.auth.type;
    a.auth_data = config.auth.password;
  }
  return a;
}

}  // namespace vrrp
