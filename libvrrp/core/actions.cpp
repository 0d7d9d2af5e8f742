// DOC: Text forms of events' and actions' enums, and of actions for debug logs and test failures.
#include "libvrrp/core/actions.hpp"

#include <type_traits>

namespace vrrp {
namespace {

std::string us(Duration d) { return std::to_string(d.count()) + "us"; }

template <class>
inline constexpr bool k_always_false = false;

}  // namespace

std::string_view to_string(TimerId id) noexcept {
  switch (id) {
    case TimerId::master_down: return "master_down";
    case TimerId::advert: return "advert";
    case TimerId::garp_delay: return "garp_delay";
    case TimerId::garp_refresh: return "garp_refresh";
    case TimerId::garp_lower_prio: return "garp_lower_prio";
    case TimerId::handover_deadline: return "handover_deadline";
  }
  return "unknown";
}

std::string_view to_string(GarpReason reason) noexcept {
  switch (reason) {
    case GarpReason::became_master: return "became master";
    case GarpReason::master_delay: return "master delay";
    case GarpReason::refresh: return "refresh";
    case GarpReason::lower_priority: return "lower priority advert";
    case GarpReason::lower_priority_delay: return "lower priority delay";
  }
  return "unknown";
}

std::string_view to_string(IgnoreReason reason) noexcept {
  switch (reason) {
    case IgnoreReason::own_address: return "own address";
    case IgnoreReason::version_mismatch: return "version mismatch";
    case IgnoreReason::interval_mismatch: return "advert interval mismatch";
  }
  return "unknown";
}

std::string to_string(const Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, SendAdvert>) {
          return "SendAdvert{" + std::to_string(a.priority) + "}";
        } else if constexpr (std::is_same_v<T, ArmTimer>) {
          return "ArmTimer{" + std::string(to_string(a.id)) + ", +" +
                 us(std::chrono::duration_cast<Duration>(a.at.time_since_epoch())) + "}";
        } else if constexpr (std::is_same_v<T, CancelTimer>) {
          return "CancelTimer{" + std::string(to_string(a.id)) + "}";
        } else if constexpr (std::is_same_v<T, ClaimAddresses>) {
          return "ClaimAddresses{}";
        } else if constexpr (std::is_same_v<T, ReleaseAddresses>) {
          return "ReleaseAddresses{}";
        } else if constexpr (std::is_same_v<T, SendGratuitous>) {
          return "SendGratuitous{" + std::to_string(a.repeat) + ", " + std::string(to_string(a.reason)) + "}";
        } else if constexpr (std::is_same_v<T, Notify>) {
          return "Notify{" + std::string(to_string(a.state)) + "}";
        } else if constexpr (std::is_same_v<T, Transition>) {
          return "Transition{" + std::string(to_string(a.from)) + " -> " + std::string(to_string(a.to)) + " (" +
                 std::string(to_string(a.reason)) + ")}";
        } else if constexpr (std::is_same_v<T, HandoverWaiting>) {
          return "HandoverWaiting{" + us(a.deadline) + "}";
        } else if constexpr (std::is_same_v<T, HandoverDone>) {
          return "HandoverDone{" + a.successor.to_string() + ", " + us(a.elapsed) + "}";
        } else if constexpr (std::is_same_v<T, HandoverTimedOut>) {
          return "HandoverTimedOut{" + us(a.elapsed) + (a.released ? ", released}" : ", kept}");
        } else if constexpr (std::is_same_v<T, HandoverAborted>) {
          return "HandoverAborted{" + us(a.elapsed) + ", " + std::string(to_string(a.reason)) + "}";
        } else if constexpr (std::is_same_v<T, Stalled>) {
          return "Stalled{late " + us(a.lateness) + ", silent " + us(a.silence) +
                 (a.stepped_down ? ", stepped down}" : "}");
        } else if constexpr (std::is_same_v<T, AdvertIgnored>) {
          return "AdvertIgnored{" + std::string(to_string(a.reason)) + "}";
        } else if constexpr (std::is_same_v<T, AddressListMismatch>) {
          return "AddressListMismatch{" + a.source.to_string() + "}";
        } else if constexpr (std::is_same_v<T, LowerPriorityAdvert>) {
          return "LowerPriorityAdvert{" + a.source.to_string() + ", " + std::to_string(a.priority) + "}";
        } else if constexpr (std::is_same_v<T, FaultStatus>) {
          return std::string("FaultStatus{") + (a.faulted ? "true" : "false") + "}";
        } else if constexpr (std::is_same_v<T, WantMaster>) {
          return std::string("WantMaster{") + (a.wanted ? "true" : "false") + "}";
        } else {
          static_assert(k_always_false<T>, "every Action needs a text form");
        }
      },
      action);
}

std::string transition_line(std::string_view instance, vigil::Family family, const Transition& t) {
  std::string line = "[";
  line += instance;
  line += family == vigil::Family::v4 ? "/v4] " : "/v6] ";
  line += to_string(t.from);
  line += " -> ";
  line += to_string(t.to);
  line += " (";
  line += to_string(t.reason);
  line += ")";
  return line;
}

}  // namespace vrrp
