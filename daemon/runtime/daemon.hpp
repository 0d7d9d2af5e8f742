// DOC: Daemon — the wiring. One io_context; subsystems (VRRP, IPVS + health checks) started from
// one parsed configuration; signals (HUP reload, TERM/INT stop, USR1 state dump); systemd
// notifications and watchdog; the control socket. A reload goes parse → validate → plan →
// apply, and a file with errors changes nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <vector>

#include "common/log.hpp"
#include "common/process/script_runner.hpp"
#include "conf/model.hpp"
#include "conf/parse_cache.hpp"
#include "conf/parser.hpp"
#include "daemon/runtime/control_server.hpp"
#include "daemon/runtime/metrics_server.hpp"
#include "daemon/runtime/subsystem.hpp"
#include "daemon/runtime/systemd_notifier.hpp"
#include "daemon/vigild/options.hpp"

namespace vigild {

class Daemon {
 public:
  Daemon(Options options, vigil::log::Logger& log);
  ~Daemon();

  /// Runs until stopped; returns the process exit status.
  int run();

  // For the control socket and tests.
  void handle_request(const nlohmann::json& request, ControlServer::Reply reply);

 private:
  bool load_initial_config();
  void build_subsystems();
  void wait_for_signals();
  void on_signal(int signal);
  /// Parses `file` on the parse thread (a 10,000-server file takes ~0.2 s of CPU: never on the
  /// loop, where VRRP adverts run), then plans or applies on the loop and calls `done`.
  void reload(bool dry_run, const std::string& file, ControlServer::Reply done);
  /// Applies `result` on the loop; on success its configuration is swapped with the running one.
  nlohmann::json apply_reload(bool dry_run, const std::string& file, conf::ParseResult& result,
                              std::chrono::steady_clock::duration parse_time);
  /// Frees a replaced configuration (or a rejected parse) on the parser thread and, with
  /// `release_memory`, hands the freed pages back: at 10,000 virtual servers that takes tens of
  /// milliseconds, too long to spend between two adverts. The last reference is this one unless
  /// a subsystem still holds it.
  void retire(std::shared_ptr<const void> old, bool release_memory);
  void begin_stop(StopMode mode);
  void finish_stop();
  void arm_watchdog();
  void update_status_line();
  void on_subsystem_change();
  void schedule_subsystem_change();  // coalesces a burst of change reports into one on_subsystem_change
  [[nodiscard]] ClusterView cluster_view() const;
  nlohmann::json status() const;
  std::vector<MetricSample> collect_metrics() const;
  void start_metrics();
  void apply_scheduling();
  void write_state_dump() const;
  [[nodiscard]] StopMode default_stop_mode() const;

  Options options_;
  vigil::log::Logger& log_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer stop_deadline_;
  SystemdNotifier systemd_;
  ConfigPtr config_;  // the running configuration, shared with the subsystems
  std::unique_ptr<vigil::process::AsioScriptRunner> scripts_;  // declared before the subsystems that use it
  std::vector<std::unique_ptr<Subsystem>> subsystems_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<MetricsServer> metrics_;
  std::uint64_t reloads_ = 0;
  std::uint64_t reload_failures_ = 0;
  bool stopping_ = false;
  bool change_pending_ = false;
  bool reload_running_ = false;
  // Unchanged virtual_server blocks of the running file, for the next reload. Touched only by
  // the startup parse and then on parser_; declared first so that it outlives parser_'s thread.
  conf::ParseCache parse_cache_;
  conf::RealFileSystem config_files_;  // with parse_cache_: reads the running file into its last buffer
  boost::asio::thread_pool parser_{1};  // configuration parsing only: nothing shared with the loop
  std::size_t pending_stops_ = 0;
  int exit_code_ = 0;
};

/// The subsystems for a configuration and the -P/-C selection (daemon/runtime/subsystems.cpp).
std::vector<std::unique_ptr<Subsystem>> make_subsystems(boost::asio::io_context& io, vigil::log::Logger& log,
                                                        vigil::ScriptRunner& scripts, const Options& options);
/// The runner every subsystem's scripts go through, and its policy from global_defs.
std::unique_ptr<vigil::process::AsioScriptRunner> make_script_runner(boost::asio::io_context& io, vigil::log::Logger& log);
vigil::process::ScriptPolicy script_policy(const conf::GlobalDefs& global);

}  // namespace vigild
