// DOC: SaturationMonitor: windowed deltas of the scheduler's lateness counters.
#include "libhealth/core/saturation_monitor.hpp"

namespace health {

SaturationMonitor::SaturationMonitor(Duration window) : window_(window) {}

std::optional<std::string> SaturationMonitor::observe(const SchedulerStats& stats, TimePoint now) {
  if (!window_start_) {
    window_start_ = now;
    started_at_start_ = stats.started;
    late_at_start_ = stats.late;
    lateness_at_start_ = stats.total_lateness;
    return std::nullopt;
  }
  if (now - *window_start_ < window_) return std::nullopt;

  const std::uint64_t started = stats.started - started_at_start_;
  const std::uint64_t late = stats.late - late_at_start_;
  const Duration lateness = stats.total_lateness - lateness_at_start_;
  stretch_ = started ? Duration{lateness.count() / static_cast<std::int64_t>(started)} : Duration{0};
  window_start_ = now;
  started_at_start_ = stats.started;
  late_at_start_ = stats.late;
  lateness_at_start_ = stats.total_lateness;

  if (late > 0) {
    saturated_ = true;
    return "health checks saturated: " + std::to_string(late) + " of " + std::to_string(started) +
           " probe starts late in the last " + format_duration(window_) + " (mean lateness " +
           format_duration(stretch_) + ", " + std::to_string(stats.in_flight) + " in flight, " +
           std::to_string(stats.queued) + " queued); every check runs at a longer effective interval";
  }
  if (saturated_) {
    saturated_ = false;
    return "health checks back on schedule (" + std::to_string(started) + " probe starts in the last " +
           format_duration(window_) + ", none late)";
  }
  return std::nullopt;
}

}  // namespace health
