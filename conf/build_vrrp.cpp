// DOC: VRRP blocks — vrrp_script, vrrp_sync_group, vrrp_instance and their sub-blocks.
// Values that depend on other keywords of the same block (advert_int vs version, the priority
// implied by `state MASTER`) are resolved after the whole block is read, so keyword order does
// not matter (keepalived is order-sensitive in places; vigil is not).
#include <algorithm>

#include "conf/builders.hpp"

namespace conf {

namespace {

constexpr auto no_effect = KeywordKind::no_effect;
constexpr auto deprecated = KeywordKind::deprecated;
constexpr auto ignored = KeywordKind::ignored;

// ---------------------------------------------------------------------------------------------
// vrrp_script

const KeywordTable<VrrpScript>& script_table() {
  using K = Keyword<VrrpScript>;
  static const KeywordTable<VrrpScript> table{
      "vrrp_script",
      {
          K{"script",
            [](BuildContext& c, const Statement& s, VrrpScript& o) {
              if (auto v = c.script(s)) o.script = std::move(*v);
            }},
          K{"interval",
            [](BuildContext& c, const Statement& s, VrrpScript& o) {
              c.set_timer(s, o.interval, std::chrono::milliseconds(1), std::chrono::hours(24));
            }},
          K{"timeout",
            [](BuildContext& c, const Statement& s, VrrpScript& o) {
              c.set_timer(s, o.timeout, std::chrono::milliseconds(1), std::chrono::hours(24));
            }},
          K{"weight",
            [](BuildContext& c, const Statement& s, VrrpScript& o) {
              if (!c.args(s, 1, 2)) return;
              if (const auto v = c.sint(s.args[0], -253, 253, "weight")) o.weight = static_cast<std::int32_t>(*v);
              if (s.args.size() == 2) {
                if (s.args[1].text == "reverse") o.weight_reverse = true;
                else c.error(s.args[1], "expected 'reverse' after the weight, not '" + s.args[1].text + "'");
              }
            }},
          K{"rise", [](BuildContext& c, const Statement& s, VrrpScript& o) { c.set_uint(s, o.rise, 1, 1'000'000); }},
          K{"fall", [](BuildContext& c, const Statement& s, VrrpScript& o) { c.set_uint(s, o.fall, 1, 1'000'000); }},
          K{"user",
            [](BuildContext& c, const Statement& s, VrrpScript& o) {
              if (!c.args(s, 1, 2)) return;
              o.script.user = s.args[0].text;
              if (s.args.size() > 1) o.script.group = s.args[1].text;
            }},
          K{"init_fail", [](BuildContext& c, const Statement& s, VrrpScript& o) { c.set_flag(s, o.init_fail); }},
      }};
  return table;
}

// ---------------------------------------------------------------------------------------------
// notify scripts, shared by instances and sync groups

struct InstanceRaw;
NotifyScripts& notify_of(SyncGroup& g) { return g.notify; }
NotifyScripts& notify_of(InstanceRaw& r);

template <typename T, std::optional<Script> NotifyScripts::*Slot>
Keyword<T> notify_keyword(std::string_view name) {
  return Keyword<T>{name, [](BuildContext& c, const Statement& s, T& o) {
                      if (auto v = c.script(s)) notify_of(o).*Slot = std::move(*v);
                    }};
}

// ---------------------------------------------------------------------------------------------
// track_interface / track_script blocks

void parse_weight_suffix(BuildContext& ctx, const Statement& line, std::size_t first, std::int32_t lo, std::int32_t hi,
                         std::optional<std::int32_t>& weight, bool& reverse) {
  const auto& a = line.args;
  for (std::size_t i = first; i < a.size(); ++i) {
    if (a[i].text == "weight") {
      if (i + 1 >= a.size()) {
        ctx.error(a[i], "'weight' needs a value");
        return;
      }
      if (const auto v = ctx.sint(a[i + 1], lo, hi, "weight")) weight = static_cast<std::int32_t>(*v);
      ++i;
    } else if (a[i].text == "reverse") {
      reverse = true;
    } else if (a[i].text == "noreverse") {
      reverse = false;
    } else {
      ctx.error(a[i], "unexpected '" + a[i].text + "' (expected 'weight N [reverse]')");
      return;
    }
  }
}

}  // namespace

void build_track_interfaces(BuildContext& ctx, const Statement& s, std::vector<TrackInterface>& out) {
  if (!ctx.needs_block(s) || !ctx.args(s, 0, 0)) return;
  for (const auto& line : s.children) {
    if (line.has_block) {
      ctx.no_block(line);
      continue;
    }
    TrackInterface t;
    t.name = line.keyword.text;
    t.loc = ctx.loc(line.keyword);
    std::optional<std::int32_t> weight;
    parse_weight_suffix(ctx, line, 0, -254, 254, weight, t.reverse);
    t.weight = weight.value_or(0);
    out.push_back(std::move(t));
  }
}

void build_track_scripts(BuildContext& ctx, const Statement& s, std::vector<TrackScript>& out) {
  if (!ctx.needs_block(s) || !ctx.args(s, 0, 0)) return;
  for (const auto& line : s.children) {
    if (line.has_block) {
      ctx.no_block(line);
      continue;
    }
    TrackScript t;
    t.name = line.keyword.text;
    t.loc = ctx.loc(line.keyword);
    parse_weight_suffix(ctx, line, 0, -253, 253, t.weight, t.reverse);
    out.push_back(std::move(t));
  }
}

std::optional<VrrpScript> build_vrrp_script(BuildContext& ctx, const Statement& s) {
  if (!ctx.needs_block(s) || !ctx.args(s, 1, 1)) return std::nullopt;
  VrrpScript out;
  out.name = s.args[0].text;
  out.loc = ctx.loc(s.keyword);
  bool timeout_given = false;
  for (const auto& c : s.children) timeout_given |= c.keyword.text == "timeout";
  script_table().dispatch(ctx, s.children, out);
  if (!timeout_given) out.timeout = out.interval;  // keepalived: timeout defaults to interval
  if (out.script.command.empty()) {
    ctx.error(s.keyword, "vrrp_script '" + out.name + "' has no 'script'");
    return std::nullopt;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// vrrp_sync_group

std::optional<SyncGroup> build_sync_group(BuildContext& ctx, const Statement& s) {
  using K = Keyword<SyncGroup>;
  static const KeywordTable<SyncGroup> table{
      "vrrp_sync_group",
      {
          K{"group",
            [](BuildContext& c, const Statement& st, SyncGroup& g) {
              if (!c.needs_block(st) || !c.args(st, 0, 0)) return;
              for (const auto& line : st.children) {  // names, one or several per line
                if (line.has_block) c.no_block(line);
                g.members.push_back(line.keyword.text);
                g.member_locs.push_back(c.loc(line.keyword));
                for (const auto& a : line.args) {
                  g.members.push_back(a.text);
                  g.member_locs.push_back(c.loc(a));
                }
              }
            }},
          K{"track_interface",
            [](BuildContext& c, const Statement& st, SyncGroup& g) { build_track_interfaces(c, st, g.track_interfaces); }},
          K{"track_script",
            [](BuildContext& c, const Statement& st, SyncGroup& g) { build_track_scripts(c, st, g.track_scripts); }},
          notify_keyword<SyncGroup, &NotifyScripts::master>("notify_master"),
          notify_keyword<SyncGroup, &NotifyScripts::backup>("notify_backup"),
          notify_keyword<SyncGroup, &NotifyScripts::fault>("notify_fault"),
          notify_keyword<SyncGroup, &NotifyScripts::stop>("notify_stop"),
          notify_keyword<SyncGroup, &NotifyScripts::deleted>("notify_deleted"),
          notify_keyword<SyncGroup, &NotifyScripts::any>("notify"),
          K{"sync_group_tracking_weight",
            [](BuildContext& c, const Statement& st, SyncGroup& g) { c.set_flag(st, g.sync_group_tracking_weight); }},
          K{"track_file", nullptr, no_effect},
          K{"track_process", nullptr, no_effect},
          K{"track_bfd", nullptr, no_effect},
          K{"notify_priority_changes", nullptr, no_effect},
          K{"smtp_alert", nullptr, no_effect},
          K{"global_tracking", nullptr, deprecated, "sync_group_tracking_weight"},
      }};
  if (!ctx.needs_block(s) || !ctx.args(s, 1, 1)) return std::nullopt;
  SyncGroup out;
  out.name = s.args[0].text;
  out.loc = ctx.loc(s.keyword);
  bool misplaced_names = false;
  for (const auto& child : s.children) {
    // A sync group written as `vrrp_sync_group G { VI_1 VI_2 }` (without `group { }`) is a
    // common mistake (Debian's keepalived.conf.vrrp.lvs_syncd sample has it): say so precisely.
    if (!table.contains(child.keyword.text) && !child.has_block &&
        (child.keyword.text.rfind("VI", 0) == 0 || child.keyword.text.find('_') != std::string::npos) &&
        !suggest(child.keyword.text, std::vector<std::string_view>{"group", "notify", "notify_master",
                                                                     "notify_backup", "notify_fault", "notify_stop",
                                                                     "track_script", "track_interface"})) {
      ctx.error(child.keyword, "unknown keyword '" + child.keyword.text +
                                   "' in 'vrrp_sync_group'; instance names must be listed inside 'group { ... }'");
      misplaced_names = true;
      continue;
    }
    table.dispatch_one(ctx, child, out);
  }
  if (out.members.empty() && !misplaced_names) ctx.warning(s.keyword, "vrrp_sync_group '" + out.name + "' has no members");
  return out;
}

// ---------------------------------------------------------------------------------------------
// virtual_ipaddress lines

std::optional<VirtualIp> parse_virtual_ip(BuildContext& ctx, const Statement& line) {
  if (line.has_block) {
    ctx.no_block(line);
    return std::nullopt;
  }
  VirtualIp vip;
  vip.loc = ctx.loc(line.keyword);
  const auto p = ctx.prefix(line.keyword, "virtual IP address");
  if (!p) return std::nullopt;
  vip.prefix = *p;
  const auto& a = line.args;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& w = a[i].text;
    auto value = [&]() -> const Token* {
      if (i + 1 < a.size()) return &a[++i];
      ctx.error(a[i], "'" + w + "' needs a value");
      return nullptr;
    };
    if (w == "brd") {
      const Token* v = value();
      if (!v) return std::nullopt;
      if (v->text == "+") vip.broadcast_auto = true;
      else if (v->text != "-") {
        vip.broadcast = ctx.ip(*v, "broadcast address");
        if (!vip.broadcast) return std::nullopt;
      }
    } else if (w == "dev") {
      const Token* v = value();
      if (!v) return std::nullopt;
      vip.dev = v->text;
    } else if (w == "scope") {
      const Token* v = value();
      if (!v) return std::nullopt;
      if (v->text == "global") vip.scope = IpScope::global;
      else if (v->text == "site") vip.scope = IpScope::site;
      else if (v->text == "link") vip.scope = IpScope::link;
      else if (v->text == "host") vip.scope = IpScope::host;
      else if (v->text == "nowhere") vip.scope = IpScope::nowhere;
      else {
        ctx.error(*v, "scope must be global, site, link, host or nowhere, not '" + v->text + "'");
        return std::nullopt;
      }
    } else if (w == "label") {
      const Token* v = value();
      if (!v) return std::nullopt;
      if (v->text.size() > 15) {
        ctx.error(*v, "label '" + v->text + "' is longer than 15 characters (IFNAMSIZ)");
        return std::nullopt;
      }
      vip.label = v->text;
    } else if (w == "peer") {
      const Token* v = value();
      if (!v) return std::nullopt;
      vip.peer = ctx.ip(*v, "peer address");
      if (!vip.peer) return std::nullopt;
    } else if (w == "preferred_lft") {
      const Token* v = value();
      if (!v) return std::nullopt;
      if (v->text == "forever") vip.preferred_lft.reset();
      else if (const auto n = ctx.uint(*v, 0, 0xFFFFFFFFU, "preferred_lft")) vip.preferred_lft = static_cast<std::uint32_t>(*n);
      else return std::nullopt;
    } else if (w == "home") {
      vip.home = true;
    } else if (w == "-nodad") {
      vip.no_dad = true;
    } else if (w == "noprefixroute") {
      vip.no_prefix_route = true;
    } else if (w == "use_vmac" || w == "mngtmpaddr" || w == "autojoin" || w == "no_track") {
      ctx.warning(a[i], "'" + w + "' on a virtual address is accepted but has no effect in vigil");
    } else {
      ctx.error(a[i], "unexpected '" + w + "' in a virtual address (expected brd, dev, scope, label, peer, ...)");
      return std::nullopt;
    }
  }
  if (vip.prefix.address.is_v6() && vip.prefix.length == 128 && !vip.preferred_lft) vip.preferred_lft = 0;
  return vip;
}

namespace {

void build_vips(BuildContext& ctx, const Statement& s, std::vector<VirtualIp>& out) {
  if (!ctx.needs_block(s) || !ctx.args(s, 0, 0)) return;
  for (const auto& line : s.children)
    if (auto vip = parse_virtual_ip(ctx, line)) out.push_back(std::move(*vip));
}

void build_unicast_peers(BuildContext& ctx, const Statement& s, std::vector<UnicastPeer>& out) {
  if (!ctx.needs_block(s) || !ctx.args(s, 0, 0)) return;
  for (const auto& line : s.children) {
    if (line.has_block) {
      ctx.no_block(line);
      continue;
    }
    const auto addr = ctx.ip(line.keyword, "unicast peer address");
    if (!addr) continue;
    UnicastPeer peer{*addr, std::nullopt, std::nullopt, ctx.loc(line.keyword)};
    const auto& a = line.args;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const bool is_min = a[i].text == "min_ttl";
      if ((is_min || a[i].text == "max_ttl") && i + 1 < a.size()) {
        if (const auto v = ctx.uint(a[i + 1], 0, 255, a[i].text)) (is_min ? peer.min_ttl : peer.max_ttl) = static_cast<std::uint8_t>(*v);
        ++i;
      } else {
        ctx.error(a[i], "unexpected '" + a[i].text + "' after a unicast peer (expected min_ttl N / max_ttl N)");
        break;
      }
    }
    out.push_back(peer);
  }
}

void build_authentication(BuildContext& ctx, const Statement& s, VrrpInstance& o) {
  if (!ctx.needs_block(s) || !ctx.args(s, 0, 0)) return;
  for (const auto& line : s.children) {
    const auto& kw = line.keyword.text;
    if (kw == "auth_type") {
      if (!ctx.args(line, 1, 1)) continue;
      const auto& v = line.args[0].text;
      if (v == "PASS") o.auth_type = AuthType::pass;
      else if (v == "AH") o.auth_type = AuthType::ah;
      else ctx.error(line.args[0], "auth_type must be PASS or AH, not '" + v + "'");
    } else if (kw == "auth_pass") {
      if (!ctx.args(line, 1, 1)) continue;
      o.auth_pass = line.args[0].text;
      if (o.auth_pass.size() > 8)
        ctx.warning(line.args[0], "auth_pass is longer than 8 characters; only the first 8 are used (RFC 2338 §5.3.10)");
      o.auth_pass.resize(std::min<std::size_t>(o.auth_pass.size(), 8));
    } else {
      static constexpr std::string_view names[] = {"auth_type", "auth_pass"};
      report_unknown(ctx, line, "authentication", names);
    }
  }
}

/// Fields whose meaning depends on other keywords of the block, resolved after it is read.
struct InstanceRaw {
  VrrpInstance inst;
  bool vip_block_seen = false;  // an invalid entry must not also read as "no virtual_ipaddress"
  std::optional<Token> advert_token;
  std::optional<std::uint8_t> version;
  std::optional<Token> version_token;
};

template <typename F>
Keyword<InstanceRaw> ik(std::string_view name, F f, KeywordKind kind = KeywordKind::implemented,
                        std::string_view modern = {}) {
  return Keyword<InstanceRaw>{name, +f, kind, modern};
}

Keyword<InstanceRaw> ik_none(std::string_view name, KeywordKind kind = no_effect, std::string_view modern = {}) {
  return Keyword<InstanceRaw>{name, nullptr, kind, modern};
}

NotifyScripts& notify_of(InstanceRaw& r) { return r.inst.notify; }

const KeywordTable<InstanceRaw>& instance_table() {
  using R = InstanceRaw;
  using C = BuildContext;
  using S = Statement;
  static const KeywordTable<InstanceRaw> table{
      "vrrp_instance",
      {
          ik("state",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 1, 1)) return;
               const auto& v = s.args[0].text;
               r.inst.state_given = true;
               if (v == "MASTER") r.inst.initial_state = InitialState::master;
               else if (v == "BACKUP") r.inst.initial_state = InitialState::backup;
               else {
                 r.inst.state_given = false;
                 c.error(s.args[0], "state must be MASTER or BACKUP, not '" + v + "'");
               }
             }),
          ik("interface", [](C& c, const S& s, R& r) { c.set_string(s, r.inst.interface); }),
          ik("virtual_router_id",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 1, 1)) return;
               r.inst.vrid_loc = c.loc(s.args[0]);
               if (const auto v = c.uint(s.args[0], 1, 255, "virtual_router_id")) r.inst.vrid = static_cast<std::uint8_t>(*v);
             }),
          ik("priority",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 1, 1)) return;
               if (const auto v = c.uint(s.args[0], 1, 255, "priority")) {
                 r.inst.priority = static_cast<std::uint8_t>(*v);
                 r.inst.priority_given = true;
               }
             }),
          ik("advert_int",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 1, 1)) return;
               if (const auto v = c.timer(s.args[0], std::chrono::milliseconds(10), std::chrono::seconds(255), "advert_int")) {
                 r.inst.advert_int = *v;
                 r.advert_token = s.args[0];
               }
             }),
          ik("version",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 1, 1)) return;
               if (const auto v = c.uint(s.args[0], 2, 3, "version")) {
                 r.version = static_cast<std::uint8_t>(*v);
                 r.version_token = s.args[0];
               }
             }),
          ik("authentication", [](C& c, const S& s, R& r) { build_authentication(c, s, r.inst); }),
          ik("virtual_ipaddress",
             [](C& c, const S& s, R& r) {
               r.vip_block_seen = true;
               build_vips(c, s, r.inst.vips);
             }),
          ik("virtual_ipaddress_excluded", [](C& c, const S& s, R& r) { build_vips(c, s, r.inst.excluded_vips); }),
          ik("no_virtual_ipaddress", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.no_virtual_ipaddress); }),
          ik("unicast_src_ip",
             [](C& c, const S& s, R& r) {
               if (c.args(s, 1, 1)) r.inst.unicast_src_ip = c.ip(s.args[0], "unicast_src_ip");
             }),
          ik("mcast_src_ip",
             [](C& c, const S& s, R& r) {
               if (c.args(s, 1, 1)) r.inst.mcast_src_ip = c.ip(s.args[0], "mcast_src_ip");
             }),
          ik("mcast_dst_ip",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 1, 1)) return;
               const auto a = c.ip(s.args[0], "mcast_dst_ip");
               if (a && !a->is_multicast()) c.error(s.args[0], "mcast_dst_ip '" + s.args[0].text + "' is not a multicast address");
               else r.inst.mcast_dst_ip = a;
             }),
          ik("unicast_peer", [](C& c, const S& s, R& r) { build_unicast_peers(c, s, r.inst.unicast_peers); }),
          ik("unicast_ttl",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 1, 1)) return;
               if (const auto v = c.uint(s.args[0], 1, 255, "unicast_ttl")) r.inst.unicast_ttl = static_cast<std::uint8_t>(*v);
             }),
          ik("unicast_fault_no_peer", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.unicast_fault_no_peer); }),
          ik("check_unicast_src", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.check_unicast_src); }),
          ik("track_interface", [](C& c, const S& s, R& r) { build_track_interfaces(c, s, r.inst.track_interfaces); }),
          ik("track_script", [](C& c, const S& s, R& r) { build_track_scripts(c, s, r.inst.track_scripts); }),
          ik("dont_track_primary", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.dont_track_primary); }),
          ik("nopreempt",
             [](C& c, const S& s, R& r) {
               if (c.args(s, 0, 0)) r.inst.preempt = false;
             }),
          ik_none("preempt", ignored),
          ik("preempt_delay",
             [](C& c, const S& s, R& r) { c.set_timer(s, r.inst.preempt_delay, Duration{0}, std::chrono::seconds(1000)); }),
          ik("accept",
             [](C& c, const S& s, R& r) {
               if (c.args(s, 0, 0)) r.inst.accept = true;
             }),
          ik("no_accept",
             [](C& c, const S& s, R& r) {
               if (c.args(s, 0, 0)) r.inst.accept = false;
             }),
          ik("strict_mode", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.strict); }),
          ik("skip_check_adv_addr", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.skip_check_adv_addr); }),
          ik("lower_prio_no_advert", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.lower_prio_no_advert); }),
          ik("higher_prio_send_advert", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.higher_prio_send_advert); }),
          ik("down_timer_adverts", [](C& c, const S& s, R& r) { c.set_uint(s, r.inst.down_timer_adverts, 1, 100); }),
          ik("v3_checksum_as_v2", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.v3_checksum_as_v2); }),
          ik("timer_expired_backup",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 0, 1)) return;
               r.inst.timer_expired_backup_given = true;
               r.inst.timer_expired_backup = 0;
               if (!s.args.empty())
                 if (const auto v = c.uint(s.args[0], 1, 254, "timer_expired_backup priority"))
                   r.inst.timer_expired_backup = static_cast<std::uint8_t>(*v);
             }),
          ik("thread_timer_expired",
             [](C& c, const S& s, R& r) {
               if (!c.args(s, 0, 0)) return;
               r.inst.timer_expired_backup_given = true;
               r.inst.timer_expired_backup = 0;
             },
             deprecated, "timer_expired_backup"),
          ik("garp_master_delay",
             [](C& c, const S& s, R& r) { c.set_timer(s, r.inst.garp_master_delay, Duration{0}, std::chrono::seconds(255)); }),
          ik("garp_master_repeat", [](C& c, const S& s, R& r) { c.set_uint(s, r.inst.garp_master_repeat, 0, 255); }),
          ik("garp_master_refresh", [](C& c, const S& s, R& r) { c.set_timer(s, r.inst.garp_master_refresh); }),
          ik("garp_master_refresh_repeat",
             [](C& c, const S& s, R& r) { c.set_uint(s, r.inst.garp_master_refresh_repeat, 0, 255); }),
          ik("garp_lower_prio_delay",
             [](C& c, const S& s, R& r) { c.set_timer(s, r.inst.garp_lower_prio_delay, Duration{0}, std::chrono::seconds(255)); }),
          ik("garp_lower_prio_repeat", [](C& c, const S& s, R& r) { c.set_uint(s, r.inst.garp_lower_prio_repeat, 0, 255); }),
          notify_keyword<InstanceRaw, &NotifyScripts::master>("notify_master"),
          notify_keyword<InstanceRaw, &NotifyScripts::backup>("notify_backup"),
          notify_keyword<InstanceRaw, &NotifyScripts::fault>("notify_fault"),
          notify_keyword<InstanceRaw, &NotifyScripts::stop>("notify_stop"),
          notify_keyword<InstanceRaw, &NotifyScripts::deleted>("notify_deleted"),
          notify_keyword<InstanceRaw, &NotifyScripts::any>("notify"),
          notify_keyword<InstanceRaw, &NotifyScripts::master_rx_lower_pri>("notify_master_rx_lower_pri"),
          ik("notify_priority_changes", [](C& c, const S& s, R& r) { c.set_flag(s, r.inst.notify_priority_changes); }),
          ik("lvs_sync_daemon_interface", [](C& c, const S& s, R&) { (void)c.args(s, 1, 1); }, deprecated,
             "lvs_sync_daemon in global_defs"),
          ik_none("debug", ignored),
          ik_none("native_ipv6", deprecated, "an IPv6 virtual_ipaddress"),
          ik_none("vrf"), ik_none("use_vmac"), ik_none("use_vmac_addr"), ik_none("vmac_xmit_base"),
          ik_none("use_ipvlan"), ik_none("track_file"), ik_none("track_process"), ik_none("track_bfd"),
          ik_none("promote_secondaries"), ik_none("owner_ignore_adverts"), ik_none("garp_extra_if"),
          ik_none("vmac_garp_intvl", deprecated, "garp_extra_if"), ik_none("smtp_alert"),
          ik_none("kernel_rx_buf_size"), ik_none("track_src_ip"), ik_none("old_unicast_checksum"),
          ik_none("linkbeat_use_polling", deprecated, "linkbeat_interfaces"), ik_none("auth_hmac"),
          ik("virtual_routes", [](C& c, const S& s, R&) { check_route_block(c, s); }, no_effect),
          ik("virtual_rules", [](C& c, const S& s, R&) { check_rule_block(c, s); }, no_effect),
      }};
  return table;
}

}  // namespace

std::optional<VrrpInstance> build_vrrp_instance(BuildContext& ctx, const Statement& s, const GlobalDefs& global) {
  if (!ctx.needs_block(s) || !ctx.args(s, 1, 1)) return std::nullopt;
  InstanceRaw raw;
  VrrpInstance& inst = raw.inst;
  inst.name = s.args[0].text;
  inst.loc = ctx.loc(s.keyword);
  // Global defaults first; the instance's own keywords override them.
  inst.garp_master_delay = global.vrrp_garp_master_delay;
  inst.garp_master_repeat = global.vrrp_garp_master_repeat;
  inst.garp_master_refresh = global.vrrp_garp_master_refresh;
  inst.garp_master_refresh_repeat = global.vrrp_garp_master_refresh_repeat;
  inst.garp_lower_prio_delay = global.vrrp_garp_lower_prio_delay;
  inst.garp_lower_prio_repeat = global.vrrp_garp_lower_prio_repeat;
  inst.down_timer_adverts = global.vrrp_down_timer_adverts;
  inst.strict = global.vrrp_strict;
  inst.skip_check_adv_addr = global.vrrp_skip_check_adv_addr;
  inst.lower_prio_no_advert = global.vrrp_lower_prio_no_advert;
  inst.higher_prio_send_advert = global.vrrp_higher_prio_send_advert;
  inst.v3_checksum_as_v2 = global.v3_checksum_as_v2;
  inst.check_unicast_src = global.vrrp_check_unicast_src;

  instance_table().dispatch(ctx, s.children, raw);
  if (raw.vip_block_seen) inst.no_virtual_ipaddress |= inst.vips.empty();

  inst.version = raw.version.value_or(global.vrrp_version);
  if (!inst.priority_given && inst.initial_state == InitialState::master) inst.priority = 255;  // keepalived
  if (inst.strict) inst.accept = false;
  if (!inst.vips.empty()) inst.family = inst.vips.front().prefix.address.family();
  else if (inst.unicast_src_ip) inst.family = inst.unicast_src_ip->family();

  // RFC 3768 §5.3.7: v2 Adver Int is whole seconds; RFC 5798 §5.2.7: v3 is centiseconds.
  using std::chrono::microseconds;
  const auto us = inst.advert_int.count();
  if (inst.version == 2 && us % 1'000'000 != 0) {
    const auto rounded = std::max<Duration::rep>(1, (us + 500'000) / 1'000'000);
    if (raw.advert_token)
      ctx.warning(*raw.advert_token, "VRRPv2 advert_int must be whole seconds; " + raw.advert_token->text +
                                         " is rounded to " + std::to_string(rounded));
    inst.advert_int = std::chrono::seconds(rounded);
  } else if (inst.version == 3 && (us % 10'000 != 0 || us > 40'950'000)) {
    if (us > 40'950'000) {
      if (raw.advert_token) ctx.error(*raw.advert_token, "VRRPv3 advert_int " + raw.advert_token->text + " out of range 0.01..40.95 s");
    } else {
      if (raw.advert_token)
        ctx.warning(*raw.advert_token, "VRRPv3 advert_int is in steps of 10 ms; " + raw.advert_token->text + " is rounded down");
      inst.advert_int = microseconds(us - us % 10'000);
    }
  }
  if (inst.version == 3 && inst.auth_type != AuthType::none) {
    ctx.warning(s.keyword, "vrrp_instance '" + inst.name + "': authentication is not part of VRRPv3 (RFC 5798) and is ignored");
    inst.auth_type = AuthType::none;
  }
  return inst;
}

// ---------------------------------------------------------------------------------------------
// Blocks accepted without effect whose addresses are still checked.

namespace {

bool is_address_like(std::string_view w) {
  return !w.empty() && (std::isdigit(static_cast<unsigned char>(w[0])) || w.find(':') != std::string_view::npos);
}

void check_prefix_token(BuildContext& ctx, const Token& t, std::string_view what) {
  if (t.text == "default" || t.text == "all") return;
  if (!IpPrefix::parse(t.text)) ctx.error(t, "invalid " + std::string(what) + " '" + t.text + "'");
}

}  // namespace

void check_route_block(BuildContext& ctx, const Statement& s) {
  if (!ctx.needs_block(s)) return;
  static constexpr std::string_view k_address_after[] = {"src", "via", "gw", "or", "to"};
  for (const auto& line : s.children) {
    std::vector<const Token*> words{&line.keyword};
    for (const auto& a : line.args) words.push_back(&a);
    bool destination_seen = false;
    for (std::size_t i = 0; i < words.size(); ++i) {
      const auto& w = words[i]->text;
      if (std::find(std::begin(k_address_after), std::end(k_address_after), w) != std::end(k_address_after)) {
        if (i + 1 < words.size()) {
          if (w == "to") check_prefix_token(ctx, *words[i + 1], "route destination");
          else check_prefix_token(ctx, *words[i + 1], "route address");
          destination_seen |= w == "to";
          ++i;
        }
        continue;
      }
      if (!destination_seen && is_address_like(w)) {
        check_prefix_token(ctx, *words[i], "route destination");
        destination_seen = true;
      }
    }
  }
}

void check_rule_block(BuildContext& ctx, const Statement& s) {
  if (!ctx.needs_block(s)) return;
  for (const auto& line : s.children) {
    std::vector<const Token*> words{&line.keyword};
    for (const auto& a : line.args) words.push_back(&a);
    for (std::size_t i = 0; i + 1 < words.size(); ++i)
      if (words[i]->text == "from" || words[i]->text == "to") check_prefix_token(ctx, *words[++i], "rule address");
  }
}

void check_address_block(BuildContext& ctx, const Statement& s) {
  if (!ctx.needs_block(s)) return;
  for (const auto& line : s.children) (void)parse_virtual_ip(ctx, line);
}

}  // namespace conf
