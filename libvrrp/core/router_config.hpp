// DOC: RouterConfig — everything one Router (one VRID in one address family) is configured with.
// A plain struct with keepalived's defaults, independent of the config parser: conf/ fills it in,
// tests build it by hand. Field names follow keepalived's keywords where one exists.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "libvrrp/core/advert_codec.hpp"
#include "libvrrp/core/timers.hpp"

namespace vrrp {

// Gratuitous ARP / unsolicited NA schedule of a master (keepalived garp_* keywords). A "repeat" is
// how many GARPs per address one SendGratuitous burst carries; vrrp_io spaces them out.
struct GarpConfig {
  std::chrono::milliseconds master_delay{5000};  // second burst this long after becoming master; 0 = none
  unsigned master_repeat = 5;                   // burst size on becoming master and after master_delay
  std::chrono::milliseconds master_refresh{0};  // periodic burst while master; 0 = off
  unsigned master_refresh_repeat = 1;
  // When a master hears a lower-priority advert there are two masters: re-announce so switches
  // and hosts learn the survivor (keepalived #14/#160/#166). nullopt = the master_* value, as
  // keepalived defaults them.
  std::optional<std::chrono::milliseconds> lower_prio_delay;
  std::optional<unsigned> lower_prio_repeat;  // 0 = off

  [[nodiscard]] std::chrono::milliseconds effective_lower_prio_delay() const {
    return lower_prio_delay.value_or(master_delay);
  }
  [[nodiscard]] unsigned effective_lower_prio_repeat() const { return lower_prio_repeat.value_or(master_repeat); }
};

struct Authentication {
  AuthType type = AuthType::none;  // v2 only
  AuthData password{};             // first 8 bytes of auth_pass, zero padded
};

struct RouterConfig {
  std::string name = "VI_1";
  std::uint8_t vrid = 1;
  vigil::Family family = vigil::Family::v4;
  std::uint8_t version = 3;  // 2 (IPv4 only) or 3
  std::uint8_t priority = 100;  // 1..254; 255 = address owner
  std::chrono::milliseconds advert_interval{1000};  // rounded to the wire unit (wire_interval())
  bool preempt = true;                             // false = keepalived `nopreempt`
  // keepalived `preempt_delay`: a backup that sees a lower-priority master keeps following it for
  // this long (counted from the first such advert since it became backup) before it preempts.
  std::chrono::milliseconds preempt_delay{0};
  vigil::IpAddress primary_address;        // our advert source; RFC 5798 tie-break
  std::vector<vigil::IpAddress> addresses;  // the VIPs our adverts carry
  Authentication auth;
  bool accept = true;  // informational: vrrp_io installs the drop rule when false

  // vigil: on a planned stop or demote, keep the addresses until the successor's first advert.
  bool lossless_handover = true;

  // keepalived `timer_expired_backup [PRIO]`: a master that finds it was descheduled longer than a
  // peer of priority PRIO needs to declare it down steps down to Backup. PRIO is the highest
  // priority among the other routers; keepalived defaults it to 254 (the quickest peer).
  bool timer_expired_backup = false;
  std::optional<std::uint8_t> highest_other_priority;

  GarpConfig garp;
  bool higher_prio_send_advert = false;  // master: answer a higher advert once before stepping down
  bool lower_prio_no_advert = false;     // master: do not answer a lower advert (RFC behaviour)
  unsigned down_timer_adverts = k_default_down_timer_adverts;  // 1..100

  // Member of a vrrp_sync_group: going master needs the group's consent (SyncGroup, SyncMaster).
  bool sync_group = false;
};

// What in `config` a Router cannot honour ("VRRPv2 is IPv4-only", "VIP 2001:db8::1 is not inet"...),
// one sentence each, empty when none. conf/ reports them with the source position; a Router built
// from such a config still runs (out-of-range values are clamped) but will not interoperate.
[[nodiscard]] std::vector<std::string> config_problems(const RouterConfig& config);

}  // namespace vrrp
