// DOC: Reconciler — keeps the kernel's IPVS table equal to what the config and the health
// checks want, without ever blocking the daemon's event loop.
//
// The daemon's loop thread only hands over inputs (a new config, health changes, the VRRP
// state the sync daemon follows) and receives reports. Everything that costs — kernel dumps,
// build_desired, diff, batched netlink applies (seconds at 10,000 services in a TCG VM, tens
// of milliseconds on real hardware) — runs on one worker thread that owns the netlink socket
// and all reconcile state (quorum, drains, ownership, the cached table). VRRP adverts on the
// loop are never queued behind it (keepalived's "thread timer expired" stalls, #1955/#2066).
//
// Rounds. Inputs arriving while a round runs are merged and handled by the next round, so a
// burst of health changes costs one diff, not one per change. A round is
//   full   (timer, start):            dump the kernel → desired → drains → diff → apply;
//   quick  (health, reload):          desired → diff against the cached table → apply.
// The cached table is the last dump plus every operation applied since. A reload dumps only
// when the cache is unsure (a failed operation) or a drain needs fresh connection counts, so a
// one-line change costs a diff, not a dump of the whole table.
// The periodic full round is also the drift repair: what it changes was changed behind our
// back (`ipvsadm -D`, `ipvsadm -C`), and it is reported as such (keepalived only diffs config
// against config, #1018/#1877). Only services vigil's config defines are touched. Its period
// is vigil_reconcile_interval, stretched to 50× the last full round's duration when that is
// longer (a dump of 10,000 services must not keep a core busy: at most 2% of the time).
//
// Start adopts: the first round diffs against the table the kernel already has, so a restart
// over a table left by a previous vigild changes nothing and resets no connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "common/result.hpp"
#include "conf/model.hpp"
#include "libipvs/desired.hpp"
#include "libipvs/drainer.hpp"
#include "libipvs/kernel.hpp"

namespace ipvs {

struct ReconcilerOptions {
  std::chrono::milliseconds interval{5000};    // full round (drift repair) period
  std::chrono::milliseconds drain_poll{1000};  // full round period while something drains
  std::chrono::seconds drain_timeout{300};
};

/// What a planned stop does with vigil's services (keepalived's options).
enum class StopPolicy {
  remove_own,     // default: delete the services vigil's config defines
  flush,          // lvs_flush_on_stop: empty the whole table
  keep,           // leave the table (vigil_ipvs_on_stop keep): a restart adopts it
};

/// One round, as the loop sees it.
struct RoundReport {
  bool full = false;                    // began with a kernel dump
  bool teardown = false;                // the stop round
  bool drift_check = false;             // a periodic round: what it applies is drift repair
  std::size_t operations = 0;
  std::vector<std::string> applied;     // plan lines (for logs); capped
  std::size_t applied_total = 0;
  std::vector<std::string> failures;    // one line per failed operation; capped
  std::size_t failures_total = 0;
  std::vector<QuorumEvent> quorum_events;
  std::vector<DrainResult> drains_finished;
  std::size_t draining = 0;
  std::vector<std::string> warnings;
  std::optional<std::string> kernel_error;  // dump/open failed
  std::chrono::microseconds duration{0};
  std::shared_ptr<const Table> table;   // the kernel's table after the round (vigil's services)
};

struct ReconcilerStats {
  std::uint64_t rounds = 0, full_rounds = 0, operations = 0, failures = 0, drift_repairs = 0;
  std::chrono::microseconds last_round{0};
  std::optional<std::string> last_error;
};

class Reconciler {
 public:
  using KernelFactory = std::function<vigil::Result<std::unique_ptr<Kernel>>()>;
  using ReportHandler = std::function<void(const RoundReport&)>;

  Reconciler(boost::asio::io_context& loop, vigil::log::Logger& log, KernelFactory open_kernel,
             ReconcilerOptions options = {});
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  /// Opens the kernel (when the config has virtual servers) and runs the first full round.
  vigil::Result<void> start(std::shared_ptr<const conf::Config> config, ReportHandler on_report);
  /// A new config: drains what left it, then a full round.
  /// Returns what it changes (plan_reload's lines), worked out after the worker has been
  /// handed the configuration, so that describing the change does not delay it.
  std::vector<std::string> reload(std::shared_ptr<const conf::Config> config);
  /// Health of one real server (from the checkers, or an operator drain).
  void set_health(const RealServerId& id, const RealServerHealth& health);
  /// The state of the VRRP instance lvs_sync_daemon follows ("MASTER", "BACKUP", ...).
  void set_sync_role(std::optional<SyncState> role);
  /// Planned stop; `done` runs on the loop once the table is torn down (or left, per policy).
  void stop(StopPolicy policy, std::function<void()> done);

  /// What reload(next) would do to the kernel, one line per operation; computed from the last
  /// known table, changes nothing.
  [[nodiscard]] std::vector<std::string> plan_reload(const conf::Config& next) const;
  [[nodiscard]] std::shared_ptr<const Table> table() const noexcept { return table_; }
  [[nodiscard]] const ReconcilerStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const HealthView& health() const noexcept { return health_mirror_; }

 private:
  struct Job;
  struct Worker;

  [[nodiscard]] std::vector<std::string> plan_change(const conf::Config* before, const conf::Config& next) const;
  void kick();
  void on_done(RoundReport report);
  void arm_timer(std::chrono::milliseconds after);
  bool defer_health_round();
  std::chrono::milliseconds next_full_round();

  boost::asio::io_context& loop_;
  vigil::log::Logger& log_;
  ReconcilerOptions options_;
  std::unique_ptr<Worker> worker_;
  boost::asio::steady_timer timer_;
  // Health-only rounds wait for this one: see kick().
  boost::asio::steady_timer batch_timer_;
  bool batch_armed_ = false;
  std::chrono::steady_clock::time_point last_done_{};
  std::chrono::microseconds last_round_{0};
  ReportHandler on_report_;

  // Inputs waiting for the next round.
  std::shared_ptr<const conf::Config> pending_config_;
  std::map<RealServerId, RealServerHealth> pending_health_;
  std::optional<std::optional<SyncState>> pending_sync_;
  bool full_requested_ = false;
  bool drift_check_ = false;
  bool running_ = false;
  bool stopping_ = false;
  bool first_ = false;
  StopPolicy stop_policy_ = StopPolicy::remove_own;
  std::function<void()> stop_done_;

  // Loop-side mirrors for plan_reload and status.
  std::shared_ptr<const conf::Config> config_;
  HealthView health_mirror_;
  std::shared_ptr<const Table> table_;
  std::size_t draining_ = 0;
  ReconcilerStats stats_;
  std::chrono::microseconds last_full_round_{0};
  bool stretched_ = false;
  std::shared_ptr<int> alive_;  // posted completions hold a weak reference: none runs after destruction
};

/// The stop policy keepalived's options (and vigil's) ask for.
[[nodiscard]] StopPolicy stop_policy_from(const conf::GlobalDefs& global) noexcept;

}  // namespace ipvs
