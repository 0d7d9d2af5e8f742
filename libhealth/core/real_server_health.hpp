// DOC: RealServerHealth — one real server's verdict from all its checkers.
//
// keepalived's rule: a real server is up when every one of its checkers is up (and always up when
// it has none). The weight reported is the configured one, unless a MISC_CHECK with misc_dynamic
// has set another (exit code − 2); like keepalived's update_svr_wgt, that weight stays until the
// script reports a new one. The aggregator reports a change only when (up, weight) differs from
// what it last reported, so the daemon sees each change once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "libhealth/core/check.hpp"
#include "libhealth/core/types.hpp"

namespace health {

struct RealServerStatus {
  bool up = true;
  std::uint32_t weight = 1;  // the weight to use while up (configured or dynamic)
  std::string reason;        // why it is in this state
  friend bool operator==(const RealServerStatus&, const RealServerStatus&) = default;
};

struct RealServerChange {
  RealServerId id;
  RealServerStatus status;
  bool up_changed = false;  // false: only the weight changed
};

class RealServerHealth {
 public:
  RealServerHealth(RealServerId id, std::uint32_t configured_weight);

  /// Recomputes from the current checker states; `reason` explains what just happened.
  [[nodiscard]] std::optional<RealServerChange> evaluate(std::span<const Health> checkers, std::string_view reason);

  /// Replaces the explanation of an unchanged verdict (a new real server whose checkers start
  /// up changes nothing, and "no checker" would then be wrong).
  void set_reason(std::string reason) { status_.reason = std::move(reason); }
  /// Records a misc_dynamic weight; takes effect at the next evaluate().
  void set_dynamic_weight(std::uint32_t weight) noexcept { dynamic_weight_ = weight; }
  /// A reload may change the configured weight; a dynamic weight, once reported, still wins.
  void set_configured_weight(std::uint32_t weight) noexcept { configured_weight_ = weight; }

  [[nodiscard]] const RealServerId& id() const noexcept { return id_; }
  [[nodiscard]] const RealServerStatus& status() const noexcept { return status_; }

 private:
  RealServerId id_;
  std::uint32_t configured_weight_;
  std::optional<std::uint32_t> dynamic_weight_;
  RealServerStatus status_;
};

}  // namespace health
