// DOC: Consistency checks on a RouterConfig that only the VRRP core knows to make (wire limits,
// address families); the config parser's own validation covers syntax and ranges of keywords.
#include "libvrrp/core/router_config.hpp"

namespace vrrp {

std::vector<std::string> config_problems(const RouterConfig& c) {
  std::vector<std::string> problems;
  auto add = [&](std::string text) { problems.push_back(std::move(text)); };
  const std::string family{vigil::to_string(c.family)};

  if (c.vrid == 0) add("virtual router id 0 is invalid (1..255)");
  if (c.version != 2 && c.version != 3) add("VRRP version " + std::to_string(c.version) + " (only 2 and 3 exist)");
  if (c.version == 2 && c.family == vigil::Family::v6) add("VRRPv2 is IPv4-only (RFC 3768); use version 3");
  if (c.priority == 0) add("priority 0 is reserved for resigning (1..255)");
  if (c.primary_address.family() != c.family) {
    add("primary address " + c.primary_address.to_string() + " is not " + family);
  }
  for (const auto& vip : c.addresses) {
    if (vip.family() != c.family) add("virtual address " + vip.to_string() + " is not " + family);
  }
  if (c.addresses.size() > 255) add("more than 255 virtual addresses do not fit in one advert");
  if (c.version == 3 && c.auth.type != AuthType::none) add("authentication is VRRPv2 only (RFC 5798 removed it)");
  if (c.down_timer_adverts < 1 || c.down_timer_adverts > 100) add("down_timer_adverts must be 1..100");
  if (c.highest_other_priority && (*c.highest_other_priority < 1 || *c.highest_other_priority > 254)) {
    add("timer_expired_backup priority must be 1..254");
  }
  if (c.advert_interval.count() <= 0) add("advert interval must be positive");
  return problems;
}

}  // namespace vrrp
