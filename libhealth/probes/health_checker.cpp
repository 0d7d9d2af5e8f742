// DOC: HealthChecker: the clock, the wake-up timer, batches of probe starts, result fan-out and
// the log lines (one per transition, with its reason).
#include "libhealth/probes/health_checker.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <ctime>

namespace health {

namespace {

/// Each probe holds at most 3 descriptors (a script: pidfd, output pipe, error pipe); keep a
/// quarter of the limit for the rest of the daemon. systemd's default soft limit is 1024.
std::size_t fd_bounded(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const auto budget = static_cast<std::size_t>(limit.rlim_cur) * 3 / 4 / 3;
  return std::max<std::size_t>(1, std::min(wanted, budget));
}

using vigil::log::Field;

std::string status_text(const RealServerStatus& s) {
  return std::string(s.up ? "up" : "down") + ", weight " + std::to_string(s.weight);
}

std::string endpoint_text(const RealServerId& id) { return format_endpoint(id.address, id.port); }

Duration thread_cpu() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::duration_cast<Duration>(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

/// How long to hold new starts when the loop is over its budget: short enough to follow the
/// average closely, long enough that the hold itself costs nothing.
constexpr Duration k_budget_hold = std::chrono::milliseconds(2);

}  // namespace

HealthChecker::HealthChecker(asio::io_context& io, vigil::log::Logger& logger, ChangeHandler on_change,
                             HealthCheckerOptions options)
    : io_(io), log_(logger), on_change_(std::move(on_change)), options_(std::move(options)),
      max_in_flight_(fd_bounded(options_.scheduler.max_in_flight)),
      registry_(SchedulerOptions{max_in_flight_, options_.scheduler.late_after}),
      probes_(io, options_.probes), saturation_(options_.saturation_window), budget_(options_.max_loop_share),
      wake_(io),
      rng_(options_.seed.value_or(std::random_device{}())) {
  if (max_in_flight_ < options_.scheduler.max_in_flight) {
    log_.warning("health: at most " + std::to_string(max_in_flight_) +
                 " probes in flight (RLIMIT_NOFILE); raise LimitNOFILE for more");
  }
}

HealthChecker::~HealthChecker() {
  alive_.reset();
  for (auto& [id, handle] : running_) handle.cancel();
  error_code ignored;
  wake_.cancel(ignored);
}

UpdateSummary HealthChecker::update(const std::vector<RealServerDefinition>& servers) {
  UpdateSummary summary = registry_.update(servers, Clock::now(), [this] { return unit_(rng_); });
  for (const ProbeId id : summary.removed) {
    if (const auto it = running_.find(id); it != running_.end()) {
      it->second.cancel();
      running_.erase(it);
    }
  }
  log_.info("health: " + std::to_string(summary.servers) + " checked real servers, " + std::to_string(summary.checks) +
            " checks as " + std::to_string(registry_.probe_count()) + " probes (" +
            std::to_string(summary.probes_kept) + " kept, " + std::to_string(summary.probes_added) + " added, " +
            std::to_string(summary.probes_removed) + " removed, " + std::to_string(summary.states_carried) +
            " kept their state across a timing change)");
  for (const auto& change : summary.changes) {
    log_change(change);
    notify(change);
  }
  arm();
  return summary;
}

HealthCounters HealthChecker::counters() const {
  HealthCounters c = counters_;
  c.scheduler = registry_.scheduler().stats();
  c.saturated = saturation_.saturated();
  c.stretch = saturation_.stretch();
  c.loop_share = budget_.share();
  c.probes = registry_.probe_count();
  c.servers = registry_.server_count();
  return c;
}

void HealthChecker::arm() {
  if (pump_posted_ || registry_.scheduler().at_capacity()) return;  // a completion re-arms
  auto next = registry_.next_due();
  if (!next) return;
  next = std::max({*next, held_until_, last_wake_ + options_.start_gather});
  if (armed_for_ && *armed_for_ <= *next) return;  // already waking early enough
  armed_for_ = *next;
  wake_.expires_at(*next);
  wake_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    armed_for_.reset();
    last_wake_ = Clock::now();
    pump();
  });
}

void HealthChecker::pump() noexcept {
  pump_posted_ = false;
  try {
    // One clock read per start: each reading serves the budget check, the next pop and the
    // connect's start time (in a VM without a TSC clocksource a read is a system call).
    const auto turn_start = Clock::now();
    if (!budget_.allow(turn_start, thread_cpu())) {
      ++counters_.budget_holds;
      held_until_ = turn_start + k_budget_hold;
      arm();
      return;
    }
    std::size_t started = 0;
    bool budget_spent = false;
    auto now = turn_start;
    while (started < options_.max_starts_per_turn) {
      const auto id = registry_.pop_due(now);
      if (!id) break;
      start(*id, now);
      ++started;
      now = Clock::now();
      if (now - turn_start >= options_.turn_budget) {
        budget_spent = true;
        break;
      }
    }
    if (started > 0) ++counters_.turns;
    if (auto line = saturation_.observe(registry_.scheduler().stats(), now)) {
      log_.log(saturation_.saturated() ? vigil::log::Level::warning : vigil::log::Level::info, "health: " + *line);
    }
    const auto next = registry_.next_due();
    const bool more_due = next && *next <= now && !registry_.scheduler().at_capacity();
    if (more_due && (budget_spent || started == options_.max_starts_per_turn)) {
      // Yield: whatever is already queued on the loop (VRRP timers and packets) runs first.
      pump_posted_ = true;
      asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired()) pump();
      });
      return;
    }
    arm();
  } catch (const std::exception& e) {
    log_.error(std::string("health: scheduling failed: ") + e.what());
  }
}

void HealthChecker::start(ProbeId id, TimePoint now) {
  const ProbeSpec* spec = registry_.probe(id);
  if (!spec) return;
  try {
    running_.insert_or_assign(id, start_probe(probes_, *spec, [this, alive = std::weak_ptr<int>(alive_), id](ProbeResult r) {
                                if (!alive.expired()) on_result(id, std::move(r));
                              }, now));
  } catch (const std::exception& e) {
    // Could not even start (out of memory): count it as a failed round rather than losing the check.
    asio::post(io_, [this, alive = std::weak_ptr<int>(alive_), id, what = std::string(e.what())] {
      if (!alive.expired()) on_result(id, ProbeResult::failure("cannot start probe: " + what));
    });
  }
}

void HealthChecker::on_result(ProbeId id, ProbeResult result) noexcept {
  try {
    running_.erase(id);
    ++counters_.results;
    if (!result.ok) ++counters_.failures;
    const ResultOutcome out = registry_.on_result(id, result, result.ended ? *result.ended : Clock::now());
    if (out.known) {
      const std::string_view description = registry_.description(id);  // copied only for a log line
      if (!result.ok && !out.checker && out.failures > 0) {
        // A failure that has not changed the state (yet): one of the retries.
        const auto level = out.log_all_failures ? vigil::log::Level::info : vigil::log::Level::debug;
        log_.log(level, "[" + std::string(description) + "] failed (" + result.text() + "), retry " + std::to_string(out.failures),
                 {Field{"CHECK", std::string(description)}});
      }
      if (out.checker) {
        ++counters_.checker_transitions;
        const auto& t = out.checker->transition;
        std::string line = "[" + std::string(description) + "] " + std::string(to_string(t.from)) + " -> " +
                           std::string(to_string(t.to)) + " (" + t.reason + ")";
        if (out.checker->users > 1) line += ", shared by " + std::to_string(out.checker->users) + " real servers";
        log_.info(line, {Field{"CHECK", std::string(description)}, Field{"STATE", std::string(to_string(t.to))}});
      }
      for (const auto& change : out.servers) {
        ++counters_.server_changes;
        log_change(change);
        notify(change);
      }
    }
    arm();
  } catch (const std::exception& e) {
    log_.error(std::string("health: handling a probe result failed: ") + e.what());
  }
}

void HealthChecker::log_change(const RealServerChange& change) {
  log_.info(change.id.to_string() + " " + status_text(change.status) + " (" + change.status.reason + ")",
            {Field{"VS", change.id.virtual_server}, Field{"RS", endpoint_text(change.id)},
             Field{"STATE", change.status.up ? "up" : "down"}});
}

void HealthChecker::notify(const RealServerChange& change) noexcept {
  if (!on_change_) return;
  try {
    on_change_(change);
  } catch (const std::exception& e) {
    log_.error("health: on_change for " + change.id.to_string() + " threw: " + e.what());
  } catch (...) {
    log_.error("health: on_change for " + change.id.to_string() + " threw");
  }
}

}  // namespace health
