// DOC: The typed configuration model — what vigil understood from keepalived.conf.
//
// Every node carries the SourceLoc of the keyword that introduced it, so checks that run after
// parsing (and the daemon at reload time) can still point at the source. Fields hold resolved
// values: defaults are filled in and inheritance (virtual_server → real_server → checker) is
// already applied by the builder, so consumers never re-implement keepalived's defaulting rules.
// Durations are std::chrono end to end (keepalived's <TIMER> has µs resolution).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/box.hpp"
#include "common/ip_address.hpp"

namespace conf {

using Duration = std::chrono::microseconds;
using vigil::Family;
using vigil::IpAddress;
using vigil::IpPrefix;

struct SourceLoc {
  std::shared_ptr<const std::string> file;  // shared: thousands of nodes point at one path
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  [[nodiscard]] std::string to_string() const;  // "FILE:LINE:COL"
  friend bool operator==(const SourceLoc& a, const SourceLoc& b) {
    return a.line == b.line && a.column == b.column &&
           (a.file == b.file || (a.file && b.file && *a.file == *b.file));
  }
};

/// A command line for notify/check scripts: the operator's string as written, plus the user.
struct Script {
  std::string command;               // as written (may need a shell; see daemon's script runner)
  std::optional<std::string> user;   // per-script `user U [G]`, else global script_user
  std::optional<std::string> group;
  SourceLoc loc;
  friend bool operator==(const Script&, const Script&) = default;
};

// ---------------------------------------------------------------------------------------------
// global_defs

struct LvsSyncDaemon {
  std::string interface;
  std::optional<std::string> vrrp_instance;  // follows that instance's MASTER/BACKUP state
  std::uint32_t sync_id = 0;
  std::optional<std::uint16_t> max_len;
  std::optional<std::uint16_t> port;
  std::optional<std::uint8_t> ttl;
  std::optional<IpAddress> group;
  SourceLoc loc;
  friend bool operator==(const LvsSyncDaemon&, const LvsSyncDaemon&) = default;
};

struct LvsTimeouts {
  std::optional<std::uint32_t> tcp, tcp_fin, udp;  // seconds
  friend bool operator==(const LvsTimeouts&, const LvsTimeouts&) = default;
};

/// How a stopping master hands its addresses over (vigil extension `vigil_handover`).
enum class HandoverMode : std::uint8_t { lossless, immediate };

struct GlobalDefs {
  std::string router_id;                       // default: the host name
  std::uint8_t vrrp_version = 2;
  IpAddress vrrp_mcast_group4 = *IpAddress::parse("224.0.0.18");
  IpAddress vrrp_mcast_group6 = *IpAddress::parse("ff02::12");
  bool vrrp_strict = false;
  bool vrrp_check_unicast_src = false;
  bool vrrp_skip_check_adv_addr = false;
  bool vrrp_lower_prio_no_advert = false;
  bool vrrp_higher_prio_send_advert = false;
  bool v3_checksum_as_v2 = false;
  Duration vrrp_garp_master_delay = std::chrono::seconds(5);
  std::uint32_t vrrp_garp_master_repeat = 5;
  Duration vrrp_garp_master_refresh{0};        // 0 = off
  std::uint32_t vrrp_garp_master_refresh_repeat = 1;
  std::optional<Duration> vrrp_garp_lower_prio_delay;
  std::optional<std::uint32_t> vrrp_garp_lower_prio_repeat;
  Duration vrrp_garp_interval{0};
  Duration vrrp_gna_interval{0};
  std::uint32_t vrrp_down_timer_adverts = 3;
  Duration vrrp_startup_delay{0};
  std::optional<std::uint8_t> vrrp_rt_priority;   // SCHED_RR priority for the loop
  std::optional<std::uint8_t> checker_rt_priority;
  std::optional<std::uint64_t> vrrp_rlimit_rttime;  // µs
  bool vrrp_no_swap = false;
  bool checker_no_swap = false;
  std::optional<std::string> script_user;
  std::optional<std::string> script_group;
  bool enable_script_security = false;
  std::optional<LvsSyncDaemon> lvs_sync_daemon;
  LvsTimeouts lvs_timeouts;
  bool lvs_flush = false;
  bool lvs_flush_on_stop = false;
  bool lvs_flush_on_stop_vs_only = false;      // `lvs_flush_on_stop VS`
  bool ipvs_keep_on_stop = false;              // vigil_ipvs_on_stop keep: a restart adopts the table
  std::optional<std::string> state_dump_file;  // SIGUSR1 target (default /tmp/keepalived.data)
  std::optional<std::string> stats_dump_file;
  std::optional<std::string> json_dump_file;
  // vigil extensions (keywords keepalived does not have; all start with vigil_)
  HandoverMode handover = HandoverMode::lossless;
  std::optional<std::string> metrics_listen;   // "127.0.0.1:9650"; absent = off
  std::optional<std::string> control_socket;   // default /run/vigil/vigil.sock
  std::optional<std::string> log_level;
  Duration reconcile_interval = std::chrono::seconds(5);
  Duration drain_timeout = std::chrono::seconds(300);
  SourceLoc loc;
};

// ---------------------------------------------------------------------------------------------
// VRRP

struct VrrpScript {
  std::string name;
  Script script;
  Duration interval = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(1);  // keepalived: defaults to interval
  std::int32_t weight = 0;                     // -253..253
  bool weight_reverse = false;
  std::uint32_t rise = 1;
  std::uint32_t fall = 1;
  bool init_fail = false;
  SourceLoc loc;
};

struct TrackInterface {
  std::string name;
  std::int32_t weight = 0;  // 0: down → FAULT; else added to priority while up (reverse: while down)
  bool reverse = false;
  SourceLoc loc;
};

struct TrackScript {
  std::string name;
  std::optional<std::int32_t> weight;  // overrides the script's weight
  bool reverse = false;
  SourceLoc loc;
};

enum class IpScope : std::uint8_t { global, site, link, host, nowhere };

struct VirtualIp {
  IpPrefix prefix;
  std::optional<IpAddress> broadcast;  // brd IP
  bool broadcast_auto = false;         // brd +
  std::optional<std::string> dev;
  IpScope scope = IpScope::global;
  std::optional<std::string> label;
  std::optional<IpAddress> peer;
  bool no_dad = false;                 // -nodad
  bool no_prefix_route = false;
  bool home = false;
  std::optional<std::uint32_t> preferred_lft;  // seconds; v6 /128 defaults to 0
  SourceLoc loc;
};

struct UnicastPeer {
  IpAddress address;
  std::optional<std::uint8_t> min_ttl;
  std::optional<std::uint8_t> max_ttl;
  SourceLoc loc;
};

enum class InitialState : std::uint8_t { backup, master };
enum class AuthType : std::uint8_t { none, pass, ah };

struct NotifyScripts {
  std::optional<Script> master, backup, fault, stop, deleted, any;  // `notify` = any
  std::optional<Script> master_rx_lower_pri;
};

struct VrrpInstance {
  std::string name;
  InitialState initial_state = InitialState::backup;
  bool state_given = false;
  std::string interface;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 100;     // resolved: 255 when `state MASTER` and no priority given
  bool priority_given = false;
  Duration advert_int = std::chrono::seconds(1);
  std::uint8_t version = 2;        // resolved from instance / global vrrp_version
  Family family = Family::v4;      // of the VIPs (and so of the adverts)
  AuthType auth_type = AuthType::none;
  std::string auth_pass;           // at most 8 bytes used
  std::vector<VirtualIp> vips;
  std::vector<VirtualIp> excluded_vips;  // owned with the instance but not sent in adverts
  std::optional<IpAddress> unicast_src_ip;
  std::optional<IpAddress> mcast_src_ip;
  std::optional<IpAddress> mcast_dst_ip;
  std::vector<UnicastPeer> unicast_peers;
  std::optional<std::uint8_t> unicast_ttl;
  bool unicast_fault_no_peer = false;
  bool check_unicast_src = false;
  std::vector<TrackInterface> track_interfaces;
  std::vector<TrackScript> track_scripts;
  bool dont_track_primary = false;
  bool preempt = true;             // `nopreempt` clears it
  Duration preempt_delay{0};
  bool accept = true;              // keepalived: accept unless strict
  bool strict = false;
  bool skip_check_adv_addr = false;
  bool lower_prio_no_advert = false;
  bool higher_prio_send_advert = false;
  std::uint32_t down_timer_adverts = 3;
  bool v3_checksum_as_v2 = false;
  std::optional<std::uint8_t> timer_expired_backup;  // present = on; value = priority (0 = keep)
  bool timer_expired_backup_given = false;
  Duration garp_master_delay = std::chrono::seconds(5);
  std::uint32_t garp_master_repeat = 5;
  Duration garp_master_refresh{0};
  std::uint32_t garp_master_refresh_repeat = 1;
  std::optional<Duration> garp_lower_prio_delay;
  std::optional<std::uint32_t> garp_lower_prio_repeat;
  NotifyScripts notify;
  bool notify_priority_changes = false;
  std::optional<std::string> sync_group;   // filled from vrrp_sync_group membership
  bool no_virtual_ipaddress = false;        // an instance without VIPs is intended
  SourceLoc loc;
  SourceLoc vrid_loc;
};

struct SyncGroup {
  std::string name;
  std::vector<std::string> members;
  std::vector<SourceLoc> member_locs;
  std::vector<TrackInterface> track_interfaces;
  std::vector<TrackScript> track_scripts;
  NotifyScripts notify;
  bool sync_group_tracking_weight = false;
  SourceLoc loc;
};

// ---------------------------------------------------------------------------------------------
// IPVS

enum class Protocol : std::uint8_t { tcp, udp, sctp };
enum class ForwardMethod : std::uint8_t { nat, dr, tun };
enum class TunnelType : std::uint8_t { ipip, gue, gre };
enum class TunnelChecksum : std::uint8_t { none, nocsum, csum, remcsum };

struct LvsMethod {
  ForwardMethod method = ForwardMethod::nat;
  TunnelType tunnel_type = TunnelType::ipip;
  std::optional<std::uint16_t> tunnel_port;  // gue only
  TunnelChecksum tunnel_checksum = TunnelChecksum::none;
  friend bool operator==(const LvsMethod&, const LvsMethod&) = default;
};

enum class CheckerKind : std::uint8_t { tcp, http, ssl, misc, udp, dns, ping, smtp, file, bfd };

struct HttpUrl {
  std::string path;
  std::optional<std::string> digest;              // lower-case hex MD5 of the body
  std::vector<std::pair<int, int>> status_codes;  // inclusive ranges; empty = 200-299
  std::optional<std::string> virtualhost;
  std::optional<std::string> regex;
  bool regex_no_match = false;
  SourceLoc loc;
};

struct HttpCheckSpec {
  std::vector<HttpUrl> urls;
  std::string http_protocol = "1.0";  // 1.0, 1.0C, 1.1
  std::optional<std::string> virtualhost;
  bool enable_sni = false;
  std::optional<std::string> sni_name;
  bool fast_recovery = false;
  bool tls_compliant = false;
};

struct MiscCheckSpec {
  Script path;
  std::optional<Duration> timeout;  // misc_timeout; default delay_loop
  bool dynamic = false;             // misc_dynamic: exit 2..255 → weight = code − 2
};

struct UdpCheckSpec {
  std::vector<std::uint8_t> payload;
  bool require_reply = false;
  std::vector<std::uint8_t> reply;       // pattern bytes
  std::vector<bool> reply_wildcard;      // same length as reply: X nibble pairs
  std::uint32_t min_reply_length = 0;
  std::uint32_t max_reply_length = 255;
};

struct DnsCheckSpec {
  std::string type = "SOA";
  std::string name = ".";
};

struct SmtpCheckSpec {
  std::string helo_name;
};

struct Checker {
  CheckerKind kind = CheckerKind::tcp;
  std::optional<IpAddress> connect_ip;   // default: the real server's
  std::optional<std::uint16_t> connect_port;
  std::optional<IpAddress> bindto;
  std::optional<std::uint16_t> bind_port;
  std::optional<std::string> bind_if;
  std::optional<std::uint32_t> fwmark;
  // resolved with inheritance checker ← real_server ← virtual_server ← keepalived default
  Duration connect_timeout = std::chrono::seconds(5);
  std::uint32_t retry = 1;
  Duration delay_before_retry = std::chrono::seconds(1);
  Duration delay_loop = std::chrono::seconds(60);
  std::optional<Duration> warmup;        // absent: random in [0, delay_loop]
  bool alpha = false;
  bool log_all_failures = false;
  std::variant<std::monostate, HttpCheckSpec, MiscCheckSpec, UdpCheckSpec, DnsCheckSpec, SmtpCheckSpec> spec;
  SourceLoc loc;
};

struct RealServer {
  IpAddress address;
  std::uint16_t port = 0;            // 0 for fwmark services without a port
  std::uint32_t weight = 1;
  LvsMethod method;                  // resolved from the VS unless given here
  std::uint32_t upper_threshold = 0;
  std::uint32_t lower_threshold = 0;
  bool inhibit_on_failure = false;   // resolved from the VS unless given here
  vigil::Box<Script> notify_up;  // boxed: rarely set, and there may be 40,000 real servers
  vigil::Box<Script> notify_down;
  bool alpha = false;
  std::vector<Checker> checkers;
  SourceLoc loc;
};

struct VirtualServerGroupEntry {
  // An address range (first..last, same family; single address when equal) with a port,
  // or a firewall mark.
  std::optional<IpAddress> first;
  std::optional<IpAddress> last;
  std::uint16_t port = 0;
  std::optional<std::uint32_t> fwmark;
  std::optional<Family> fwmark_family;
  SourceLoc loc;
};

struct VirtualServerGroup {
  std::string name;
  std::vector<VirtualServerGroupEntry> entries;
  SourceLoc loc;
};

struct SorryServer {
  IpAddress address;
  std::uint16_t port = 0;
  std::optional<LvsMethod> method;
  SourceLoc loc;
};

struct VirtualServer {
  // Exactly one of: address+port, fwmark, group.
  std::optional<IpAddress> address;
  std::uint16_t port = 0;
  std::optional<std::uint32_t> fwmark;
  vigil::Box<std::string> group;  // boxed, like the other rarely-set members below
  Family family = Family::v4;       // resolved: from the address, ip_family, or the real servers
  bool family_given = false;
  Protocol protocol = Protocol::tcp;
  std::string scheduler = "wlc";    // keepalived's default when lvs_sched is absent
  LvsMethod method;
  bool flag1 = false, flag2 = false, flag3 = false;  // sh-fallback/mh-fallback, sh-port/mh-port, flag-3
  bool one_packet = false;           // ops
  std::optional<std::uint32_t> persistence_timeout;  // seconds
  vigil::Box<IpAddress> persistence_granularity;  // netmask (v4) or prefix as address
  std::optional<std::uint8_t> persistence_granularity_v6;
  vigil::Box<std::string> persistence_engine;
  bool ha_suspend = false;
  vigil::Box<std::string> virtualhost;
  bool alpha = false;
  bool omega = false;
  std::uint32_t quorum = 1;
  std::uint32_t hysteresis = 0;
  vigil::Box<Script> quorum_up;  // boxed: rarely set (see common/box.hpp)
  vigil::Box<Script> quorum_down;
  vigil::Box<SorryServer> sorry_server;
  bool sorry_server_inhibit = false;
  bool inhibit_on_failure = false;
  Duration delay_loop = std::chrono::seconds(60);
  std::vector<RealServer> real_servers;
  SourceLoc loc;

  /// "192.168.200.10:80/tcp", "fwmark 1/inet", "group VSG_1/tcp" — stable identity for logs/diffs.
  [[nodiscard]] std::string key() const;
};

/// Virtual servers are shared, immutable once built: a reload that finds a block unchanged
/// (conf/parse_cache.hpp) hands the running configuration's object to the new one instead of
/// building a copy, so the two configurations hold one VirtualServer between them.
using VirtualServerPtr = std::shared_ptr<const VirtualServer>;

/// Range-for over shared virtual servers as references. (std::views::transform would do, but
/// clang 14, which builds the fuzz targets, cannot compile libstdc++ 12's <ranges>.)
class VirtualServerRefs {
 public:
  class iterator {
   public:
    explicit iterator(std::vector<VirtualServerPtr>::const_iterator it) : it_(it) {}
    const VirtualServer& operator*() const { return **it_; }
    iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator==(const iterator&) const = default;

   private:
    std::vector<VirtualServerPtr>::const_iterator it_;
  };
  explicit VirtualServerRefs(const std::vector<VirtualServerPtr>& all) : all_(all) {}
  [[nodiscard]] iterator begin() const { return iterator{all_.begin()}; }
  [[nodiscard]] iterator end() const { return iterator{all_.end()}; }

 private:
  const std::vector<VirtualServerPtr>& all_;
};

struct SslContext {
  std::optional<std::string> password, ca, certificate, key;
  SourceLoc loc;
};

// ---------------------------------------------------------------------------------------------

struct Config {
  GlobalDefs global;
  std::vector<VrrpScript> vrrp_scripts;
  std::vector<SyncGroup> sync_groups;
  std::vector<VrrpInstance> vrrp_instances;
  std::vector<VirtualServerGroup> virtual_server_groups;
  std::vector<VirtualServerPtr> virtual_servers;  // never null
  std::optional<SslContext> ssl;
  std::vector<std::string> files;  // every file read, in order (main file first)

  [[nodiscard]] const VrrpInstance* find_instance(std::string_view name) const;
  [[nodiscard]] const VrrpScript* find_script(std::string_view name) const;
  [[nodiscard]] const VirtualServerGroup* find_group(std::string_view name) const;
  /// The virtual servers as references, for range-for.
  [[nodiscard]] VirtualServerRefs each_virtual_server() const { return VirtualServerRefs{virtual_servers}; }
};

/// Whether a reload that replaced `changed` of `total` virtual-server objects is small: at most
/// 16, or at most a quarter. The IPVS plan of a small reload covers only the changed objects
/// (ipvs::reload_scope), and after a small reload the daemon keeps the freed memory for the
/// next one instead of returning it to the system.
[[nodiscard]] constexpr bool small_reload(std::size_t changed, std::size_t total) noexcept {
  return changed <= std::max<std::size_t>(16, total / 4);
}

[[nodiscard]] std::string_view to_string(Protocol p) noexcept;
[[nodiscard]] std::string_view to_string(ForwardMethod m) noexcept;
[[nodiscard]] std::string_view to_string(CheckerKind k) noexcept;
[[nodiscard]] std::string_view to_string(IpScope s) noexcept;
[[nodiscard]] std::string_view to_string(InitialState s) noexcept;
[[nodiscard]] std::string_view to_string(AuthType a) noexcept;

}  // namespace conf
