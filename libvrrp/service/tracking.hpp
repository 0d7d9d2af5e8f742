// DOC: Tracking — what a vrrp_instance's tracked interfaces and scripts make of it, as keepalived
// computes it (pure): a weight-0 item that is down/failing is a FAULT; a weighted item moves the
// priority — a positive weight is added while the item is up/good, a negative one while it is
// down/failing, `reverse` swaps up and down. The result is clamped to 1..254; an address owner
// (255) keeps 255 (RFC 5798 §5.2.4 reserves it and weights cannot make or unmake an owner).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "libvrrp/service/instance_spec.hpp"

namespace vrrp {

struct TrackingResult {
  bool faulted = false;
  std::uint8_t priority = 100;
  std::string fault_reason;  // "interface h1 down", "script chk_http failing"
  friend bool operator==(const TrackingResult&, const TrackingResult&) = default;
};

// `links`: interface name → usable; a name missing is down. `scripts`: script name → good; a
// script missing (not run: no script runner) counts as good.
[[nodiscard]] TrackingResult evaluate_tracking(const InstanceSpec& spec, const std::map<std::string, bool>& links,
                                               const std::map<std::string, bool>& scripts);

}  // namespace vrrp
