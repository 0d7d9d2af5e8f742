// DOC: LoopBudget — health checks may use only part of the loop thread, so VRRP always has room.
//
// The service feeds it the loop thread's CPU time (CLOCK_THREAD_CPUTIME_ID) and the wall time
// before each batch of probe starts; it keeps a moving average of how busy the thread is and
// allows new starts only while that share is under `max_share`. Completions of probes already
// running are never held back — only new work. Measuring the whole thread (not just our own
// handlers) is deliberate: VRRP's own load, and the kernel's work for our sockets (on loopback
// the whole TCP handshake runs in the connecting thread's syscalls), count against the budget.
//
// Why it matters: a loop at 100% delays every timer by a whole queue cycle, and a loop run with a
// real-time policy (vrrp_rt_priority) that reaches 95% is throttled by the kernel for 50 ms each
// second (sched_rt_runtime_us) — a VRRP advert 50 ms late. Capping the share keeps the loop
// below both; past the cap, checks degrade evenly (the scheduler stretches every interval).
#pragma once

#include <optional>

#include "libhealth/core/types.hpp"

namespace health {

class LoopBudget {
 public:
  /// max_share in (0, 1]; 1 disables the budget. `window` is the averaging time constant.
  explicit LoopBudget(double max_share = 0.6, Duration window = std::chrono::milliseconds(100));

  /// `busy`: the loop thread's CPU time so far (monotonic). True when new probes may start.
  [[nodiscard]] bool allow(TimePoint now, Duration busy);

  [[nodiscard]] double share() const noexcept { return share_; }
  [[nodiscard]] double max_share() const noexcept { return max_share_; }

 private:
  double max_share_;
  Duration window_;
  std::optional<TimePoint> last_time_;
  Duration last_busy_{0};
  double share_ = 0.0;
};

}  // namespace health
