// DOC: RFC 5798 §6.1 timer arithmetic in integer microseconds (no floating point, so every router
// with the same inputs gets the same deadline to the microsecond).
#include "libvrrp/core/timers.hpp"

namespace vrrp {

Duration skew_time(std::uint8_t priority, Duration master_adver_interval) noexcept {
  return Duration{(256 - std::int64_t{priority}) * master_adver_interval.count() / 256};
}

Duration master_down_interval(std::uint8_t priority, Duration master_adver_interval,
                              unsigned down_timer_adverts) noexcept {
  return static_cast<std::int64_t>(down_timer_adverts) * master_adver_interval +
         skew_time(priority, master_adver_interval);
}

Duration handover_deadline(Duration advert_interval, unsigned down_timer_adverts) noexcept {
  return master_down_interval(1, advert_interval, down_timer_adverts);
}

}  // namespace vrrp
