// Unit tests of vrrp_service's pure parts: conf → InstanceSpec, reload change lines, and the
// tracking arithmetic (weights, reverse, faults, clamping).
#include <catch2/catch.hpp>

#include "conf/parser.hpp"
#include "libvrrp/service/instance_spec.hpp"
#include "libvrrp/service/tracking.hpp"

namespace {

const char* k_base = R"(
global_defs {
  vigil_handover immediate
}
vrrp_script chk {
  script "/bin/true"
  weight -30
  rise 2
  fall 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority PRIO
  version 3
  advert_int 0.2
  unicast_src_ip 198.18.0.1
  unicast_peer {
    198.18.0.2
  }
  track_interface {
    eth1 weight 20
  }
  track_script {
    chk
  }
  virtual_ipaddress {
    198.18.0.100/24 dev eth0 label eth0:vip
  }
}
)";

conf::Config parse(int priority) {
  std::string text = k_base;
  text.replace(text.find("PRIO"), 4, std::to_string(priority));
  auto r = conf::parse_text(text);
  std::string first;
  for (const auto& d : r.sorted_diagnostics()) first += d.to_string() + "\n";
  INFO(first);
  REQUIRE_FALSE(r.diagnostics.has_errors());
  return r.config;
}

}  // namespace

TEST_CASE("conf instance becomes a RouterConfig plus its I/O settings", "[spec]") {
  const auto c = parse(150);
  const auto s = vrrp::make_instance_spec(c, c.vrrp_instances.at(0));
  CHECK(s.router.vrid == 51);
  CHECK(s.router.version == 3);
  CHECK(s.router.advert_interval == std::chrono::milliseconds(200));
  CHECK_FALSE(s.router.lossless_handover);  // vigil_handover immediate
  CHECK(s.source_given);
  CHECK(s.router.primary_address == *vigil::IpAddress::parse("198.18.0.1"));
  CHECK(s.unicast);
  REQUIRE(s.vips.size() == 1);
  CHECK(s.vips[0].prefix.length == 24);
  CHECK(s.vips[0].label == std::optional<std::string>("eth0:vip"));
  REQUIRE(s.track_scripts.size() == 1);
  CHECK(s.track_scripts[0].weight == -30);
  const auto check = vrrp::make_script_check(c, c.vrrp_scripts.at(0));
  CHECK(check.rise == 2);
  CHECK(check.fall == 3);
}

TEST_CASE("reload lines name what changed; VRID changes need a new Router", "[spec]") {
  const auto a = parse(150);
  const auto b = parse(160);
  const auto sa = vrrp::make_instance_spec(a, a.vrrp_instances.at(0));
  auto sb = vrrp::make_instance_spec(b, b.vrrp_instances.at(0));
  CHECK(vrrp::describe_changes(sa, sa).empty());
  CHECK(vrrp::describe_changes(sa, sb) == std::vector<std::string>{"priority 150 -> 160"});
  CHECK(vrrp::router_settings_equal_but_priority(sa.router, sb.router));
  CHECK_FALSE(vrrp::recreate_needed(sa, sb));
  sb.router.vrid = 52;
  CHECK(vrrp::recreate_needed(sa, sb));
}

TEST_CASE("tracking: weights while up/down, reverse, faults, clamp to 1..254", "[tracking]") {
  const auto c = parse(150);
  const auto s = vrrp::make_instance_spec(c, c.vrrp_instances.at(0));
  std::map<std::string, bool> links{{"eth0", true}, {"eth1", true}};
  std::map<std::string, bool> scripts{{"chk", true}};
  CHECK(vrrp::evaluate_tracking(s, links, scripts) == vrrp::TrackingResult{false, 170, ""});
  scripts["chk"] = false;  // weight -30 applies while failing; +20 still applies (eth1 up)
  CHECK(vrrp::evaluate_tracking(s, links, scripts).priority == 140);
  links["eth1"] = false;
  CHECK(vrrp::evaluate_tracking(s, links, scripts).priority == 120);
  links["eth0"] = false;  // the instance's own interface: fault
  const auto r = vrrp::evaluate_tracking(s, links, scripts);
  CHECK(r.faulted);
  CHECK(r.fault_reason == "interface eth0 down");
  auto owner = s;
  owner.router.priority = 255;
  links["eth0"] = true;
  CHECK(vrrp::evaluate_tracking(owner, links, scripts).priority == 255);
  auto low = s;
  low.router.priority = 10;
  CHECK(vrrp::evaluate_tracking(low, links, scripts).priority == 1);
}

TEST_CASE("advert_for carries the wire interval, VIPs and v2 auth", "[spec]") {
  vrrp::RouterConfig r;
  r.version = 2;
  r.vrid = 7;
  r.advert_interval = std::chrono::milliseconds(1400);
  r.addresses = {*vigil::IpAddress::parse("198.18.0.100")};
  r.auth.type = vrrp::AuthType::simple_password;
  r.auth.password = {'s', 'e', 'c', 'r', 'e', 't', 0, 0};
  const auto a = vrrp::advert_for(r, 0);
  CHECK(a.priority == 0);
  CHECK(a.max_advert_int == std::chrono::seconds(1));
  CHECK(a.auth_type == vrrp::AuthType::simple_password);
  CHECK(a.addresses == r.addresses);
}
