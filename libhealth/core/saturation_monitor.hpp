// DOC: SaturationMonitor — turns the scheduler's lateness counters into at most one log line per
// window: one when probe starts begin to run late (the loop is saturated and every check now runs
// at a longer effective interval), one when they are back on schedule. Pure: fed (stats, now).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "libhealth/core/scheduler.hpp"
#include "libhealth/core/types.hpp"

namespace health {

class SaturationMonitor {
 public:
  explicit SaturationMonitor(Duration window = std::chrono::seconds(10));

  /// Call often (after each batch of starts); returns a line to log when a window closes and the
  /// situation is new or persists (late) or has ended (back on schedule).
  [[nodiscard]] std::optional<std::string> observe(const SchedulerStats& stats, TimePoint now);

  [[nodiscard]] bool saturated() const noexcept { return saturated_; }
  /// Mean lateness of probe starts in the last closed window: how much the interval stretched.
  [[nodiscard]] Duration stretch() const noexcept { return stretch_; }

 private:
  Duration window_;
  std::optional<TimePoint> window_start_;
  std::uint64_t started_at_start_ = 0;
  std::uint64_t late_at_start_ = 0;
  Duration lateness_at_start_{0};
  bool saturated_ = false;
  Duration stretch_{0};
};

}  // namespace health
