// DOC: The VRRP protocol timers as pure functions of priority and interval.
//
//   Skew_Time            = ((256 - Priority) × Master_Adver_Interval) / 256     RFC 5798 §6.1
//   Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time
//
// RFC 3768 (v2) has the same shape with a whole-second Advertisement_Interval, so one formula
// serves both versions. Results are exact microseconds, truncated as keepalived truncates its
// `(256 − p) × cs × 625/16` µs: v2 1 s priority 100 → skew 609 375 µs, MDI 3 609 375 µs.
// keepalived's `down_timer_adverts` replaces the 3 (1..100; the RFC value is 3).
#pragma once

#include <chrono>
#include <cstdint>

namespace vrrp {

using Duration = std::chrono::microseconds;
using TimePoint = std::chrono::steady_clock::time_point;  // the type only; the core never reads a clock

inline constexpr unsigned k_default_down_timer_adverts = 3;

[[nodiscard]] Duration skew_time(std::uint8_t priority, Duration master_adver_interval) noexcept;

[[nodiscard]] Duration master_down_interval(std::uint8_t priority, Duration master_adver_interval,
                                            unsigned down_timer_adverts = k_default_down_timer_adverts) noexcept;

// How long a master handing over waits for a successor (see Router): the Master_Down_Interval of
// the slowest possible backup, priority 1. Any live backup has declared us down by then even if
// every priority-0 advert was lost, so silence after it means nobody is coming.
[[nodiscard]] Duration handover_deadline(Duration advert_interval,
                                         unsigned down_timer_adverts = k_default_down_timer_adverts) noexcept;

}  // namespace vrrp
