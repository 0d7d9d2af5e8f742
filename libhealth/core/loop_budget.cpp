// DOC: LoopBudget: exponentially weighted busy share of the loop thread (see loop_budget.hpp).
#include "libhealth/core/loop_budget.hpp"

#include <algorithm>

namespace health {

namespace {
// Samples closer together than this are too noisy to weigh (clock granularity, one handler).
constexpr Duration k_min_sample = std::chrono::milliseconds(2);
}  // namespace

LoopBudget::LoopBudget(double max_share, Duration window) : max_share_(max_share), window_(window) {}

bool LoopBudget::allow(TimePoint now, Duration busy) {
  if (max_share_ >= 1.0) return true;
  if (!last_time_) {
    last_time_ = now;
    last_busy_ = busy;
    return true;
  }
  const auto elapsed = std::chrono::duration_cast<Duration>(now - *last_time_);
  if (elapsed >= k_min_sample) {
    const double instant = std::clamp(static_cast<double>((busy - last_busy_).count()) /
                                          static_cast<double>(elapsed.count()), 0.0, 1.0);
    const double weight = std::min(1.0, static_cast<double>(elapsed.count()) / static_cast<double>(window_.count()));
    share_ += weight * (instant - share_);
    last_time_ = now;
    last_busy_ = busy;
  }
  return share_ < max_share_;
}

}  // namespace health
