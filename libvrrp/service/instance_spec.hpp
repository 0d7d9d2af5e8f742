// DOC: InstanceSpec — one vrrp_instance as the service runs it, converted from conf:: once (pure,
// unit-tested): the Router's RouterConfig (v2/v3 timers, GARP schedule, handover mode from
// global `vigil_handover`, timer_expired_backup...), plus what the I/O around the Router needs —
// interface, multicast group or unicast peers and receive policy, VIPs with their netlink
// attributes, tracking, notify scripts and sync-group membership. Reload compares two specs:
// describe_changes() gives the plan lines, recreate_needed() says whether the Router can be
// updated in place (RFC 5798 fixes VRID, family, version and interface for a virtual router).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/script_runner.hpp"
#include "conf/model.hpp"
#include "libvrrp/core/advert_codec.hpp"
#include "libvrrp/core/router_config.hpp"
#include "libvrrp/io/address_table.hpp"
#include "libvrrp/io/receive_check.hpp"
#include "libvrrp/io/script_tracker.hpp"

namespace vrrp {

struct TrackedLink {
  std::string name;
  std::int32_t weight = 0;  // 0: down means fault
  bool reverse = false;
  friend bool operator==(const TrackedLink&, const TrackedLink&) = default;
};

struct TrackedScript {
  std::string name;
  std::int32_t weight = 0;  // 0: failing means fault
  bool reverse = false;
  friend bool operator==(const TrackedScript&, const TrackedScript&) = default;
};

struct NotifySpec {
  std::optional<vigil::ScriptSpec> master, backup, fault, stop, any;
};

struct InstanceSpec {
  RouterConfig router;        // primary_address is filled in at start unless source_given
  bool source_given = false;  // unicast_src_ip / mcast_src_ip
  std::string interface;
  bool unicast = false;
  vigil::IpAddress multicast_group;
  io::ReceivePolicy receive;
  std::uint8_t unicast_ttl = 255;
  ChecksumForm v3_ipv4_checksum = ChecksumForm::pseudo_header;
  std::vector<io::VipSpec> vips;  // advertised ones first, then excluded ones (ifindex 0 until start)
  std::vector<TrackedLink> track_links;
  bool track_own_link = true;  // !dont_track_primary
  std::vector<TrackedScript> track_scripts;
  bool fault_without_peer = false;  // unicast_fault_no_peer with no peers
  NotifySpec notify;
  std::optional<std::string> sync_group;
  std::chrono::microseconds garp_interval{0};
  std::chrono::microseconds gna_interval{0};
};

[[nodiscard]] InstanceSpec make_instance_spec(const conf::Config& config, const conf::VrrpInstance& instance);

[[nodiscard]] NotifySpec make_notify_spec(const conf::Config& config, const conf::NotifyScripts& scripts);

[[nodiscard]] io::ScriptCheck make_script_check(const conf::Config& config, const conf::VrrpScript& script);

// "priority 100 -> 110", "vips 198.18.0.100/32 -> 198.18.0.100/32 198.18.0.101/32"; empty = same.
[[nodiscard]] std::vector<std::string> describe_changes(const InstanceSpec& before, const InstanceSpec& after);

// VRID, interface, family, version or sync group changed: a different virtual router.
[[nodiscard]] bool recreate_needed(const InstanceSpec& before, const InstanceSpec& after);

// Only the base priority changed (or nothing) among the Router's settings.
[[nodiscard]] bool router_settings_equal_but_priority(const RouterConfig& a, const RouterConfig& b);

// The advert a Router's SendAdvert{priority} stands for (RFC 5798 §5.2).
[[nodiscard]] Advert advert_for(const RouterConfig& config, std::uint8_t priority);

}  // namespace vrrp
