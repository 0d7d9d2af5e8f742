// DOC: What comes out of a Router. vrrp_io and the daemon carry these out in order:
//
//   SendAdvert          encode + send one advert with this priority
//   ArmTimer/CancelTimer  one steady timer per TimerId; report expiry as TimerExpired{id}
//   ClaimAddresses      add the VIPs (idempotent: may come while they are already present)
//   ReleaseAddresses    remove the VIPs
//   SendGratuitous      one burst of GARP / unsolicited NA, `repeat` per address
//   Notify              run notify scripts, write the FIFO (four states, as keepalived)
//   Transition          log one line, e.g. `[VI_1/v4] backup -> master (master_down expired)`
//
// and reports the daemon logs or counts: handover progress, stalls, ignored adverts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/ip_address.hpp"
#include "libvrrp/core/events.hpp"
#include "libvrrp/core/state.hpp"
#include "libvrrp/core/timers.hpp"

namespace vrrp {

struct SendAdvert {
  std::uint8_t priority;
  friend bool operator==(const SendAdvert&, const SendAdvert&) = default;
};

struct ArmTimer {
  TimerId id;
  TimePoint at;
  friend bool operator==(const ArmTimer&, const ArmTimer&) = default;
};

struct CancelTimer {
  TimerId id;
  friend bool operator==(const CancelTimer&, const CancelTimer&) = default;
};

struct ClaimAddresses {
  friend bool operator==(const ClaimAddresses&, const ClaimAddresses&) = default;
};

struct ReleaseAddresses {
  friend bool operator==(const ReleaseAddresses&, const ReleaseAddresses&) = default;
};

enum class GarpReason : std::uint8_t { became_master, master_delay, refresh, lower_priority, lower_priority_delay };
[[nodiscard]] std::string_view to_string(GarpReason reason) noexcept;

struct SendGratuitous {
  unsigned repeat;
  GarpReason reason;
  friend bool operator==(const SendGratuitous&, const SendGratuitous&) = default;
};

struct Notify {
  State state;  // initialize means "stopped" (notify_stop)
  friend bool operator==(const Notify&, const Notify&) = default;
};

struct Transition {
  State from;
  State to;
  Reason reason;
  friend bool operator==(const Transition&, const Transition&) = default;
};

// Handover (planned stop or demote): "handing over VI_1: waiting for a successor (up to 3.99 s)".
struct HandoverWaiting {
  Duration deadline;
  friend bool operator==(const HandoverWaiting&, const HandoverWaiting&) = default;
};
// "successor 198.18.0.2 took over after 62 ms"; the addresses are released in the same batch.
struct HandoverDone {
  vigil::IpAddress successor;
  Duration elapsed;
  friend bool operator==(const HandoverDone&, const HandoverDone&) = default;
};
// "no successor after 3.99 s": released (stop) or kept and back to master (demote).
struct HandoverTimedOut {
  Duration elapsed;
  bool released;
  friend bool operator==(const HandoverTimedOut&, const HandoverTimedOut&) = default;
};
// The wait ended early for another reason: promote, fault, or a forced (lossless=false) stop.
struct HandoverAborted {
  Duration elapsed;
  Reason reason;
  friend bool operator==(const HandoverAborted&, const HandoverAborted&) = default;
};

// The advert timer fired so late that a backup of priority highest_other_priority (254 by default)
// has declared us down: `silence` is the time since our previous advert. Reported whether or not
// timer_expired_backup is on; stepped_down says whether we went Backup because of it.
struct Stalled {
  Duration lateness;  // now − the time the advert timer was due
  Duration silence;   // now − our previous advert
  bool stepped_down;
  friend bool operator==(const Stalled&, const Stalled&) = default;
};

enum class IgnoreReason : std::uint8_t {
  own_address,           // source is our primary address (a loop, or a duplicate address)
  version_mismatch,      // a v2 advert to a v3 router or the reverse
  interval_mismatch,     // v2: RFC 3768 §7.1 requires the same Adver Int
};
[[nodiscard]] std::string_view to_string(IgnoreReason reason) noexcept;

// The advert was dropped for a reason worth counting (not the normal "lower priority" discard).
struct AdvertIgnored {
  IgnoreReason reason;
  friend bool operator==(const AdvertIgnored&, const AdvertIgnored&) = default;
};

// The advert's address list differs from ours. Counted and logged, not dropped (keepalived).
struct AddressListMismatch {
  vigil::IpAddress source;
  friend bool operator==(const AddressListMismatch&, const AddressListMismatch&) = default;
};

// A master heard a lower-priority advert: two masters. keepalived notify `MASTER_RX_LOWER_PRI`.
struct LowerPriorityAdvert {
  vigil::IpAddress source;
  std::uint8_t priority;
  friend bool operator==(const LowerPriorityAdvert&, const LowerPriorityAdvert&) = default;
};

// Our own fault condition (FaultChanged or effective priority 0) changed. A sync group needs to
// tell a member's own fault from one it imposed.
struct FaultStatus {
  bool faulted;
  friend bool operator==(const FaultStatus&, const FaultStatus&) = default;
};

// Sync group member: Master_Down fired (or we are the owner) and we ask the group to go master;
// false when a master is heard again before the group agreed.
struct WantMaster {
  bool wanted;
  friend bool operator==(const WantMaster&, const WantMaster&) = default;
};

using Action = std::variant<SendAdvert, ArmTimer, CancelTimer, ClaimAddresses, ReleaseAddresses, SendGratuitous, Notify,
                            Transition, HandoverWaiting, HandoverDone, HandoverTimedOut, HandoverAborted, Stalled,
                            AdvertIgnored, AddressListMismatch, LowerPriorityAdvert, FaultStatus, WantMaster>;

// Debug rendering, e.g. "ArmTimer{master_down, +3609375us}" (time points relative to the epoch).
[[nodiscard]] std::string to_string(const Action& action);

// "[VI_1/v4] backup -> master (master_down expired)"
[[nodiscard]] std::string transition_line(std::string_view instance, vigil::Family family, const Transition& t);

}  // namespace vrrp
