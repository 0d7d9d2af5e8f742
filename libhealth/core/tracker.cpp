// DOC: Tracker rules (see tracker.hpp for the keepalived references).
#include "libhealth/core/tracker.hpp"

#include <algorithm>
#include <cmath>

namespace health {

Tracker::Tracker(const Timing& timing, std::optional<Health> initial)
    : timing_(timing), state_(initial.value_or(timing.alpha ? Health::down : Health::up)) {}

TimePoint Tracker::first_probe(TimePoint now, double unit_random) const {
  Duration spread = timing_.warmup.value_or(timing_.delay_loop);
  if (!timing_.warmup && state_ == Health::down) spread = std::min(spread, k_down_start_spread);
  const double r = std::isfinite(unit_random) ? std::clamp(unit_random, 0.0, 1.0) : 0.0;
  const auto offset = std::llround(static_cast<double>(spread.count()) * r);
  return now + Duration{offset};
}

TrackerStep Tracker::on_result(const ProbeResult& result, TimePoint now) {
  TrackerStep step{now + timing_.delay_loop, std::nullopt, 0};
  if (result.ok) {
    failures_ = 0;
    if (state_ == Health::down) {
      state_ = Health::up;
      step.transition = Transition{Health::down, Health::up, result.text()};
    }
    return step;
  }
  if (state_ == Health::down) return step;  // 2.3.3+: no retries while down

  ++failures_;
  step.failures = failures_;
  if (failures_ <= timing_.retry) {
    step.next_probe = now + timing_.delay_before_retry;
    return step;
  }
  std::string reason = result.text();
  if (timing_.retry > 0) {
    reason += ", " + std::to_string(timing_.retry) + " of " + std::to_string(timing_.retry) + " retries";
  }
  state_ = Health::down;
  failures_ = 0;
  step.transition = Transition{Health::up, Health::down, std::move(reason)};
  return step;
}

}  // namespace health
