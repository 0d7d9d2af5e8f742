// DOC: Drainer — graceful removal of real servers that left the config.
//
// keepalived deletes a removed real server at once, which resets its established connections
// (with expire_nodest_conn) or strands them. vigil instead keeps it at weight 0 — no new
// connections, existing ones continue — until its active connections reach 0 or the drain
// timeout (vigil_drain_timeout, default 300 s) passes, and only then lets the diff delete it.
// A virtual server that left the config drains the same way: its service stays (as the kernel
// has it) while any of its dests drains, and is deleted after the last one (it stays in the
// Ownership set meanwhile).
//
// Pure: the time is an argument; the connection counts come from the dumped table.
//
//   on reload:      const Table kept = configured_table(new);
//                   drainer.start_removed(removed_by_reload(old, kept), kept, now);
//   on reconcile:   desired = build_desired(...).table;
//                   finished = drainer.update(desired, actual, now);   // log them
//                   plan = diff(desired, actual, ownership);
#pragma once

#include <chrono>
#include <compare>
#include <map>
#include <vector>

#include "libipvs/model.hpp"

namespace ipvs {

using TimePoint = std::chrono::steady_clock::time_point;  // the type only; callers pass now

struct DrainKey {
  ServiceKey service;
  DestKey dest;
  friend auto operator<=>(const DrainKey&, const DrainKey&) = default;
  friend bool operator==(const DrainKey&, const DrainKey&) = default;
};

enum class DrainOutcome : std::uint8_t {
  idle,       // no active connections left: delete now
  timed_out,  // the drain timeout passed with connections still active: delete now
  gone,       // no longer in the kernel (someone else deleted it): nothing to do
  returned,   // back in the config: the drain is cancelled and the config's weight applies
};

struct DrainResult {
  DrainKey key;
  DrainOutcome outcome = DrainOutcome::idle;
  std::uint32_t active_conns = 0;  // at the time of the decision
  friend bool operator==(const DrainResult&, const DrainResult&) = default;
};

class Drainer {
 public:
  explicit Drainer(std::chrono::steady_clock::duration timeout) : timeout_(timeout) {}

  /// Starts draining one dest (no-op when it already drains: the first start time counts).
  void start(const ServiceKey& service, const DestKey& dest, TimePoint now);
  /// Starts draining each of `removed` (the dests a reload took out of the configuration:
  /// removed_by_reload in desired.hpp) and stops draining those that `after`, the new
  /// configured table, has again.
  void start_removed(const std::vector<DrainKey>& removed, const Table& after, TimePoint now);

  /// One reconcile round. For each draining dest decides whether it is finished (see
  /// DrainOutcome) and returns those; the others are put into `desired` at weight 0 (copied
  /// from `actual`, service included when the config no longer has it), so the diff keeps them.
  [[nodiscard]] std::vector<DrainResult> update(Table& desired, const Table& actual, TimePoint now);

  [[nodiscard]] bool draining(const ServiceKey& service, const DestKey& dest) const;
  [[nodiscard]] std::size_t size() const noexcept { return since_.size(); }

 private:
  std::chrono::steady_clock::duration timeout_;
  std::map<DrainKey, TimePoint> since_;
};

[[nodiscard]] std::string_view to_string(DrainOutcome outcome) noexcept;

}  // namespace ipvs
