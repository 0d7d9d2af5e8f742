// DOC: Registry — the pure heart of the health checker: shared probes, their trackers, the real
// servers that use them, and the schedule. The service (health_checker.hpp) adds only the clock,
// the sockets and the logging.
//
// Sharing: checks are keyed by ProbeKey (everything that affects a probe's outcome, plus its
// timing). Equal keys share one probe and one Tracker, whatever the number of virtual servers
// that list the real server: it is probed once per round and every user sees the same result,
// the same transition at the same moment (keepalived issues #2111, #2358). Keying on the timing
// too is what keeps this simple and correct: each user's retry rule is exactly the shared
// tracker's. Checks that differ only in timing are probed separately.
//
// Reload: update() keeps the tracker, schedule and in-flight probe of every key that is still
// wanted, so an unchanged check keeps its state (hitless reload; keepalived ≥ 2.3.0 keeps failed
// checkers failed). A key whose probe is unchanged but whose timing changed gets a new tracker
// that starts in the old one's state. New keys start per `alpha`, at a jittered time.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "libhealth/core/check.hpp"
#include "libhealth/core/real_server_health.hpp"
#include "libhealth/core/scheduler.hpp"
#include "libhealth/core/tracker.hpp"

namespace health {

struct CheckerTransition {
  ProbeId id = 0;
  std::string description;  // describe(probe), e.g. "TCP_CHECK 10.0.0.1:80"
  Transition transition;
  std::size_t users = 0;    // real servers (across virtual servers) that share this probe
};

struct ResultOutcome {
  bool known = false;                          // false: the probe was removed meanwhile
  std::optional<CheckerTransition> checker;    // the shared check changed state
  std::vector<RealServerChange> servers;       // real servers whose (up, weight) changed
  std::uint32_t failures = 0;                  // consecutive failures while up, this result included
  bool log_all_failures = false;               // a user asked for every failure to be logged
  TimePoint next_probe{};
};

struct UpdateSummary {
  std::size_t servers = 0;
  std::size_t checks = 0;          // check definitions, before sharing
  std::size_t probes_kept = 0;     // distinct probes after the update, by origin
  std::size_t probes_added = 0;
  std::size_t probes_removed = 0;
  std::size_t states_carried = 0;  // new keys that took an old key's state (timing-only change)
  std::vector<ProbeId> removed;    // probes to cancel if they are in flight
  std::vector<RealServerChange> changes;  // real servers that existed before and changed
};

class Registry {
 public:
  explicit Registry(SchedulerOptions options = {});

  /// Replaces the set of definitions. unit_random() draws the start jitter in [0, 1].
  /// Real servers new in this update are not reported as changes: read them with status().
  UpdateSummary update(const std::vector<RealServerDefinition>& servers, TimePoint now,
                       const std::function<double()>& unit_random);

  /// The next probe to start now, if any (marks it in flight).
  [[nodiscard]] std::optional<ProbeId> pop_due(TimePoint now) { return scheduler_.pop_due(now); }
  [[nodiscard]] std::optional<TimePoint> next_due() const { return scheduler_.next_due(); }

  /// Feeds a probe's result; ignores probes removed by an update since they started.
  [[nodiscard]] ResultOutcome on_result(ProbeId id, const ProbeResult& result, TimePoint now);

  [[nodiscard]] const ProbeSpec* probe(ProbeId id) const;
  [[nodiscard]] std::string_view description(ProbeId id) const;
  [[nodiscard]] std::string_view where(ProbeId id) const;
  [[nodiscard]] std::optional<Health> check_state(ProbeId id) const;
  [[nodiscard]] std::optional<ProbeId> find(const ProbeKey& key) const;
  [[nodiscard]] std::size_t users(ProbeId id) const;

  [[nodiscard]] std::optional<RealServerStatus> status(const RealServerId& id) const;
  [[nodiscard]] std::vector<std::pair<RealServerId, RealServerStatus>> snapshot() const;

  [[nodiscard]] std::size_t probe_count() const noexcept { return checks_.size(); }
  [[nodiscard]] std::size_t server_count() const noexcept { return servers_.size(); }
  [[nodiscard]] const Scheduler& scheduler() const noexcept { return scheduler_; }

 private:
  struct SharedCheck {
    ProbeKey key;
    Tracker tracker;
    std::string description;
    std::vector<RealServerId> users;  // one entry per using real server (deduplicated)
    bool log_all_failures = false;
    std::string where;
  };
  struct Server {
    RealServerHealth health;
    std::vector<ProbeId> checks;
  };

  std::optional<RealServerChange> evaluate(Server& server, std::string_view reason);
  /// "TCP_CHECK 10.0.0.1:80: up since the start (no alpha)"
  [[nodiscard]] std::string starting_up_reason(const Server& server) const;

  Scheduler scheduler_;
  ProbeId next_id_ = 1;  // never reused, so a late result for a removed probe cannot be misrouted
  std::map<ProbeKey, ProbeId> by_key_;
  std::unordered_map<ProbeId, SharedCheck> checks_;
  std::map<RealServerId, Server> servers_;
};

}  // namespace health
