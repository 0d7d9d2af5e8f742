// DOC: IpvsSubsystem — keepalived's "checker" side as the daemon sees it: the health checkers
// (libhealth) feed the reconciler (libipvs/service), which keeps the kernel table right. This
// file only translates: checker changes → reconciler health, real-server and quorum transitions
// → notify_up/notify_down/quorum_up/quorum_down scripts and log lines, the kernel table →
// status JSON and metrics, `vigilctl drain/undrain` → an operator drain flag.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "common/log.hpp"
#include "common/script_runner.hpp"
#include "daemon/runtime/subsystem.hpp"
#include "libhealth/probes/health_checker.hpp"
#include "libipvs/reload_scope.hpp"
#include "libipvs/service/reconciler.hpp"

namespace vigild {

class IpvsSubsystem final : public Subsystem {
 public:
  IpvsSubsystem(boost::asio::io_context& io, vigil::log::Logger& log, vigil::ScriptRunner& scripts,
                ipvs::Reconciler::KernelFactory open_kernel);
  ~IpvsSubsystem() override;

  [[nodiscard]] std::string_view name() const override { return "ipvs"; }
  vigil::Result<void> start(const ConfigPtr& config) override;
  [[nodiscard]] std::vector<std::string> plan_reload(const conf::Config& next) const override;
  vigil::Result<std::vector<std::string>> reload(const ConfigPtr& next) override;
  void stop(StopMode mode, std::function<void()> done) override;
  [[nodiscard]] nlohmann::json status() const override;
  std::optional<vigil::Result<nlohmann::json>> command(const Command& command) override;
  void collect_metrics(std::vector<MetricSample>& out) const override;
  [[nodiscard]] std::string status_line() const override;
  void set_change_listener(std::function<void()> listener) override { on_change_ = std::move(listener); }
  void observe(const ClusterView& view) override;

 private:
  void on_health_change(const health::RealServerChange& change);
  void on_round(const ipvs::RoundReport& report);
  void push_health(const health::RealServerId& id, const health::RealServerStatus& status);
  void run_script(const conf::Script* script, const std::string& what);
  void tear_down();
  /// vs_index_ and real_servers_ for config_: rebuilt, or patched with what a reload changed.
  void index_config(const ipvs::ReloadScope* changed = nullptr);
  /// down_ from the checker's snapshot (all tracked real servers and their status).
  void recount_down(const std::vector<std::pair<health::RealServerId, health::RealServerStatus>>& tracked);
  [[nodiscard]] bool vrrp_holds_addresses() const;
  [[nodiscard]] const conf::RealServer* find_real_server(const health::RealServerId& id) const;
  [[nodiscard]] const conf::VirtualServer* find_virtual_server(const std::string& key) const;

  boost::asio::io_context& io_;
  vigil::log::Logger& log_;
  vigil::ScriptRunner& scripts_;
  std::shared_ptr<const conf::Config> config_;
  std::unique_ptr<health::HealthChecker> checker_;
  ipvs::Reconciler::KernelFactory open_kernel_;
  // optional: re-created at start() with the config's vigil_reconcile_interval/vigil_drain_timeout
  std::optional<ipvs::Reconciler> reconciler_;
  // virtual server key → its entry in config_ (health changes and status look servers up by key)
  std::unordered_map<std::string, const conf::VirtualServer*> vs_index_;
  std::set<std::pair<std::string, std::string>> drained_;  // (virtual server key, "address:port")
  std::set<health::RealServerId> down_;  // checked real servers that are down (for the status line)
  std::size_t real_servers_ = 0;         // in config_
  std::map<std::string, bool> quorum_up_;                  // virtual server key → quorum state
  std::function<void()> on_change_;
  std::optional<std::string> sync_instance_state_;
  std::map<std::string, std::string> vrrp_states_;  // the last ClusterView: instance → state
  // A lossless stop keeps the table while a VRRP master still holds its addresses (it waits
  // for its successor): deleting the services first would refuse the clients that still arrive.
  boost::asio::steady_timer stop_hold_;
  std::function<void()> stop_done_;
  bool stop_held_ = false;
  bool stop_started_ = false;
};

}  // namespace vigild
