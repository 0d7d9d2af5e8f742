// DOC: Names used in the one-line transition log: `[VI_1/v4] backup -> master (master_down expired)`.
#include "libvrrp/core/state.hpp"

namespace vrrp {

std::string_view to_string(State state) noexcept {
  switch (state) {
    case State::initialize: return "initialize";
    case State::backup: return "backup";
    case State::master: return "master";
    case State::handover: return "handover";
    case State::fault: return "fault";
  }
  return "unknown";
}

std::string_view to_string(Reason reason) noexcept {
  switch (reason) {
    case Reason::startup: return "startup";
    case Reason::address_owner: return "address owner";
    case Reason::master_down: return "master_down expired";
    case Reason::higher_priority: return "higher priority advert";
    case Reason::shutdown: return "shutdown";
    case Reason::demote: return "demoted";
    case Reason::promote: return "promoted";
    case Reason::successor: return "successor took over";
    case Reason::no_successor: return "no successor";
    case Reason::fault: return "fault";
    case Reason::priority_zero: return "effective priority 0";
    case Reason::fault_cleared: return "fault cleared";
    case Reason::stalled: return "stalled";
    case Reason::sync_group: return "sync group";
  }
  return "unknown";
}

}  // namespace vrrp
