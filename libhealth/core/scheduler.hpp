// DOC: Scheduler — which probes start when, so that checks never crowd out VRRP on the one loop.
//
// Probes wait in a queue ordered by due time; pop_due() hands out the earliest one that is due,
// so a probe that is overdue always runs before one that is merely due, and nothing starves. A cap
// on probes in flight bounds sockets and children; past it, due probes wait their turn and every
// check's effective interval stretches by about the same amount (the next due time is computed
// from each probe's end, by the Tracker). Each start records how late it is; starts later than
// `late_after` are counted as late rounds, which the service logs and exports.
//
// The per-turn start cap and time budget are the service's (it owns the clock); this class is pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "libhealth/core/types.hpp"

namespace health {

using ProbeId = std::uint64_t;

struct SchedulerOptions {
  std::size_t max_in_flight = 4096;
  Duration late_after = std::chrono::milliseconds(100);
};

/// Upper bounds of the start-lateness histogram buckets; the last bucket is everything above.
inline constexpr std::array<Duration, 12> k_lateness_bounds{
    std::chrono::microseconds(100), std::chrono::microseconds(250), std::chrono::microseconds(500),
    std::chrono::milliseconds(1),   std::chrono::milliseconds(2),   std::chrono::milliseconds(5),
    std::chrono::milliseconds(10),  std::chrono::milliseconds(25),  std::chrono::milliseconds(50),
    std::chrono::milliseconds(100), std::chrono::milliseconds(1000), std::chrono::milliseconds(10000)};

struct SchedulerStats {
  std::uint64_t started = 0;
  std::uint64_t late = 0;          // starts more than late_after behind their due time
  Duration max_lateness{0};        // worst since start
  Duration total_lateness{0};      // sum over all starts (mean = total / started)
  std::array<std::uint64_t, k_lateness_bounds.size() + 1> lateness_histogram{};  // per k_lateness_bounds
  std::size_t queued = 0;
  std::size_t in_flight = 0;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options = {});

  /// Queues (or re-queues) a probe; a probe already in flight is queued for its next run.
  void schedule(ProbeId id, TimePoint due);
  /// Forgets a probe: removed from the queue and from the in-flight count.
  void remove(ProbeId id);
  /// The earliest due probe, if one is due and the in-flight cap allows; it is now in flight.
  [[nodiscard]] std::optional<ProbeId> pop_due(TimePoint now);
  /// A started probe has reported.
  void finished(ProbeId id);

  /// Earliest due time in the queue (may be in the past when the in-flight cap is reached).
  [[nodiscard]] std::optional<TimePoint> next_due() const;
  [[nodiscard]] bool at_capacity() const noexcept { return in_flight_.size() >= options_.max_in_flight; }
  [[nodiscard]] bool in_flight(ProbeId id) const { return in_flight_.contains(id); }
  [[nodiscard]] SchedulerStats stats() const;
  [[nodiscard]] const SchedulerOptions& options() const noexcept { return options_; }

 private:
  SchedulerOptions options_;
  std::set<std::pair<TimePoint, ProbeId>> queue_;   // ordered by due time, then id
  std::unordered_map<ProbeId, TimePoint> due_;      // id → its entry in queue_
  std::unordered_set<ProbeId> in_flight_;
  SchedulerStats stats_;
};

}  // namespace health
