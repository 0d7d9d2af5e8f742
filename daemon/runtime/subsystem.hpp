// DOC: Subsystem — how the wiring sees one part of the daemon (VRRP, IPVS + health checks).
// Each library exposes a typed service; a small adapter in daemon/runtime turns it into this
// interface, so the daemon can start, reload, stop and report on every part the same way.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "conf/model.hpp"

namespace vigild {

/// What a planned stop does: hand over (lossless) or release at once (keepalived's way).
enum class StopMode { lossless, immediate };

/// One request from the control socket that a subsystem may understand.
struct Command {
  std::string name;                // "demote", "promote", "garp", "drain", "undrain"
  nlohmann::json arguments;        // {"instance": "VI_1"} ...
};

/// A metric sample, rendered by the metrics endpoint in the Prometheus text format.
struct MetricSample {
  std::string name;                // vigil_vrrp_adverts_sent_total
  std::string help;
  enum class Type { counter, gauge } type = Type::gauge;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

/// What one subsystem may need to know about the others (the sync daemon follows a VRRP
/// instance's state).
struct ClusterView {
  std::map<std::string, std::string> vrrp_states;  // instance name → "MASTER", "BACKUP", "FAULT", ...
};

using ConfigPtr = std::shared_ptr<const conf::Config>;

class Subsystem {
 public:
  virtual ~Subsystem() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  /// Opens what it needs and starts working. An error leaves nothing half-started.
  /// The configuration is shared, not copied: at 10,000 virtual servers a copy is tens of MB.
  virtual vigil::Result<void> start(const ConfigPtr& config) = 0;
  /// What reload(next) would change, one line per change ("~ VI_1 priority 100 -> 110"); pure.
  [[nodiscard]] virtual std::vector<std::string> plan_reload(const conf::Config& next) const = 0;
  /// Applies only the difference; unchanged parts keep their state and timers. Returns what it
  /// changes, the lines plan_reload(next) would have given, so that a subsystem can start the
  /// work first and describe it while the work runs.
  virtual vigil::Result<std::vector<std::string>> reload(const ConfigPtr& next) = 0;
  /// Planned stop; calls done() once finished (after a handover, the table teardown, ...).
  virtual void stop(StopMode mode, std::function<void()> done) = 0;
  [[nodiscard]] virtual nlohmann::json status() const = 0;
  /// Handles a control command it knows; nullopt when the command is not for it.
  virtual std::optional<vigil::Result<nlohmann::json>> command(const Command& command) = 0;
  virtual void collect_metrics(std::vector<MetricSample>& out) const = 0;
  /// One short phrase for systemd's STATUS= line ("VI_1 MASTER", "2/2 real servers up").
  [[nodiscard]] virtual std::string status_line() const = 0;
  /// Called on the loop whenever the subsystem's state changes by itself (a VRRP transition, a
  /// real server going down), so the daemon can refresh STATUS= and tell the other subsystems.
  virtual void set_change_listener(std::function<void()> listener) = 0;
  /// The daemon passes the current view after any subsystem changed.
  virtual void observe(const ClusterView& view) { (void)view; }
};

}  // namespace vigild
