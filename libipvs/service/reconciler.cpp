#include "libipvs/service/reconciler.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <algorithm>
#include <future>
#include <memory>

#include "common/realtime.hpp"
#include "libipvs/plan.hpp"
#include "libipvs/reload_scope.hpp"

namespace ipvs {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t k_report_lines = 50;  // plan/failure lines carried per report (the rest counted)
// The periodic full round (a dump of the whole table: one GET_DEST dump per service) may use at
// most 1/k_full_round_budget of the time: at 10,000 services it takes ~0.15 s natively and
// seconds under qemu's TCG, so a 5 s interval would keep a core busy comparing an unchanged table.
constexpr int k_full_round_budget = 50;
// Longest a health change waits for the previous round to be matched by idle time (see kick()).
constexpr std::chrono::milliseconds k_max_health_batch{200};

std::optional<SyncDaemon> wanted_sync_daemon(const conf::Config& config, std::optional<SyncState> role) {
  const auto& sd = config.global.lvs_sync_daemon;
  if (!sd) return std::nullopt;
  // Without a VRRP instance to follow keepalived runs the daemon as master.
  const SyncState state = sd->vrrp_instance ? role.value_or(SyncState::backup) : SyncState::master;
  return sync_daemon_from(*sd, state);
}

/// Starts draining what a reload from `before` to `after` takes out of the configuration, and
/// returns the reload's scope when it has one (reload_scope.hpp): then only the changed virtual
/// servers are looked at. Otherwise only the new configured table is built (at 10,000 x 4 a table
/// is several MB).
std::optional<ReloadScope> drain_removed(Drainer& drainer, const conf::Config& before, const conf::Config& after,
                                         TimePoint now) {
  auto scope = reload_scope(before, after);
  const Table kept = scope ? configured_part(after, scope->added) : configured_table(after);
  drainer.start_removed(scope ? removed_by_reload(before, scope->removed, kept) : removed_by_reload(before, kept), kept,
                        now);
  return scope;
}

Table owned_part(const Table& table, const Ownership& ownership) {
  Table out;
  for (const auto& [key, entry] : table.services)
    if (ownership.owns(key)) out.services.emplace(key, entry);
  return out;
}

}  // namespace

StopPolicy stop_policy_from(const conf::GlobalDefs& global) noexcept {
  if (global.ipvs_keep_on_stop) return StopPolicy::keep;
  if (global.lvs_flush_on_stop) return StopPolicy::flush;
  return StopPolicy::remove_own;
}

struct Reconciler::Job {
  std::shared_ptr<const conf::Config> config;
  std::vector<std::pair<RealServerId, RealServerHealth>> health;
  std::optional<std::optional<SyncState>> sync;
  bool full = false;
  bool drift_check = false;
  bool first = false;
  std::optional<StopPolicy> teardown;
};

// Everything here runs on the worker thread only.
struct Reconciler::Worker {
  Worker(KernelFactory factory, std::chrono::seconds drain_timeout)
      : guard(asio::make_work_guard(io)), open_kernel(std::move(factory)), drainer(drain_timeout) {
    thread = std::thread([this] {
      vigil::drop_realtime_for_this_thread();  // table work never competes with the VRRP loop
      io.run();
    });
  }
  ~Worker() {
    guard.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }

  RoundReport run(const Job& job) {
    const auto started = Clock::now();
    RoundReport report;
    report.full = job.full;
    report.drift_check = job.drift_check;
    report.teardown = job.teardown.has_value();
    try {
      if (job.teardown) teardown(*job.teardown, report);
      else round(job, report);
    } catch (const std::exception& e) {  // never let a surprise take the worker (or the daemon) down
      report.kernel_error = std::string("reconcile round failed: ") + e.what();
      cached_valid = false;
    }
    report.draining = drainer.size();
    // The loop's view of the table (status, metrics, dry runs): renewed only when the round
    // read or changed the kernel, not for rounds that found nothing to do. When every service
    // in the kernel is vigil's (the usual case) it is the cached table itself, shared, not a
    // copy: own_cached() copies before the next change instead.
    if (!snapshot || report.full || report.teardown || report.applied_total > 0 || report.kernel_error) {
      const bool all_owned = std::all_of(cached->services.begin(), cached->services.end(),
                                         [this](const auto& entry) { return ownership.owns(entry.first); });
      snapshot = all_owned ? std::shared_ptr<const Table>(cached)
                           : std::make_shared<const Table>(owned_part(*cached, ownership));
    }
    report.table = snapshot;
    report.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    return report;
  }

  bool ensure_kernel(RoundReport& report) {
    if (kernel) return true;
    auto opened = open_kernel();
    if (!opened) {
      report.kernel_error = opened.error().message;
      return false;
    }
    kernel = std::move(opened.value());
    cached_valid = false;
    return true;
  }

  bool refresh(RoundReport& report) {
    // Counters are read for the metrics endpoint only; without it a table at 10,000 x 4 is 4 MB
    // smaller, and a refresh holds two (the one the loop still shows and the new one).
    kernel->set_counters(config && config->global.metrics_listen ? Counters::read : Counters::skip);
    auto dumped = kernel->dump();
    if (!dumped) {
      report.kernel_error = "dump: " + dumped.error().message;
      cached_valid = false;
      return false;
    }
    cached = std::make_shared<Table>(std::move(dumped.value()));
    cached_valid = true;
    report.full = true;
    return true;
  }

  void apply(const Plan& plan, RoundReport& report) {
    if (plan.empty()) return;
    const auto result = kernel->apply(plan);
    report.operations += plan.size();
    report.applied_total += plan.size();
    for (const auto& op : plan.operations) {
      if (report.applied.size() >= k_report_lines) break;
      report.applied.push_back(plan_line(op));
    }
    report.failures_total += result.failures.size();
    for (const auto& f : result.failures) {
      if (report.failures.size() >= k_report_lines) break;
      report.failures.push_back(f.error.message);
    }
    record_applied(own_cached(), plan, result);
    // A failed operation leaves the cache unsure about that service: look again next round.
    if (!result.ok()) cached_valid = false;
  }

  void control(const Request& request, const std::string& what, RoundReport& report) {
    if (auto r = kernel->control(request); !r) report.warnings.push_back(what + ": " + r.error().message);
  }

  void round(const Job& job, RoundReport& report) {
    const auto now = Clock::now();
    std::optional<ReloadScope> scope;
    std::shared_ptr<const conf::Config> before;
    if (job.config) {
      if (config) scope = drain_removed(drainer, *config, *job.config, now);
      before = std::exchange(config, job.config);
    }
    for (const auto& [id, h] : job.health) health.set(id, h);
    if (job.sync) sync_role = *job.sync;
    if (!config) return;
    const bool needed = !config->virtual_servers.empty() || !ownership.keys().empty() || drainer.size() > 0 ||
                        config->global.lvs_sync_daemon.has_value();
    if (!needed) return;
    if (!ensure_kernel(report)) return;

    if (job.first && config->global.lvs_flush) {
      control(Request::flush(), "lvs_flush", report);
      cached_valid = false;
    }
    const auto timeouts = timeouts_from(config->global.lvs_timeouts);
    if ((timeouts.tcp || timeouts.tcp_fin || timeouts.udp) && applied_timeouts != timeouts) {
      control(Request::set_timeouts(timeouts), "lvs_timeouts", report);
      applied_timeouts = timeouts;
    }
    // A reload diffs against the cached table (the worker's own record of the kernel: the last
    // dump plus every operation applied since) unless the cache is unsure or something drains
    // (a drain decides on fresh connection counts); the periodic round catches outside changes.
    const bool dump = job.full || !cached_valid || (job.config && drainer.size() > 0);
    if (dump && !refresh(report)) return;
    // A reload that edits or adds virtual servers, and takes no real server out, compares only
    // their services: every other one is the same object as before, already in the kernel.
    if (scope && !dump && job.health.empty() && drainer.size() == 0) {
      auto part = scoped_tables(*scope, *before, *config, *cached, health, quorum);
      report.quorum_events = std::move(part.desired.events);
      report.warnings.insert(report.warnings.end(), part.desired.warnings.begin(), part.desired.warnings.end());
      ownership.claim(part.desired.table);
      apply(diff(part.desired.table, part.actual, ownership), report);
      reconcile_sync_daemon(report);
      return;
    }

    auto desired = build_desired(*config, health, quorum);
    report.quorum_events = std::move(desired.events);
    report.warnings.insert(report.warnings.end(), desired.warnings.begin(), desired.warnings.end());
    report.drains_finished = drainer.update(desired.table, *cached, now);
    ownership.claim(desired.table);
    apply(diff(desired.table, *cached, ownership), report);
    if (report.full) ownership.forget_gone(desired.table, *cached);
    reconcile_sync_daemon(report);
  }

  /// The cached table, to change: a copy first when the loop may hold it (as its snapshot).
  Table& own_cached() {
    if (cached.use_count() > 1) cached = std::make_shared<Table>(*cached);
    return *cached;
  }

  void reconcile_sync_daemon(RoundReport& report) {
    const auto wanted = wanted_sync_daemon(*config, sync_role);
    if (wanted == sync_running) return;
    if (sync_running) control(Request::del_daemon(sync_running->state), "stop lvs_sync_daemon", report);
    sync_running.reset();
    if (wanted) {
      if (auto r = kernel->control(Request::new_daemon(*wanted)); r) sync_running = wanted;
      else report.warnings.push_back("start lvs_sync_daemon: " + r.error().message);
    }
  }

  void teardown(StopPolicy policy, RoundReport& report) {
    if (!kernel) return;  // never opened: nothing of ours in the kernel
    if (sync_running) {
      control(Request::del_daemon(sync_running->state), "stop lvs_sync_daemon", report);
      sync_running.reset();
    }
    switch (policy) {
      case StopPolicy::keep:
        return;
      case StopPolicy::flush:
        control(Request::flush(), "lvs_flush_on_stop", report);
        own_cached().services.clear();
        return;
      case StopPolicy::remove_own: {
        if (!refresh(report)) return;
        // Deleting a service deletes its dests in the kernel: one operation per service.
        Plan plan;
        for (const auto& [key, entry] : cached->services)
          if (ownership.owns(key)) plan.operations.emplace_back(DelService{key});
        apply(plan, report);
        return;
      }
    }
  }

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::thread thread;
  KernelFactory open_kernel;
  std::unique_ptr<Kernel> kernel;
  std::shared_ptr<const conf::Config> config;
  HealthView health;
  QuorumTracker quorum;
  Drainer drainer;
  Ownership ownership;
  std::shared_ptr<Table> cached = std::make_shared<Table>();  // the kernel as last seen + applied
  bool cached_valid = false;
  std::shared_ptr<const Table> snapshot;  // vigil's part of `cached` as last handed to the loop
  std::optional<SyncState> sync_role;
  std::optional<SyncDaemon> sync_running;
  std::optional<Timeouts> applied_timeouts;
};

Reconciler::Reconciler(asio::io_context& loop, vigil::log::Logger& log, KernelFactory open_kernel,
                       ReconcilerOptions options)
    : loop_(loop),
      log_(log),
      options_(options),
      worker_(std::make_unique<Worker>(std::move(open_kernel), options.drain_timeout)),
      timer_(loop),
      batch_timer_(loop),
      alive_(std::make_shared<int>(0)) {}

Reconciler::~Reconciler() {
  timer_.cancel();
  worker_.reset();  // joins: no round is left running
}

vigil::Result<void> Reconciler::start(std::shared_ptr<const conf::Config> config, ReportHandler on_report) {
  on_report_ = std::move(on_report);
  config_ = config;
  // Open the kernel now, on the worker, so that a missing IPVS stops the daemon at start with a
  // clear error instead of failing every round later.
  if (!config->virtual_servers.empty() || config->global.lvs_sync_daemon) {
    auto promise = std::make_shared<std::promise<std::optional<std::string>>>();
    auto opened = promise->get_future();
    asio::post(worker_->io, [w = worker_.get(), promise] {
      RoundReport probe;
      w->ensure_kernel(probe);
      promise->set_value(probe.kernel_error);
    });
    if (const auto error = opened.get()) return vigil::make_error(*error);
  }
  pending_config_ = std::move(config);
  full_requested_ = true;
  first_ = true;
  kick();
  arm_timer(options_.interval);
  return {};
}

std::vector<std::string> Reconciler::reload(std::shared_ptr<const conf::Config> config) {
  const auto before = std::exchange(config_, config);
  pending_config_ = std::move(config);
  kick();
  // The worker works on its round meanwhile. The loop's table snapshot is still the one before
  // the reload: the worker's report reaches the loop only after this returns.
  return plan_change(before.get(), *config_);
}

void Reconciler::set_health(const RealServerId& id, const RealServerHealth& health) {
  health_mirror_.set(id, health);
  pending_health_[id] = health;
  kick();
}

void Reconciler::set_sync_role(std::optional<SyncState> role) {
  pending_sync_ = role;
  kick();
}

void Reconciler::stop(StopPolicy policy, std::function<void()> done) {
  stopping_ = true;
  stop_policy_ = policy;
  stop_done_ = std::move(done);
  timer_.cancel();
  batch_timer_.cancel();
  batch_armed_ = false;
  kick();
}

// A round costs O(table) (desired table and diff) however few real servers changed, and
// health changes arrive one by one: thousands of checks that fail in turn would keep the worker
// busy with one round per change. A round that only carries health changes therefore starts no
// sooner than the previous round's own duration after it (at most k_max_health_batch), so the
// worker is at most half busy and every change that arrives meanwhile rides in the same round.
bool Reconciler::defer_health_round() {
  const bool health_only = !pending_health_.empty() && !pending_config_ && !pending_sync_ && !full_requested_ &&
                           !first_;
  if (!health_only) return false;
  const auto earliest = last_done_ + std::min<std::chrono::steady_clock::duration>(last_round_, k_max_health_batch);
  if (std::chrono::steady_clock::now() >= earliest) return false;
  if (!batch_armed_) {
    batch_armed_ = true;
    batch_timer_.expires_at(earliest);
    std::weak_ptr<int> alive = alive_;
    batch_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
      if (ec || !alive.lock()) return;
      batch_armed_ = false;
      kick();
    });
  }
  return true;
}

void Reconciler::kick() {
  if (running_) return;  // the running round's completion kicks again
  if (!stopping_ && defer_health_round()) return;
  Job job;
  if (stopping_) {
    if (!stop_done_) return;
    job.teardown = stop_policy_;
  } else {
    job.config = std::move(pending_config_);
    pending_config_.reset();
    job.health.assign(pending_health_.begin(), pending_health_.end());
    pending_health_.clear();
    job.sync = pending_sync_;
    pending_sync_.reset();
    job.full = full_requested_;
    job.drift_check = drift_check_ && !job.config && job.health.empty();
    job.first = first_;
    full_requested_ = drift_check_ = first_ = false;
    if (!job.config && job.health.empty() && !job.sync && !job.full) return;
  }
  running_ = true;
  std::weak_ptr<int> alive = alive_;
  asio::post(worker_->io, [this, alive, w = worker_.get(), job = std::move(job)] {
    auto report = w->run(job);
    asio::post(loop_, [this, alive, report = std::move(report)]() mutable {
      if (alive.lock()) on_done(std::move(report));
    });
  });
}

void Reconciler::on_done(RoundReport report) {
  running_ = false;
  last_done_ = std::chrono::steady_clock::now();
  last_round_ = report.duration;
  ++stats_.rounds;
  if (report.full) ++stats_.full_rounds;
  stats_.operations += report.applied_total;
  stats_.failures += report.failures_total;
  if (report.drift_check && report.applied_total > 0) stats_.drift_repairs += report.applied_total;
  stats_.last_round = report.duration;
  // only the periodic rounds measure what a comparison costs (the start round also programs
  // the whole table and pays one-time costs)
  if (report.full && report.drift_check && !stopping_) {
    last_full_round_ = report.duration;
    arm_timer(next_full_round());  // the next check counts from the end of this one
  }
  stats_.last_error = report.kernel_error;
  if (report.table) table_ = report.table;
  draining_ = report.draining;
  if (on_report_) {
    try {
      on_report_(report);
    } catch (const std::exception& e) {
      log_.error(std::string("ipvs: report handler failed: ") + e.what());
    }
  }
  if (stopping_) {
    if (stop_done_ && report.teardown) {
      auto done = std::move(stop_done_);
      stop_done_ = nullptr;
      done();
      return;
    }
  }
  kick();
}

void Reconciler::arm_timer(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  std::weak_ptr<int> alive = alive_;
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || !alive.lock() || stopping_) return;
    full_requested_ = true;
    drift_check_ = true;
    kick();
    arm_timer(next_full_round());
  });
}

std::chrono::milliseconds Reconciler::next_full_round() {
  const auto wanted = draining_ > 0 ? std::min(options_.drain_poll, options_.interval) : options_.interval;
  const auto budget =
      std::chrono::duration_cast<std::chrono::milliseconds>(last_full_round_ * k_full_round_budget);
  const bool stretched = budget > wanted;
  if (stretched != stretched_)
    log_.info(stretched ? "ipvs: comparing the whole table with the kernel takes " +
                              std::to_string(last_full_round_.count() / 1000) + " ms; checking every " +
                              std::to_string(budget.count() / 1000) + " s instead of every " +
                              std::to_string(wanted.count() / 1000) + " s (at most 2% of a core)"
                        : "ipvs: checking the table every " + std::to_string(wanted.count() / 1000) + " s again");
  stretched_ = stretched;
  return std::max(wanted, budget);
}

std::vector<std::string> Reconciler::plan_reload(const conf::Config& next) const {
  return plan_change(config_.get(), next);
}

std::vector<std::string> Reconciler::plan_change(const conf::Config* before, const conf::Config& next) const {
  // The daemon runs this on its loop for every reload: no copy of the table it can avoid
  // (10,000 services x 4 are ~6 MB and, under TCG, seconds of copying).
  const Table none;
  const Table& actual = table_ ? *table_ : none;
  QuorumTracker quorum;  // a dry run starts quorum fresh: it only shows table operations
  const auto now = Clock::now();
  Drainer drainer(options_.drain_timeout);
  std::optional<ReloadScope> scope;
  // Before the desired table is built, so that the two are never in memory together.
  if (before != nullptr) scope = drain_removed(drainer, *before, next, now);
  if (scope && drainer.size() == 0) {
    // Only the changed virtual servers' services (what the round of this reload compares).
    auto part = scoped_tables(*scope, *before, next, actual, health_mirror_, quorum);
    Ownership ownership;
    ownership.claim(part.actual);
    ownership.claim(part.desired.table);
    return diff(part.desired.table, part.actual, ownership).lines();
  }
  auto desired = build_desired(next, health_mirror_, quorum);
  if (before != nullptr) {
    if (drainer.size() > 0) {
      // A removed real server drains first; whether its connections are already gone is only
      // known at the reload's own dump, so the dry run shows every removal as the drain it
      // starts with.
      Table busy = actual;
      for (auto& [key, entry] : busy.services)
        for (auto& [dkey, d] : entry.dests) d.active_conns = std::max<std::uint32_t>(d.active_conns, 1);
      (void)drainer.update(desired.table, busy, now);
    }
  }
  Ownership ownership;
  ownership.claim(actual);
  ownership.claim(desired.table);
  return diff(desired.table, actual, ownership).lines();
}

}  // namespace ipvs
