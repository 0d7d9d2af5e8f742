// RFC 5798 §6.1 / RFC 3768 §6.1 timer values, checked to the microsecond against the figures in
// vrrp-lab.md (keepalived sits within 1–2 ms of 3609 ms, 361 ms and 36 ms at priority 100).
#include <catch2/catch.hpp>

#include "libvrrp/core/timers.hpp"

using namespace std::chrono_literals;
using vrrp::Duration;

TEST_CASE("v2 at 1 s, priority 100: skew 609.375 ms, Master_Down_Interval 3609.375 ms", "[timers]") {
  // (256 − 100) / 256 s = 156/256 s = 0.609375 s exactly.
  CHECK(vrrp::skew_time(100, 1s) == Duration{609'375});
  CHECK(vrrp::master_down_interval(100, 1s) == Duration{3'609'375});
}

TEST_CASE("v3 timers scale with Master_Adver_Interval", "[timers]") {
  // keepalived: (256 − p) × cs × 625/16 µs.
  CHECK(vrrp::skew_time(100, 100ms) == Duration{156 * 10 * 625 / 16});
  CHECK(vrrp::master_down_interval(100, 100ms) == Duration{360'937});  // 3 × 100 ms + 60.9375 ms, truncated
  CHECK(vrrp::skew_time(100, 10ms) == Duration{6'093});                 // 6.09375 ms, truncated
  CHECK(vrrp::master_down_interval(100, 10ms) == Duration{36'093});
  CHECK(vrrp::master_down_interval(100, 1s) == Duration{3'609'375});
}

TEST_CASE("skew ordering: a higher priority always times out first", "[timers]") {
  for (int p = 1; p < 255; ++p) {
    const auto lower = static_cast<std::uint8_t>(p);
    const auto higher = static_cast<std::uint8_t>(p + 1);
    CHECK(vrrp::master_down_interval(higher, 1s) < vrrp::master_down_interval(lower, 1s));
  }
  CHECK(vrrp::skew_time(255, 1s) == Duration{3'906});  // 1/256 s
  CHECK(vrrp::skew_time(1, 1s) == Duration{996'093});  // 255/256 s
}

TEST_CASE("down_timer_adverts replaces the RFC's 3", "[timers]") {
  CHECK(vrrp::master_down_interval(100, 100ms, 30) == 3s + Duration{60'937});
  CHECK(vrrp::master_down_interval(100, 1s, 1) == 1s + Duration{609'375});
}

TEST_CASE("handover deadline is the Master_Down_Interval of a priority-1 backup", "[timers]") {
  CHECK(vrrp::handover_deadline(1s) == Duration{3'996'093});
  CHECK(vrrp::handover_deadline(100ms) == vrrp::master_down_interval(1, 100ms));
  CHECK(vrrp::handover_deadline(1s, 1) == 1s + Duration{996'093});
}
