// DOC: What goes into a Router. The daemon turns packets, timer expiries, tracking results,
// signals and admin commands into these values and calls Router::handle(event, now).
#pragma once

#include <cstdint>
#include <variant>

#include "common/ip_address.hpp"
#include "libvrrp/core/advert_codec.hpp"

namespace vrrp {

// One timer per id per Router; ArmTimer replaces an earlier arming of the same id.
enum class TimerId : std::uint8_t {
  master_down,        // RFC 5798 Master_Down_Timer (Backup)
  advert,             // RFC 5798 Adver_Timer (Master, Handover)
  garp_delay,         // second GARP burst after becoming master
  garp_refresh,       // periodic GARP burst while master
  garp_lower_prio,    // second GARP burst after a lower-priority advert
  handover_deadline,  // give up waiting for a successor
};
inline constexpr std::size_t k_timer_count = 6;
[[nodiscard]] std::string_view to_string(TimerId id) noexcept;

struct Startup {
  friend bool operator==(const Startup&, const Startup&) = default;
};

// SIGTERM. lossless = hold the addresses until a successor speaks (if the config allows it);
// false = keepalived's behaviour, release at once.
struct Shutdown {
  bool lossless = true;
  friend bool operator==(const Shutdown&, const Shutdown&) = default;
};

// A decoded advert for our VRID and family (vrrp_io filters the rest), with the IP source address.
struct AdvertReceived {
  Advert advert;
  vigil::IpAddress source;
  friend bool operator==(const AdvertReceived&, const AdvertReceived&) = default;
};

// A timer armed with ArmTimer{id, at} expired. Stale expiries (cancelled or re-armed since) are
// recognised and ignored, so vrrp_io need not worry about cancel/expire races.
struct TimerExpired {
  TimerId id;
  friend bool operator==(const TimerExpired&, const TimerExpired&) = default;
};

// Base priority adjusted by tracked script/interface weights. 0 behaves as a fault (keepalived);
// a non-owner is capped at 254.
struct PriorityChanged {
  std::uint8_t effective_priority;
  friend bool operator==(const PriorityChanged&, const PriorityChanged&) = default;
};

// A tracked interface is down, the interface lost its address, a weightless script failed...
struct FaultChanged {
  bool faulted;
  friend bool operator==(const FaultChanged&, const FaultChanged&) = default;
};

// Admin: hand mastership to a peer and stay alive as a backup that does not preempt.
struct Demote {
  friend bool operator==(const Demote&, const Demote&) = default;
};
// Admin: clear a demotion (and abort a demotion's handover still in progress).
struct Promote {
  friend bool operator==(const Promote&, const Promote&) = default;
};

// From SyncGroup only (see sync_group.hpp).
struct SyncMaster {  // the whole group may go master now
  friend bool operator==(const SyncMaster&, const SyncMaster&) = default;
};
struct SyncBackup {  // another member stepped down; follow it
  friend bool operator==(const SyncBackup&, const SyncBackup&) = default;
};
struct SyncFault {  // some member is (or no member is any longer) faulted
  bool faulted;
  friend bool operator==(const SyncFault&, const SyncFault&) = default;
};

using Event = std::variant<Startup, Shutdown, AdvertReceived, TimerExpired, PriorityChanged, FaultChanged, Demote,
                           Promote, SyncMaster, SyncBackup, SyncFault>;

}  // namespace vrrp
