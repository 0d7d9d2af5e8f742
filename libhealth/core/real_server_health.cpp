// DOC: RealServerHealth: all checkers up → up; weight = dynamic weight if any, else configured.
#include "libhealth/core/real_server_health.hpp"

#include <algorithm>

namespace health {

RealServerHealth::RealServerHealth(RealServerId id, std::uint32_t configured_weight)
    : id_(std::move(id)), configured_weight_(configured_weight), status_{true, configured_weight, "no checker"} {}

std::optional<RealServerChange> RealServerHealth::evaluate(std::span<const Health> checkers, std::string_view reason) {
  const bool up = std::all_of(checkers.begin(), checkers.end(), [](Health h) { return h == Health::up; });
  const std::uint32_t weight = dynamic_weight_.value_or(configured_weight_);
  if (up == status_.up && weight == status_.weight) return std::nullopt;
  const bool up_changed = up != status_.up;
  status_.up = up;
  status_.weight = weight;
  status_.reason = std::string(reason);
  return RealServerChange{id_, status_, up_changed};
}

}  // namespace health
