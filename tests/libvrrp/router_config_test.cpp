// RouterConfig checks and the advert a Router asks vrrp_io to send.
#include "vrrp_test_support.hpp"

using namespace vrrp_test;

TEST_CASE("a sane config has no problems", "[config]") {
  CHECK(vrrp::config_problems(v3_config()).empty());
  CHECK(vrrp::config_problems(v2_config()).empty());
}

TEST_CASE("config problems the core can see", "[config]") {
  auto c = v2_config();
  c.family = vigil::Family::v6;
  c.vrid = 0;
  c.priority = 0;
  c.down_timer_adverts = 0;
  const auto problems = vrrp::config_problems(c);
  auto mentions = [&](const std::string& text) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
  };
  CHECK(mentions("VRRPv2 is IPv4-only"));
  CHECK(mentions("virtual router id 0"));
  CHECK(mentions("priority 0"));
  CHECK(mentions("primary address 198.18.0.1 is not inet6"));
  CHECK(mentions("virtual address 198.18.0.100 is not inet6"));
  CHECK(mentions("down_timer_adverts"));

  auto v3 = v3_config();
  v3.auth.type = vrrp::AuthType::simple_password;
  CHECK(vrrp::config_problems(v3).size() == 1);
}

TEST_CASE("the advert to send carries the wire interval, VIPs and v2 password", "[config]") {
  auto c = v2_config(120);
  c.advert_interval = 1400ms;  // keepalived rounds to 1 s
  c.auth = {vrrp::AuthType::simple_password, {'p', 'w', 0, 0, 0, 0, 0, 0}};
  const vrrp::Router r{c};
  const vrrp::Advert a = r.advert(0);
  CHECK(a.version == 2);
  CHECK(a.vrid == 51);
  CHECK(a.priority == 0);
  CHECK(a.max_advert_int == 1s);
  CHECK(a.addresses == c.addresses);
  CHECK(a.auth_type == vrrp::AuthType::simple_password);
  CHECK(a.auth_data == c.auth.password);
  CHECK(r.advert_interval() == 1s);

  auto v3 = v3_config(100, 1234ms);
  v3.auth = c.auth;  // ignored for v3
  const vrrp::Advert b = vrrp::Router{v3}.advert(100);
  CHECK(b.max_advert_int == 1230ms);
  CHECK(b.auth_type == vrrp::AuthType::none);
}
