// DOC: VrrpSubsystem — the daemon's view of vrrp::Service (libvrrp/service): start/reload/stop,
// status JSON, the demote/promote/garp control commands, metrics and the systemd STATUS= phrase.
// It adds no VRRP logic; everything here is translation.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "common/log.hpp"
#include "common/script_runner.hpp"
#include "daemon/runtime/subsystem.hpp"
#include "libvrrp/service/service.hpp"

namespace vigild {

class VrrpSubsystem final : public Subsystem {
 public:
  // `script_runner` runs vrrp_script checks and notify scripts.
  VrrpSubsystem(boost::asio::io_context& io, vigil::log::Logger& log, vigil::ScriptRunner& script_runner);

  [[nodiscard]] std::string_view name() const override { return "vrrp"; }
  vigil::Result<void> start(const ConfigPtr& config) override;
  [[nodiscard]] std::vector<std::string> plan_reload(const conf::Config& next) const override;
  vigil::Result<std::vector<std::string>> reload(const ConfigPtr& next) override;
  void stop(StopMode mode, std::function<void()> done) override;
  [[nodiscard]] nlohmann::json status() const override;
  std::optional<vigil::Result<nlohmann::json>> command(const Command& command) override;
  void collect_metrics(std::vector<MetricSample>& out) const override;
  [[nodiscard]] std::string status_line() const override;
  void set_change_listener(std::function<void()> listener) override;

 private:
  vrrp::Service service_;
  // The status line changes only with a transition, a start or a reload; the daemon asks for it
  // after every burst of changes of any subsystem (IPVS health changes included), so it is kept
  // and rebuilt only when one of those happened (as IpvsSubsystem keeps its own).
  mutable std::string line_;
  mutable bool line_stale_ = true;
};

}  // namespace vigild
