// DOC: keepalived's tracking arithmetic (vrrp_track.c) as a pure function.
#include "libvrrp/service/tracking.hpp"

#include <algorithm>

namespace vrrp {

TrackingResult evaluate_tracking(const InstanceSpec& spec, const std::map<std::string, bool>& links,
                                 const std::map<std::string, bool>& scripts) {
  TrackingResult r;
  auto link_up = [&](const std::string& name) {
    const auto it = links.find(name);
    return it != links.end() && it->second;
  };
  auto script_good = [&](const std::string& name) {
    const auto it = scripts.find(name);
    return it == scripts.end() || it->second;
  };
  auto fault = [&](std::string why) {
    if (!r.faulted) r.fault_reason = std::move(why);
    r.faulted = true;
  };
  int delta = 0;
  auto apply = [&](std::int32_t weight, bool reverse, bool up) {
    const bool effective_up = reverse ? !up : up;
    if (weight > 0 && effective_up) delta += weight;
    if (weight < 0 && !effective_up) delta += weight;
  };

  if (spec.track_own_link && !link_up(spec.interface)) fault("interface " + spec.interface + " down");
  for (const auto& t : spec.track_links) {
    const bool up = link_up(t.name);
    if (t.weight == 0) {
      if (!(t.reverse ? !up : up)) fault("tracked interface " + t.name + (up ? " up (reverse)" : " down"));
    } else {
      apply(t.weight, t.reverse, up);
    }
  }
  for (const auto& t : spec.track_scripts) {
    const bool good = script_good(t.name);
    if (t.weight == 0) {
      if (!(t.reverse ? !good : good)) fault("script " + t.name + (good ? " succeeding (reverse)" : " failing"));
    } else {
      apply(t.weight, t.reverse, good);
    }
  }
  if (spec.fault_without_peer) fault("unicast mode without peers");

  const int base = spec.router.priority;
  if (base == 255) {
    r.priority = 255;
  } else {
    r.priority = static_cast<std::uint8_t>(std::clamp(base + delta, 1, 254));
  }
  return r;
}

}  // namespace vrrp
