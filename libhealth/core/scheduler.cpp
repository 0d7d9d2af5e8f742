// DOC: Scheduler: earliest-due-first queue with an in-flight cap and lateness accounting.
#include "libhealth/core/scheduler.hpp"

namespace health {

Scheduler::Scheduler(SchedulerOptions options) : options_(options) {}

void Scheduler::schedule(ProbeId id, TimePoint due) {
  if (const auto it = due_.find(id); it != due_.end()) {
    queue_.erase({it->second, id});
    it->second = due;
  } else {
    due_.emplace(id, due);
  }
  queue_.emplace(due, id);
}

void Scheduler::remove(ProbeId id) {
  if (const auto it = due_.find(id); it != due_.end()) {
    queue_.erase({it->second, id});
    due_.erase(it);
  }
  in_flight_.erase(id);
}

std::optional<ProbeId> Scheduler::pop_due(TimePoint now) {
  if (queue_.empty() || at_capacity()) return std::nullopt;
  const auto first = queue_.begin();
  if (first->first > now) return std::nullopt;
  const auto [due, id] = *first;
  queue_.erase(first);
  due_.erase(id);
  in_flight_.insert(id);

  const auto lateness = std::chrono::duration_cast<Duration>(now - due);
  ++stats_.started;
  stats_.total_lateness += lateness;
  if (lateness > stats_.max_lateness) stats_.max_lateness = lateness;
  if (lateness > options_.late_after) ++stats_.late;
  std::size_t bucket = 0;
  while (bucket < k_lateness_bounds.size() && lateness > k_lateness_bounds[bucket]) ++bucket;
  ++stats_.lateness_histogram[bucket];
  return id;
}

void Scheduler::finished(ProbeId id) { in_flight_.erase(id); }

std::optional<TimePoint> Scheduler::next_due() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first;
}

SchedulerStats Scheduler::stats() const {
  SchedulerStats s = stats_;
  s.queued = queue_.size();
  s.in_flight = in_flight_.size();
  return s;
}

}  // namespace health
