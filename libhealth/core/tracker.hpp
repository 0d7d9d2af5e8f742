// DOC: Tracker — keepalived's checker state machine for one (shared) check, fed with probe
// results and the time, answering "when do I probe next" and, only when the state changes,
// "what changed and why" (relayd's hce_notify_done reports transitions, not every result).
//
// The rules, as keepalived applies them (check_tcp.c tcp_epilog, check_misc.c, 2.3.3 and later):
//  * The check starts up, or down with `alpha`.
//  * While up, a failure is retried after delay_before_retry; `retry` retries (so retry + 1
//    failures in a row) take it down. retry 0 means the first failure does.
//  * While down, a failure changes nothing and the next probe is one delay_loop away: since
//    keepalived 2.3.3 retries apply only while a server is up.
//  * One success brings it up (keepalived has no `rise`), and resets the retry count.
//  * After a success, or once the state is settled, the next probe is one delay_loop away. The
//    delay counts from the end of the probe, so a slow probe never overlaps the next one.
//  * The first probe comes at a random offset in [0, warmup] (absent warmup: [0, delay_loop]),
//    which also spreads thousands of checks over the interval. The random draw is an input.
//    Exception: without warmup, a check that starts down (alpha, or carried down across a
//    reload) is spread over at most k_down_start_spread, so an alpha pool is not left empty for
//    a whole delay_loop after a start (keepalived probes those at once; the scheduler's cap and
//    loop budget absorb the burst).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "libhealth/core/check.hpp"
#include "libhealth/core/types.hpp"

namespace health {

struct Transition {
  Health from = Health::up;
  Health to = Health::down;
  std::string reason;  // "connect timeout after 3 s, 3 of 3 retries"
};

struct TrackerStep {
  TimePoint next_probe;
  std::optional<Transition> transition;  // set only when the state changed
  std::uint32_t failures = 0;            // consecutive failures so far in this up period
};

inline constexpr Duration k_down_start_spread = std::chrono::seconds(1);

class Tracker {
 public:
  /// `initial` overrides `alpha`; the Registry uses it to carry a state across a reload that
  /// changed only the timing of a check.
  explicit Tracker(const Timing& timing, std::optional<Health> initial = std::nullopt);

  /// When to run the first probe; unit_random is a uniform draw in [0, 1].
  [[nodiscard]] TimePoint first_probe(TimePoint now, double unit_random) const;

  [[nodiscard]] TrackerStep on_result(const ProbeResult& result, TimePoint now);

  [[nodiscard]] Health state() const noexcept { return state_; }
  [[nodiscard]] std::uint32_t failures() const noexcept { return failures_; }
  [[nodiscard]] const Timing& timing() const noexcept { return timing_; }

 private:
  Timing timing_;
  Health state_;
  std::uint32_t failures_ = 0;  // consecutive failures while up
};

}  // namespace health
