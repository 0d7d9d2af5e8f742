// DOC: HealthChecker — the service the daemon owns: the Registry (shared probes, trackers, real
// servers, schedule) driven by the clock and the probes on the daemon's one io_context.
//
// Wiring (daemon):
//   health::HealthChecker checker(io, logger, [&](const health::RealServerChange& c) { reconciler.on_health(c); });
//   auto defs = health::from_conf(config);            // log defs.warnings
//   checker.update(defs.servers);                     // start; read initial states with status()
//   ... on reload: checker.update(health::from_conf(new_config).servers);
// on_change fires, on the loop, for every real server whose (up, weight) changes after it was
// first reported by status(); a reload that changes a kept real server's state also fires it.
//
// Starts are gathered: the loop wakes to start probes at most once per start_gather, and starts
// then every probe that fell due meanwhile (each at most start_gather late), instead of waking
// for each probe's own due time — at 1,000 checks/s that is a wake-up per millisecond.
//
// VRRP first: the service starts at most max_starts_per_turn probes, and stops earlier once
// turn_budget of loop time is spent, then posts itself to the back of the queue so that timers
// and packets already waiting (VRRP adverts) run before the next batch. Every probe handler is
// short (no blocking call anywhere), and new probes wait while the loop thread is busier than
// max_loop_share (LoopBudget). Past saturation the scheduler's earliest-due-first order, the
// in-flight cap and the budget stretch every check's interval evenly; a log line and counters()
// say so.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "libhealth/core/loop_budget.hpp"
#include "libhealth/core/registry.hpp"
#include "libhealth/core/saturation_monitor.hpp"
#include "libhealth/probes/asio.hpp"
#include "libhealth/probes/probe.hpp"

namespace health {

struct HealthCheckerOptions {
  SchedulerOptions scheduler{};   // max_in_flight is also capped by RLIMIT_NOFILE at construction
  std::size_t max_starts_per_turn = 8;
  Duration turn_budget = std::chrono::microseconds(500);
  Duration start_gather = std::chrono::milliseconds(10);  // wake for starts at most this often
  Duration saturation_window = std::chrono::seconds(10);
  double max_loop_share = 0.6;        // new probes wait while the loop thread is busier (1 = off)
  ProbeOptions probes{};
  std::optional<std::uint64_t> seed;  // start jitter; std::random_device when absent
};

struct HealthCounters {
  SchedulerStats scheduler;           // started, late (rounds), lateness, queued, in flight
  std::uint64_t results = 0;          // probe results received
  std::uint64_t failures = 0;         // of which failed
  std::uint64_t checker_transitions = 0;
  std::uint64_t server_changes = 0;
  std::uint64_t turns = 0;            // batches of probe starts
  std::uint64_t budget_holds = 0;     // turns that started nothing because the loop was too busy
  double loop_share = 0;              // moving average of the loop thread's busy share
  bool saturated = false;             // probe starts ran late in the last window
  Duration stretch{0};                // mean lateness of probe starts in the last window
  std::size_t probes = 0;             // distinct (shared) probes
  std::size_t servers = 0;
};

class HealthChecker {
 public:
  using ChangeHandler = std::function<void(const RealServerChange&)>;

  /// Throws at startup if ProbeOptions::tls_client names unreadable files. `logger` must outlive
  /// the checker; lines carry the fields VS=, RS=, CHECK= (journald fields under systemd).
  HealthChecker(asio::io_context& io, vigil::log::Logger& logger, ChangeHandler on_change,
                HealthCheckerOptions options = {});
  /// Cancels running probes (scripts get SIGKILL); their results are dropped.
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  /// Sets the definitions (startup and reload). Unchanged checks keep state and schedule.
  UpdateSummary update(const std::vector<RealServerDefinition>& servers);

  [[nodiscard]] std::optional<RealServerStatus> status(const RealServerId& id) const { return registry_.status(id); }
  [[nodiscard]] std::vector<std::pair<RealServerId, RealServerStatus>> snapshot() const { return registry_.snapshot(); }
  [[nodiscard]] HealthCounters counters() const;
  [[nodiscard]] const Registry& registry() const noexcept { return registry_; }
  [[nodiscard]] std::size_t max_in_flight() const noexcept { return max_in_flight_; }

 private:
  void arm();
  void pump() noexcept;
  void start(ProbeId id, TimePoint now);
  void on_result(ProbeId id, ProbeResult result) noexcept;
  void notify(const RealServerChange& change) noexcept;

  void log_change(const RealServerChange& change);

  asio::io_context& io_;
  vigil::log::Logger& log_;
  ChangeHandler on_change_;
  HealthCheckerOptions options_;
  std::size_t max_in_flight_;
  Registry registry_;
  ProbeContext probes_;
  SaturationMonitor saturation_;
  LoopBudget budget_;
  asio::steady_timer wake_;
  std::optional<TimePoint> armed_for_;
  TimePoint held_until_{};  // the budget held starts back: no pump before this
  TimePoint last_wake_{};   // the last timer-driven pump: the next one start_gather later at the earliest
  bool pump_posted_ = false;
  std::unordered_map<ProbeId, ProbeHandle> running_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  HealthCounters counters_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // callbacks hold a weak reference
};

}  // namespace health
