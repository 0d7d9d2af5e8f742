// DOC: global_defs, SSL and the top level of the file.
#include <unistd.h>

#include <algorithm>

#include "conf/builders.hpp"

namespace conf {

namespace {

using K = Keyword<GlobalDefs>;
constexpr auto no_effect = KeywordKind::no_effect;
constexpr auto deprecated = KeywordKind::deprecated;

void set_u8_opt(BuildContext& ctx, const Statement& s, std::optional<std::uint8_t>& field, std::uint64_t lo,
                std::uint64_t hi) {
  if (!ctx.args(s, 1, 1)) return;
  if (const auto v = ctx.uint(s.args[0], lo, hi, s.keyword.text)) field = static_cast<std::uint8_t>(*v);
}

void parse_lvs_sync_daemon(BuildContext& ctx, const Statement& s, GlobalDefs& g) {
  // lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]
  if (!ctx.args(s, 1, 14)) return;
  LvsSyncDaemon d;
  d.interface = s.args[0].text;
  d.loc = ctx.loc(s.keyword);
  for (std::size_t i = 1; i < s.args.size(); ++i) {
    const auto& word = s.args[i].text;
    const bool has_value = i + 1 < s.args.size();
    if ((word == "id" || word == "maxlen" || word == "port" || word == "ttl" || word == "group" || word == "inst") &&
        !has_value) {
      ctx.error(s.args[i], "'" + word + "' needs a value");
      return;
    }
    if (word == "id") {
      if (const auto v = ctx.uint(s.args[++i], 0, 255, "sync id")) d.sync_id = static_cast<std::uint32_t>(*v);
    } else if (word == "maxlen") {
      if (const auto v = ctx.uint(s.args[++i], 1, 65535 - 20 - 8, "maxlen")) d.max_len = static_cast<std::uint16_t>(*v);
    } else if (word == "port") {
      if (const auto v = ctx.port(s.args[++i])) d.port = *v;
    } else if (word == "ttl") {
      if (const auto v = ctx.uint(s.args[++i], 1, 255, "ttl")) d.ttl = static_cast<std::uint8_t>(*v);
    } else if (word == "group") {
      d.group = ctx.ip(s.args[++i], "multicast group");
    } else if (word == "inst") {
      d.vrrp_instance = s.args[++i].text;
    } else if (!d.vrrp_instance && i == 1) {
      d.vrrp_instance = word;
    } else {
      ctx.error(s.args[i], "unexpected value '" + word + "' in lvs_sync_daemon");
      return;
    }
  }
  g.lvs_sync_daemon = d;
}

void parse_lvs_timeouts(BuildContext& ctx, const Statement& s, GlobalDefs& g) {
  if (!ctx.args(s, 2, 6)) return;
  for (std::size_t i = 0; i < s.args.size(); i += 2) {
    const auto& which = s.args[i].text;
    if (i + 1 >= s.args.size()) {
      ctx.error(s.args[i], "'" + which + "' needs a value in seconds");
      return;
    }
    const auto v = ctx.uint(s.args[i + 1], 0, 86400 * 31, "timeout");
    if (!v) return;
    const auto secs = static_cast<std::uint32_t>(*v);
    if (which == "tcp") g.lvs_timeouts.tcp = secs;
    else if (which == "tcpfin") g.lvs_timeouts.tcp_fin = secs;
    else if (which == "udp") g.lvs_timeouts.udp = secs;
    else {
      ctx.error(s.args[i], "lvs_timeouts takes tcp, tcpfin or udp, not '" + which + "'");
      return;
    }
  }
}

const KeywordTable<GlobalDefs>& global_table() {
  static const KeywordTable<GlobalDefs> table{
      "global_defs",
      {
          K{"router_id", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_string(s, g.router_id); }},
          K{"vrrp_version",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 1)) return;
              if (const auto v = c.uint(s.args[0], 2, 3, "vrrp_version")) g.vrrp_version = static_cast<std::uint8_t>(*v);
            }},
          K{"vrrp_mcast_group4",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 1)) return;
              const auto a = c.ip(s.args[0], "IPv4 multicast group");
              if (a && (!a->is_v4() || !a->is_multicast())) c.error(s.args[0], "'" + s.args[0].text + "' is not an IPv4 multicast address");
              else if (a) g.vrrp_mcast_group4 = *a;
            }},
          K{"vrrp_mcast_group6",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 1)) return;
              const auto a = c.ip(s.args[0], "IPv6 multicast group");
              if (a && (!a->is_v6() || !a->is_multicast())) c.error(s.args[0], "'" + s.args[0].text + "' is not an IPv6 multicast address");
              else if (a) g.vrrp_mcast_group6 = *a;
            }},
          K{"vrrp_strict", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.vrrp_strict); }},
          K{"vrrp_check_unicast_src",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.vrrp_check_unicast_src); }},
          K{"vrrp_skip_check_adv_addr",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.vrrp_skip_check_adv_addr); }},
          K{"vrrp_lower_prio_no_advert",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.vrrp_lower_prio_no_advert); }},
          K{"vrrp_higher_prio_send_advert",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.vrrp_higher_prio_send_advert); }},
          K{"v3_checksum_as_v2", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.v3_checksum_as_v2); }},
          K{"vrrp_garp_master_delay",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              c.set_timer(s, g.vrrp_garp_master_delay, Duration{0}, std::chrono::seconds(255));
            }},
          K{"vrrp_garp_master_repeat",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_uint(s, g.vrrp_garp_master_repeat, 0, 255); }},
          K{"vrrp_garp_master_refresh",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_timer(s, g.vrrp_garp_master_refresh); }},
          K{"vrrp_garp_master_refresh_repeat",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              c.set_uint(s, g.vrrp_garp_master_refresh_repeat, 0, 255);
            }},
          K{"vrrp_garp_lower_prio_delay",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              c.set_timer(s, g.vrrp_garp_lower_prio_delay, Duration{0}, std::chrono::seconds(255));
            }},
          K{"vrrp_garp_lower_prio_repeat",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_uint(s, g.vrrp_garp_lower_prio_repeat, 0, 255); }},
          K{"vrrp_garp_interval", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_timer(s, g.vrrp_garp_interval, Duration{0}, std::chrono::seconds(1)); }},
          K{"vrrp_gna_interval", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_timer(s, g.vrrp_gna_interval, Duration{0}, std::chrono::seconds(1)); }},
          K{"vrrp_down_timer_adverts",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_uint(s, g.vrrp_down_timer_adverts, 1, 100); }},
          K{"vrrp_startup_delay", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_timer(s, g.vrrp_startup_delay); }},
          K{"vrrp_rt_priority",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { set_u8_opt(c, s, g.vrrp_rt_priority, 1, 99); }},
          K{"checker_rt_priority",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { set_u8_opt(c, s, g.checker_rt_priority, 1, 99); }},
          K{"vrrp_rlimit_rttime",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 1)) return;
              if (const auto v = c.uint(s.args[0], 1, 60'000'000, s.keyword.text)) g.vrrp_rlimit_rttime = *v;
            }},
          K{"vrrp_rlimit_rtime",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 1)) return;
              if (const auto v = c.uint(s.args[0], 1, 60'000'000, s.keyword.text)) g.vrrp_rlimit_rttime = *v;
            },
            deprecated, "vrrp_rlimit_rttime"},
          K{"vrrp_no_swap", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.vrrp_no_swap); }},
          K{"checker_no_swap", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.checker_no_swap); }},
          K{"script_user",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 2)) return;
              g.script_user = s.args[0].text;
              if (s.args.size() > 1) g.script_group = s.args[1].text;
            }},
          K{"enable_script_security",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.enable_script_security); }},
          K{"lvs_sync_daemon", parse_lvs_sync_daemon},
          K{"lvs_timeouts", parse_lvs_timeouts},
          K{"lvs_flush", [](BuildContext& c, const Statement& s, GlobalDefs& g) { c.set_flag(s, g.lvs_flush); }},
          K{"lvs_flush_on_stop",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 0, 1)) return;
              g.lvs_flush_on_stop = true;
              if (!s.args.empty()) {
                if (s.args[0].text == "VS") g.lvs_flush_on_stop_vs_only = true;
                else c.error(s.args[0], "lvs_flush_on_stop takes no value or 'VS', not '" + s.args[0].text + "'");
              }
            }},
          K{"lvs_flush_onstop", [](BuildContext&, const Statement&, GlobalDefs& g) { g.lvs_flush_on_stop = true; },
            deprecated, "lvs_flush_on_stop"},
          K{"state_dump_file",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (c.args(s, 1, 1)) g.state_dump_file = s.args[0].text;
            }},
          K{"stats_dump_file",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (c.args(s, 1, 1)) g.stats_dump_file = s.args[0].text;
            }},
          K{"json_dump_file",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (c.args(s, 1, 1)) g.json_dump_file = s.args[0].text;
            }},
          // vigil extensions
          K{"vigil_handover",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 1)) return;
              if (s.args[0].text == "lossless") g.handover = HandoverMode::lossless;
              else if (s.args[0].text == "immediate") g.handover = HandoverMode::immediate;
              else c.error(s.args[0], "vigil_handover takes 'lossless' or 'immediate', not '" + s.args[0].text + "'");
            }},
          K{"vigil_ipvs_on_stop",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 1)) return;
              if (s.args[0].text == "keep") g.ipvs_keep_on_stop = true;
              else if (s.args[0].text == "remove") g.ipvs_keep_on_stop = false;
              else c.error(s.args[0], "vigil_ipvs_on_stop takes 'remove' or 'keep', not '" + s.args[0].text + "'");
            }},
          K{"vigil_metrics_listen",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (c.args(s, 1, 1)) g.metrics_listen = s.args[0].text;
            }},
          K{"vigil_control_socket",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (c.args(s, 1, 1)) g.control_socket = s.args[0].text;
            }},
          K{"vigil_log_level",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              if (!c.args(s, 1, 1)) return;
              const auto& v = s.args[0].text;
              if (v == "trace" || v == "debug" || v == "info" || v == "warning" || v == "error" || v == "critical")
                g.log_level = v;
              else
                c.error(s.args[0], "vigil_log_level takes trace|debug|info|warning|error|critical, not '" + v + "'");
            }},
          K{"vigil_reconcile_interval",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              c.set_timer(s, g.reconcile_interval, std::chrono::milliseconds(100), std::chrono::hours(24));
            }},
          K{"vigil_drain_timeout",
            [](BuildContext& c, const Statement& s, GlobalDefs& g) {
              c.set_timer(s, g.drain_timeout, Duration{0}, std::chrono::hours(24 * 7));
            }},
          // keepalived keywords with no effect in vigil (one process, no email/SNMP/DBus/FIFOs/VMAC)
          K{"tmp_config_directory", nullptr, no_effect}, K{"config_save_dir", nullptr, no_effect},
          K{"process_names", nullptr, no_effect}, K{"process_name", nullptr, no_effect},
          K{"vrrp_process_name", nullptr, no_effect}, K{"checker_process_name", nullptr, no_effect},
          K{"lvs_process_name", nullptr, deprecated, "checker_process_name"},
          K{"bfd_process_name", nullptr, no_effect}, K{"startup_script", nullptr, no_effect},
          K{"startup_script_timeout", nullptr, no_effect}, K{"shutdown_script", nullptr, no_effect},
          K{"shutdown_script_timeout", nullptr, no_effect}, K{"umask", nullptr, no_effect},
          K{"random_seed", nullptr, no_effect}, K{"use_symlink_paths", nullptr, no_effect},
          K{"set_supplementary_groups", nullptr, no_effect}, K{"data_use_instance", nullptr, no_effect},
          K{"json_version", nullptr, no_effect}, K{"iproute_usr_dir", nullptr, no_effect},
          K{"iproute_etc_dir", nullptr, no_effect}, K{"notification_email", nullptr, no_effect},
          K{"notification_email_from", nullptr, no_effect}, K{"smtp_server", nullptr, no_effect},
          K{"smtp_helo_name", nullptr, no_effect}, K{"smtp_connect_timeout", nullptr, no_effect},
          K{"smtp_alert", nullptr, no_effect}, K{"smtp_alert_vrrp", nullptr, no_effect},
          K{"smtp_alert_checker", nullptr, no_effect}, K{"no_email_faults", nullptr, no_effect},
          K{"no_checker_emails", nullptr, no_effect}, K{"checker_log_all_failures", nullptr, no_effect},
          K{"default_interface", nullptr, no_effect}, K{"dynamic_interfaces", nullptr, no_effect},
          K{"disable_local_igmp", nullptr, no_effect}, K{"vrrp_owner_ignore_adverts", nullptr, no_effect},
          K{"vrrp_delay_after_boot", nullptr, no_effect}, K{"log_unknown_vrids", nullptr, no_effect},
          K{"vmac_prefix", nullptr, no_effect}, K{"vmac_addr_prefix", nullptr, no_effect},
          K{"vrrp_notify_priority_changes", nullptr, no_effect},
          K{"fifo_write_vrrp_states_on_reload", nullptr, no_effect}, K{"vrrp_min_garp", nullptr, no_effect},
          K{"vrrp_garp_extra_if", nullptr, no_effect},
          K{"vrrp_vmac_garp_intvl", nullptr, deprecated, "vrrp_garp_extra_if"},
          K{"nftables", nullptr, no_effect}, K{"nftables_priority", nullptr, no_effect},
          K{"nftables_counters", nullptr, no_effect}, K{"nftables_ifindex", nullptr, no_effect},
          K{"nftables_ipvs", nullptr, no_effect}, K{"nftables_ipvs_priority", nullptr, no_effect},
          K{"nftables_ipvs_start_fwmark", nullptr, no_effect}, K{"vrrp_iptables", nullptr, no_effect},
          K{"vrrp_ipsets", nullptr, no_effect}, K{"rs_init_notifies", nullptr, no_effect},
          K{"max_auto_priority", nullptr, no_effect}, K{"min_auto_priority_delay", nullptr, no_effect},
          K{"vrrp_priority", nullptr, no_effect}, K{"checker_priority", nullptr, no_effect},
          K{"bfd_priority", nullptr, no_effect}, K{"bfd_no_swap", nullptr, no_effect},
          K{"vrrp_cpu_affinity", nullptr, no_effect}, K{"checker_cpu_affinity", nullptr, no_effect},
          K{"bfd_cpu_affinity", nullptr, no_effect}, K{"bfd_rt_priority", nullptr, no_effect},
          K{"checker_rlimit_rttime", nullptr, no_effect}, K{"bfd_rlimit_rttime", nullptr, no_effect},
          K{"checker_rlimit_rtime", nullptr, deprecated, "checker_rlimit_rttime"},
          K{"bfd_rlimit_rtime", nullptr, deprecated, "bfd_rlimit_rttime"},
          K{"snmp_socket", nullptr, no_effect}, K{"enable_traps", nullptr, no_effect},
          K{"enable_snmp_vrrp", nullptr, no_effect},
          K{"enable_snmp_keepalived", nullptr, deprecated, "enable_snmp_vrrp"},
          K{"enable_snmp_checker", nullptr, no_effect}, K{"enable_snmp_rfc", nullptr, no_effect},
          K{"enable_snmp_rfcv2", nullptr, no_effect}, K{"enable_snmp_rfcv3", nullptr, no_effect},
          K{"snmp_vs_stats_update_interval", nullptr, no_effect},
          K{"snmp_rs_stats_update_interval", nullptr, no_effect}, K{"enable_dbus", nullptr, no_effect},
          K{"dbus_service_name", nullptr, no_effect}, K{"dbus_no_interface_name", nullptr, no_effect},
          K{"notify_fifo", nullptr, no_effect}, K{"notify_fifo_script", nullptr, no_effect},
          K{"vrrp_notify_fifo", nullptr, no_effect}, K{"vrrp_notify_fifo_script", nullptr, no_effect},
          K{"lvs_notify_fifo", nullptr, no_effect}, K{"lvs_notify_fifo_script", nullptr, no_effect},
          K{"vrrp_netlink_cmd_rcv_bufs", nullptr, no_effect},
          K{"vrrp_netlink_cmd_rcv_bufs_force", nullptr, no_effect},
          K{"vrrp_netlink_monitor_rcv_bufs", nullptr, no_effect},
          K{"vrrp_netlink_monitor_rcv_bufs_force", nullptr, no_effect},
          K{"lvs_netlink_cmd_rcv_bufs", nullptr, no_effect}, K{"lvs_netlink_cmd_rcv_bufs_force", nullptr, no_effect},
          K{"lvs_netlink_monitor_rcv_bufs", nullptr, no_effect},
          K{"lvs_netlink_monitor_rcv_bufs_force", nullptr, no_effect},
          K{"process_monitor_rcv_bufs", nullptr, no_effect},
          K{"process_monitor_rcv_bufs_force", nullptr, no_effect}, K{"vrrp_rx_bufs_policy", nullptr, no_effect},
          K{"vrrp_rx_bufs_multiplier", nullptr, no_effect}, K{"reload_check_config", nullptr, no_effect},
          K{"reload_time_file", nullptr, no_effect}, K{"reload_repeat", nullptr, no_effect},
          K{"reload_file", nullptr, no_effect}, K{"include_check", nullptr, no_effect},
          K{"linkbeat_use_polling", nullptr, no_effect},
      }};
  return table;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

void build_global_defs(BuildContext& ctx, const Statement& s, GlobalDefs& out) {
  if (!ctx.needs_block(s) || !ctx.args(s, 0, 0)) return;
  out.loc = ctx.loc(s.keyword);
  global_table().dispatch(ctx, s.children, out);
}

std::optional<SslContext> build_ssl(BuildContext& ctx, const Statement& s) {
  using KS = Keyword<SslContext>;
  static const KeywordTable<SslContext> table{
      "SSL",
      {
          KS{"password", [](BuildContext& c, const Statement& st, SslContext& o) { if (c.args(st, 1, 1)) o.password = st.args[0].text; }},
          KS{"ca", [](BuildContext& c, const Statement& st, SslContext& o) { if (c.args(st, 1, 1)) o.ca = st.args[0].text; }},
          KS{"certificate", [](BuildContext& c, const Statement& st, SslContext& o) { if (c.args(st, 1, 1)) o.certificate = st.args[0].text; }},
          KS{"key", [](BuildContext& c, const Statement& st, SslContext& o) { if (c.args(st, 1, 1)) o.key = st.args[0].text; }},
      }};
  if (!ctx.needs_block(s) || !ctx.args(s, 0, 0)) return std::nullopt;
  SslContext out;
  out.loc = ctx.loc(s.keyword);
  table.dispatch(ctx, s.children, out);
  return out;
}

Config build_config(BuildContext& ctx, std::vector<Statement>&& top, std::vector<VirtualServerPtr>&& built) {
  Config config;
  config.virtual_servers = std::move(built);
  config.global.router_id = host_name();
  bool seen_global = false;
  for (const auto& s : top) {
    if (s.keyword.text != "global_defs") continue;
    if (seen_global) ctx.warning(s.keyword, "second 'global_defs' block: its settings are merged into the first");
    seen_global = true;
    build_global_defs(ctx, s, config.global);
  }

  // Top-level keywords keepalived knows but vigil does not act on.
  static constexpr std::string_view k_no_effect_top[] = {
      "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets", "instance", "use_pid_dir",
      "child_wait_time", "linkbeat_use_polling", "linkbeat_interfaces", "track_group", "track_file",
      "vrrp_track_process", "bfd_instance", "garp_group", "interface_up_down_delays"};
  static constexpr std::string_view k_top_keywords[] = {
      "global_defs", "vrrp_script", "vrrp_sync_group", "vrrp_instance", "virtual_server_group",
      "virtual_server", "SSL", "static_ipaddress", "static_routes", "static_rules", "vrrp_track_file",
      "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets", "instance", "use_pid_dir",
      "child_wait_time", "linkbeat_use_polling", "linkbeat_interfaces", "track_group", "track_file",
      "vrrp_track_process", "bfd_instance", "garp_group", "interface_up_down_delays"};

  const auto count = [&top](std::string_view keyword) {
    return static_cast<std::size_t>(
        std::count_if(top.begin(), top.end(), [keyword](const Statement& s) { return s.keyword.text == keyword; }));
  };
  // Exact sizes: no growth slack at 10,000 virtual servers. The ones built while reading came
  // through push_back; those left in `top` (only after a missing '}') are added below. Slack
  // under 1/16 stays: shrinking copies the vector, so for a moment it would be there twice.
  auto& vss = config.virtual_servers;
  if (const auto left = count("virtual_server"); left == 0) {
    if (vss.capacity() - vss.size() > vss.size() / 16) vss.shrink_to_fit();
  } else {
    vss.reserve(vss.size() + left);
  }
  config.vrrp_instances.reserve(count("vrrp_instance"));

  for (auto& block : top) {
    const Statement& s = block;
    const auto& kw = s.keyword.text;
    if (kw == "global_defs") {
      // built above
    } else if (kw == "vrrp_script") {
      if (auto v = build_vrrp_script(ctx, s)) config.vrrp_scripts.push_back(std::move(*v));
    } else if (kw == "vrrp_sync_group") {
      if (auto v = build_sync_group(ctx, s)) config.sync_groups.push_back(std::move(*v));
    } else if (kw == "vrrp_instance") {
      if (auto v = build_vrrp_instance(ctx, s, config.global)) config.vrrp_instances.push_back(std::move(*v));
    } else if (kw == "virtual_server_group") {
      if (auto v = build_virtual_server_group(ctx, s)) config.virtual_server_groups.push_back(std::move(*v));
    } else if (kw == "virtual_server") {
      if (auto v = build_virtual_server(ctx, s))
        config.virtual_servers.push_back(std::make_shared<const VirtualServer>(std::move(*v)));
    } else if (kw == "SSL") {
      config.ssl = build_ssl(ctx, s);
    } else if (kw == "static_routes") {
      report_kind(ctx, s, KeywordKind::no_effect, {});
      check_route_block(ctx, s);
    } else if (kw == "static_rules") {
      report_kind(ctx, s, KeywordKind::no_effect, {});
      check_rule_block(ctx, s);
    } else if (kw == "static_ipaddress") {
      report_kind(ctx, s, KeywordKind::no_effect, {});
      check_address_block(ctx, s);
    } else if (kw == "vrrp_track_file") {
      report_kind(ctx, s, KeywordKind::deprecated, "track_file");
      report_kind(ctx, s, KeywordKind::no_effect, {});
    } else if (std::find(std::begin(k_no_effect_top), std::end(k_no_effect_top), kw) != std::end(k_no_effect_top) &&
               !s.keyword.quoted) {
      report_kind(ctx, s, KeywordKind::no_effect, {});
    } else {
      report_unknown(ctx, s, "top level", k_top_keywords);
    }
    block = Statement{};  // built: its statements are not needed any more (validation reads the model)
  }
  return config;
}

}  // namespace conf
