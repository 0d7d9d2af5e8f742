// DOC: Router states and the reasons a Router changes state. RFC 5798 §6.4 names three states
// (Initialize, Backup, Master); keepalived adds Fault; vigil adds Handover, the interval during a
// planned stop or demotion when a master has sent priority 0 but still holds the addresses until
// its successor speaks (see router.hpp).
#pragma once

#include <cstdint>
#include <string_view>

namespace vrrp {

enum class State : std::uint8_t { initialize, backup, master, handover, fault };

enum class Reason : std::uint8_t {
  startup,
  address_owner,     // priority 255 goes master at once (RFC 5798 §6.4.1)
  master_down,       // Master_Down_Timer fired
  higher_priority,   // a master heard a better advert (§6.4.3)
  shutdown,
  demote,
  promote,
  successor,         // handover: the successor's first advert arrived
  no_successor,      // handover: the deadline passed in silence
  fault,             // tracked interface/script reported a fault
  priority_zero,     // effective priority fell to 0, which keepalived treats as a fault
  fault_cleared,
  stalled,           // timer_expired_backup: we were descheduled long enough for a peer to take over
  sync_group,        // moved by another member of the sync group
};

[[nodiscard]] std::string_view to_string(State state) noexcept;
[[nodiscard]] std::string_view to_string(Reason reason) noexcept;

// Notify scripts and the FIFO know four states; Handover is still Master to them.
[[nodiscard]] constexpr State visible_state(State state) noexcept {
  return state == State::handover ? State::master : state;
}

}  // namespace vrrp
