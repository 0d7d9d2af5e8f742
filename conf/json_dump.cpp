#include "conf/json_dump.hpp"

namespace conf {

namespace {

using J = nlohmann::ordered_json;

/// Seconds as a number: integral when whole, else with the fraction (µs precision).
J seconds(Duration d) {
  if (d.count() % 1'000'000 == 0) return d.count() / 1'000'000;
  return static_cast<double>(d.count()) / 1e6;
}

template <typename T>
J opt(const std::optional<T>& v) {
  if (!v) return nullptr;
  if constexpr (std::is_same_v<T, IpAddress>) return v->to_string();
  else if constexpr (std::is_same_v<T, Duration>) return seconds(*v);
  else if constexpr (std::is_same_v<T, std::uint8_t>) return static_cast<unsigned>(*v);
  else return *v;
}

template <typename T>
J opt(const vigil::Box<T>& v) {
  return v ? opt(std::optional<T>(*v)) : J(nullptr);
}

J loc(const SourceLoc& l) { return l.to_string(); }

J script(const Script* s) {
  if (s == nullptr) return nullptr;
  J j{{"command", s->command}};
  if (s->user) j["user"] = *s->user;
  if (s->group) j["group"] = *s->group;
  return j;
}

J script(const std::optional<Script>& s) { return script(s ? &*s : nullptr); }
J script(const vigil::Box<Script>& s) { return script(s.get()); }

J notify(const NotifyScripts& n) {
  return J{{"master", script(n.master)}, {"backup", script(n.backup)}, {"fault", script(n.fault)},
           {"stop", script(n.stop)},     {"deleted", script(n.deleted)}, {"notify", script(n.any)},
           {"master_rx_lower_pri", script(n.master_rx_lower_pri)}};
}

J method(const LvsMethod& m) {
  J j{{"method", to_string(m.method)}};
  if (m.method == ForwardMethod::tun) {
    static constexpr const char* types[] = {"ipip", "gue", "gre"};
    static constexpr const char* sums[] = {"default", "nocsum", "csum", "remcsum"};
    j["tunnel_type"] = types[static_cast<int>(m.tunnel_type)];
    j["tunnel_port"] = opt(m.tunnel_port);
    j["tunnel_checksum"] = sums[static_cast<int>(m.tunnel_checksum)];
  }
  return j;
}

J vip(const VirtualIp& v) {
  J j{{"address", v.prefix.to_string()}};
  if (v.broadcast) j["brd"] = v.broadcast->to_string();
  if (v.broadcast_auto) j["brd"] = "+";
  j["dev"] = opt(v.dev);
  j["scope"] = to_string(v.scope);
  j["label"] = opt(v.label);
  if (v.peer) j["peer"] = v.peer->to_string();
  if (v.preferred_lft) j["preferred_lft"] = *v.preferred_lft;
  if (v.no_dad) j["nodad"] = true;
  if (v.no_prefix_route) j["noprefixroute"] = true;
  if (v.home) j["home"] = true;
  return j;
}

J track_interfaces(const std::vector<TrackInterface>& v) {
  J a = J::array();
  for (const auto& t : v) a.push_back(J{{"interface", t.name}, {"weight", t.weight}, {"reverse", t.reverse}});
  return a;
}

J track_scripts(const std::vector<TrackScript>& v) {
  J a = J::array();
  for (const auto& t : v) a.push_back(J{{"script", t.name}, {"weight", opt(t.weight)}, {"reverse", t.reverse}});
  return a;
}

J global(const GlobalDefs& g) {
  J j{{"router_id", g.router_id},
      {"vrrp_version", g.vrrp_version},
      {"vrrp_mcast_group4", g.vrrp_mcast_group4.to_string()},
      {"vrrp_mcast_group6", g.vrrp_mcast_group6.to_string()},
      {"vrrp_strict", g.vrrp_strict},
      {"vrrp_garp_master_delay", seconds(g.vrrp_garp_master_delay)},
      {"vrrp_garp_master_repeat", g.vrrp_garp_master_repeat},
      {"vrrp_garp_master_refresh", seconds(g.vrrp_garp_master_refresh)},
      {"vrrp_rt_priority", opt(g.vrrp_rt_priority)},
      {"vrrp_no_swap", g.vrrp_no_swap},
      {"script_user", opt(g.script_user)},
      {"enable_script_security", g.enable_script_security},
      {"lvs_flush", g.lvs_flush},
      {"lvs_flush_on_stop", g.lvs_flush_on_stop},
      {"ipvs_on_stop", g.ipvs_keep_on_stop ? "keep" : "remove"},
      {"handover", g.handover == HandoverMode::lossless ? "lossless" : "immediate"},
      {"metrics_listen", opt(g.metrics_listen)},
      {"control_socket", opt(g.control_socket)},
      {"reconcile_interval", seconds(g.reconcile_interval)},
      {"drain_timeout", seconds(g.drain_timeout)}};
  if (g.lvs_sync_daemon) {
    const auto& d = *g.lvs_sync_daemon;
    j["lvs_sync_daemon"] = J{{"interface", d.interface}, {"vrrp_instance", opt(d.vrrp_instance)}, {"id", d.sync_id}};
  }
  J t = J::object();
  if (g.lvs_timeouts.tcp) t["tcp"] = *g.lvs_timeouts.tcp;
  if (g.lvs_timeouts.tcp_fin) t["tcpfin"] = *g.lvs_timeouts.tcp_fin;
  if (g.lvs_timeouts.udp) t["udp"] = *g.lvs_timeouts.udp;
  if (!t.empty()) j["lvs_timeouts"] = t;
  return j;
}

J instance(const VrrpInstance& i) {
  J vips = J::array(), excluded = J::array(), peers = J::array();
  for (const auto& v : i.vips) vips.push_back(vip(v));
  for (const auto& v : i.excluded_vips) excluded.push_back(vip(v));
  for (const auto& p : i.unicast_peers) {
    J pj{{"address", p.address.to_string()}};
    if (p.min_ttl) pj["min_ttl"] = *p.min_ttl;
    if (p.max_ttl) pj["max_ttl"] = *p.max_ttl;
    peers.push_back(pj);
  }
  return J{{"name", i.name},
           {"source", loc(i.loc)},
           {"state", to_string(i.initial_state)},
           {"interface", i.interface},
           {"virtual_router_id", i.vrid},
           {"priority", i.priority},
           {"advert_int", seconds(i.advert_int)},
           {"version", i.version},
           {"family", vigil::to_string(i.family)},
           {"authentication", J{{"type", to_string(i.auth_type)}, {"pass_set", !i.auth_pass.empty()}}},
           {"virtual_ipaddress", vips},
           {"virtual_ipaddress_excluded", excluded},
           {"unicast_src_ip", opt(i.unicast_src_ip)},
           {"unicast_peer", peers},
           {"mcast_src_ip", opt(i.mcast_src_ip)},
           {"track_interface", track_interfaces(i.track_interfaces)},
           {"track_script", track_scripts(i.track_scripts)},
           {"preempt", i.preempt},
           {"preempt_delay", seconds(i.preempt_delay)},
           {"accept", i.accept},
           {"down_timer_adverts", i.down_timer_adverts},
           {"v3_checksum_as_v2", i.v3_checksum_as_v2},
           {"timer_expired_backup", opt(i.timer_expired_backup)},
           {"garp_master_delay", seconds(i.garp_master_delay)},
           {"garp_master_repeat", i.garp_master_repeat},
           {"garp_master_refresh", seconds(i.garp_master_refresh)},
           {"garp_master_refresh_repeat", i.garp_master_refresh_repeat},
           {"notify", notify(i.notify)},
           {"sync_group", opt(i.sync_group)}};
}

J checker(const Checker& c) {
  J j{{"type", to_string(c.kind)},
      {"source", loc(c.loc)},
      {"connect_ip", opt(c.connect_ip)},
      {"connect_port", opt(c.connect_port)},
      {"bindto", opt(c.bindto)},
      {"bind_port", opt(c.bind_port)},
      {"connect_timeout", seconds(c.connect_timeout)},
      {"retry", c.retry},
      {"delay_before_retry", seconds(c.delay_before_retry)},
      {"delay_loop", seconds(c.delay_loop)},
      {"warmup", opt(c.warmup)},
      {"alpha", c.alpha}};
  if (const auto* h = std::get_if<HttpCheckSpec>(&c.spec)) {
    J urls = J::array();
    for (const auto& u : h->urls) {
      J codes = J::array();
      for (const auto& [lo, hi] : u.status_codes) codes.push_back(lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi));
      urls.push_back(J{{"path", u.path}, {"digest", opt(u.digest)}, {"status_code", codes}, {"virtualhost", opt(u.virtualhost)}});
    }
    j["url"] = urls;
    j["http_protocol"] = h->http_protocol;
    j["virtualhost"] = opt(h->virtualhost);
    if (c.kind == CheckerKind::ssl) {
      j["enable_sni"] = h->enable_sni;
      j["sni_name"] = opt(h->sni_name);
    }
  } else if (const auto* m = std::get_if<MiscCheckSpec>(&c.spec)) {
    j["misc_path"] = script(&m->path);
    j["misc_timeout"] = opt(m->timeout);
    j["misc_dynamic"] = m->dynamic;
  } else if (const auto* d = std::get_if<DnsCheckSpec>(&c.spec)) {
    j["dns_type"] = d->type;
    j["dns_name"] = d->name;
  } else if (const auto* u = std::get_if<UdpCheckSpec>(&c.spec)) {
    j["payload_bytes"] = u->payload.size();
    j["require_reply"] = u->require_reply;
  }
  return j;
}

J virtual_server(const VirtualServer& v) {
  J rs = J::array();
  for (const auto& r : v.real_servers) {
    J checkers = J::array();
    for (const auto& c : r.checkers) checkers.push_back(checker(c));
    rs.push_back(J{{"address", r.address.to_string()},
                   {"port", r.port},
                   {"source", loc(r.loc)},
                   {"weight", r.weight},
                   {"lvs_method", method(r.method)},
                   {"uthreshold", r.upper_threshold},
                   {"lthreshold", r.lower_threshold},
                   {"inhibit_on_failure", r.inhibit_on_failure},
                   {"alpha", r.alpha},
                   {"notify_up", script(r.notify_up)},
                   {"notify_down", script(r.notify_down)},
                   {"checkers", checkers}});
  }
  J j{{"key", v.key()}, {"source", loc(v.loc)}};
  if (v.address) {
    j["address"] = v.address->to_string();
    j["port"] = v.port;
  }
  if (v.fwmark) j["fwmark"] = *v.fwmark;
  if (v.group) j["group"] = *v.group;
  j["family"] = vigil::to_string(v.family);
  j["protocol"] = to_string(v.protocol);
  j["lvs_sched"] = v.scheduler;
  j["lvs_method"] = method(v.method);
  j["flags"] = J{{"flag-1", v.flag1}, {"flag-2", v.flag2}, {"flag-3", v.flag3}, {"ops", v.one_packet}};
  j["persistence_timeout"] = opt(v.persistence_timeout);
  j["persistence_granularity"] = opt(v.persistence_granularity);
  j["persistence_engine"] = opt(v.persistence_engine);
  j["quorum"] = v.quorum;
  j["hysteresis"] = v.hysteresis;
  j["quorum_up"] = script(v.quorum_up);
  j["quorum_down"] = script(v.quorum_down);
  if (v.sorry_server)
    j["sorry_server"] = J{{"address", v.sorry_server->address.to_string()}, {"port", v.sorry_server->port},
                          {"inhibit", v.sorry_server_inhibit}};
  else
    j["sorry_server"] = nullptr;
  j["delay_loop"] = seconds(v.delay_loop);
  j["inhibit_on_failure"] = v.inhibit_on_failure;
  j["alpha"] = v.alpha;
  j["omega"] = v.omega;
  j["ha_suspend"] = v.ha_suspend;
  j["real_servers"] = rs;
  return j;
}

}  // namespace

J to_json(const Config& config) {
  J scripts = J::array(), groups = J::array(), instances = J::array(), vs_groups = J::array(), servers = J::array();
  for (const auto& s : config.vrrp_scripts)
    scripts.push_back(J{{"name", s.name}, {"script", s.script.command}, {"interval", seconds(s.interval)},
                        {"timeout", seconds(s.timeout)}, {"weight", s.weight}, {"reverse", s.weight_reverse},
                        {"rise", s.rise}, {"fall", s.fall}, {"user", opt(s.script.user)}, {"init_fail", s.init_fail}});
  for (const auto& g : config.sync_groups)
    groups.push_back(J{{"name", g.name}, {"group", g.members}, {"track_interface", track_interfaces(g.track_interfaces)},
                       {"track_script", track_scripts(g.track_scripts)}, {"notify", notify(g.notify)}});
  for (const auto& i : config.vrrp_instances) instances.push_back(instance(i));
  for (const auto& g : config.virtual_server_groups) {
    J entries = J::array();
    for (const auto& e : g.entries) {
      if (e.fwmark) entries.push_back(J{{"fwmark", *e.fwmark}});
      else entries.push_back(J{{"first", e.first->to_string()}, {"last", e.last->to_string()}, {"port", e.port}});
    }
    vs_groups.push_back(J{{"name", g.name}, {"entries", entries}});
  }
  for (const auto& v : config.virtual_servers) servers.push_back(virtual_server(*v));
  return J{{"files", config.files},
           {"global_defs", global(config.global)},
           {"vrrp_scripts", scripts},
           {"vrrp_sync_groups", groups},
           {"vrrp_instances", instances},
           {"virtual_server_groups", vs_groups},
           {"virtual_servers", servers}};
}

J to_json(const Diagnostic& d) {
  return J{{"file", d.loc.file ? *d.loc.file : std::string()},
           {"line", d.loc.line},
           {"column", d.loc.column},
           {"severity", to_string(d.severity)},
           {"message", d.message}};
}

}  // namespace conf
