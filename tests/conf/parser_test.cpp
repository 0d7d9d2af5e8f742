#include <catch2/catch.hpp>

#include "conf/parser.hpp"

using namespace std::chrono_literals;

namespace {

std::vector<std::string> messages(const conf::ParseResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.sorted_diagnostics()) out.push_back(d.to_string());
  return out;
}

const std::string k_instance =
    "vrrp_instance VI_1 {\n"
    "  interface eth0\n"
    "  virtual_router_id 51\n"
    "  virtual_ipaddress {\n"
    "    192.168.200.10/24 dev eth0 label eth0:1 scope global brd 192.168.200.255\n"
    "  }\n"
    "}\n";

}  // namespace

TEST_CASE("a vrrp_instance gets its values and keepalived's defaults", "[parser]") {
  const auto r = conf::parse_text(k_instance);
  CHECK(messages(r).empty());
  REQUIRE(r.config.vrrp_instances.size() == 1);
  const auto& i = r.config.vrrp_instances[0];
  CHECK(i.name == "VI_1");
  CHECK(i.vrid == 51);
  CHECK(i.priority == 100);
  CHECK(i.advert_int == 1s);
  CHECK(i.version == 2);
  CHECK(i.preempt);
  CHECK(i.garp_master_delay == 5s);
  CHECK(i.garp_master_repeat == 5);
  CHECK(i.loc.line == 1);
  CHECK(i.loc.column == 1);
  REQUIRE(i.vips.size() == 1);
  const auto& v = i.vips[0];
  CHECK(v.prefix.to_string() == "192.168.200.10/24");
  CHECK(v.dev == "eth0");
  CHECK(v.label == "eth0:1");
  CHECK(v.broadcast->to_string() == "192.168.200.255");
  CHECK(v.loc.line == 5);
  CHECK(v.loc.column == 5);
}

TEST_CASE("state MASTER without priority means 255; nopreempt and preempt_delay", "[parser]") {
  const auto r = conf::parse_text(
      "vrrp_instance A {\n state MASTER\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n"
      "vrrp_instance B {\n state BACKUP\n nopreempt\n preempt_delay 30\n interface eth0\n virtual_router_id 2\n"
      " virtual_ipaddress { 10.0.0.2 }\n}\n");
  CHECK(messages(r).empty());
  CHECK(r.config.vrrp_instances[0].priority == 255);
  CHECK_FALSE(r.config.vrrp_instances[1].preempt);
  CHECK(r.config.vrrp_instances[1].preempt_delay == 30s);
}

TEST_CASE("advert_int: v3 fractions in 10 ms steps, v2 whole seconds", "[parser]") {
  const auto v3 = conf::parse_text(
      "vrrp_instance A {\n version 3\n advert_int 0.01\n interface eth0\n virtual_router_id 1\n"
      " virtual_ipaddress { 10.0.0.1 }\n}\n");
  CHECK(messages(v3).empty());
  CHECK(v3.config.vrrp_instances[0].advert_int == 10ms);

  const auto v2 = conf::parse_text(
      "vrrp_instance A {\n advert_int 1.6\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n");
  CHECK(messages(v2) == std::vector<std::string>{
                            "test.conf:2:13: warning: VRRPv2 advert_int must be whole seconds; 1.6 is rounded to 2"});
  CHECK(v2.config.vrrp_instances[0].advert_int == 2s);

  const auto global_v3 = conf::parse_text(
      "global_defs { vrrp_version 3 }\nvrrp_instance A {\n advert_int 0.1\n interface eth0\n virtual_router_id 1\n"
      " virtual_ipaddress { 10.0.0.1 }\n}\n");
  CHECK(global_v3.config.vrrp_instances[0].version == 3);
  CHECK(global_v3.config.vrrp_instances[0].advert_int == 100ms);
}

TEST_CASE("out-of-range values point at the value", "[parser]") {
  const auto r = conf::parse_text(
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  priority 0\n"
      "  virtual_ipaddress { 10.0.0.1 }\n}\n");
  CHECK(messages(r) == std::vector<std::string>{
                           "test.conf:1:1: error: vrrp_instance 'VI_1' needs 'virtual_router_id'",
                           "test.conf:3:21: error: virtual_router_id 300 out of range 1..255",
                           "test.conf:4:12: error: priority 0 out of range 1..255"});
}

TEST_CASE("an unknown keyword is an error with a suggestion", "[parser]") {
  const auto r = conf::parse_text(
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  prioirty 50\n  prompte_secondaries\n"
      "  virtual_ipaddress { 10.0.0.1 }\n}\n");
  CHECK(messages(r) == std::vector<std::string>{
                           "test.conf:4:3: error: unknown keyword 'prioirty' in 'vrrp_instance'; did you mean 'priority'?",
                           "test.conf:5:3: error: unknown keyword 'prompte_secondaries' in 'vrrp_instance'; did you mean "
                           "'promote_secondaries'?"});
}

TEST_CASE("deprecated and no-effect keywords are warnings that name the modern keyword", "[parser]") {
  const auto r = conf::parse_text(
      "global_defs {\n  smtp_server 10.0.0.1\n}\n"
      "virtual_server 10.0.0.10 80 {\n  lb_algo wrr\n  lb_kind DR\n"
      "  real_server 10.0.0.2 80 {\n    TCP_CHECK {\n      nb_get_retry 4\n    }\n  }\n}\n");
  CHECK(messages(r) == std::vector<std::string>{
                           "test.conf:2:3: warning: 'smtp_server' is accepted but has no effect in vigil",
                           "test.conf:5:3: warning: 'lb_algo' is deprecated; use 'lvs_sched'",
                           "test.conf:6:3: warning: 'lb_kind' is deprecated; use 'lvs_method'",
                           "test.conf:9:7: warning: 'nb_get_retry' is deprecated; use 'retry'"});
  const auto& vs = *r.config.virtual_servers.at(0);
  CHECK(vs.scheduler == "wrr");
  CHECK(vs.method.method == conf::ForwardMethod::dr);
  CHECK(vs.real_servers.at(0).method.method == conf::ForwardMethod::dr);
  CHECK(vs.real_servers.at(0).checkers.at(0).retry == 4);
}

TEST_CASE("checker settings inherit checker <- real_server <- virtual_server <- default", "[parser]") {
  const auto r = conf::parse_text(
      "virtual_server 10.0.0.10 80 {\n"
      "  delay_loop 6\n  connect_timeout 4\n  inhibit_on_failure\n"
      "  real_server 10.0.0.2 80 {\n    retry 2\n"
      "    TCP_CHECK {\n      delay_before_retry 0.5\n    }\n"
      "    HTTP_GET {\n      connect_timeout 1\n      url { path /health\n status_code 200-299 404 }\n    }\n"
      "  }\n"
      "  real_server 10.0.0.3 80 {\n    MISC_CHECK {\n      misc_path \"/bin/check arg\"\n      misc_dynamic\n    }\n  }\n"
      "}\n");
  CHECK(messages(r).empty());
  const auto& vs = *r.config.virtual_servers.at(0);
  CHECK(vs.scheduler == "wlc");
  const auto& tcp = vs.real_servers.at(0).checkers.at(0);
  CHECK(tcp.kind == conf::CheckerKind::tcp);
  CHECK(tcp.delay_loop == 6s);
  CHECK(tcp.connect_timeout == 4s);
  CHECK(tcp.retry == 2);
  CHECK(tcp.delay_before_retry == 500ms);
  const auto& http = vs.real_servers.at(0).checkers.at(1);
  CHECK(http.connect_timeout == 1s);
  const auto& spec = std::get<conf::HttpCheckSpec>(http.spec);
  REQUIRE(spec.urls.size() == 1);
  CHECK(spec.urls[0].status_codes == std::vector<std::pair<int, int>>{{200, 299}, {404, 404}});
  CHECK(vs.real_servers.at(0).inhibit_on_failure);
  const auto& misc = vs.real_servers.at(1).checkers.at(0);
  CHECK(misc.retry == 0);  // keepalived's MISC_CHECK default
  CHECK(std::get<conf::MiscCheckSpec>(misc.spec).path.command == "/bin/check arg");
  CHECK(std::get<conf::MiscCheckSpec>(misc.spec).timeout == 6s);
  CHECK(std::get<conf::MiscCheckSpec>(misc.spec).dynamic);
}

TEST_CASE("virtual_server forms: address, fwmark, group; lvs_method TUN options", "[parser]") {
  const auto r = conf::parse_text(
      "virtual_server_group G {\n  10.0.0.1-3 80\n  10.1.0.0/30 443\n  fwmark 7\n  2001:db8::1-4 80\n}\n"
      "virtual_server group G {\n  lvs_sched mh\n  mh-port\n  real_server 10.0.0.9 80 { weight 3 }\n}\n"
      "virtual_server fwmark 1 {\n  lvs_method TUN type gue port 6080 csum\n  real_server 10.0.0.9 {}\n}\n"
      "virtual_server 2001:db8::10 443 {\n  protocol udp\n  persistence_timeout\n  real_server 2001:db8::2 443 {}\n}\n");
  CHECK(messages(r).empty());
  const auto& g = r.config.virtual_server_groups.at(0);
  REQUIRE(g.entries.size() == 4);
  CHECK(g.entries[0].last->to_string() == "10.0.0.3");
  CHECK(g.entries[1].first->to_string() == "10.1.0.0");
  CHECK(g.entries[1].last->to_string() == "10.1.0.3");
  CHECK(g.entries[1].port == 443);
  CHECK(*g.entries[2].fwmark == 7);
  CHECK(g.entries[3].last->to_string() == "2001:db8::4");
  const auto& vs = r.config.virtual_servers;
  CHECK(vs[0]->key() == "group G/tcp");
  CHECK(vs[0]->flag2);
  CHECK(vs[0]->real_servers[0].weight == 3);
  CHECK(vs[1]->key() == "fwmark 1/inet");
  CHECK(vs[1]->method.tunnel_type == conf::TunnelType::gue);
  CHECK(vs[1]->method.tunnel_port == 6080);
  CHECK(vs[1]->method.tunnel_checksum == conf::TunnelChecksum::csum);
  CHECK(vs[2]->key() == "[2001:db8::10]:443/udp");
  CHECK(vs[2]->persistence_timeout == 360U);
}

TEST_CASE("a missing '}' is reported once and parsing resynchronises", "[parser]") {
  const auto r = conf::parse_text(
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.1\n"
      "}\n"  // closes virtual_ipaddress only: VI_1 stays open
      "virtual_server 10.0.0.1 80 {\n  lvs_sched rr\n  real_server 10.0.0.2 80 { weight 1 }\n}\n");
  CHECK(messages(r) == std::vector<std::string>{
                           "test.conf:1:20: error: block 'vrrp_instance' is not closed before 'virtual_server' at line 7 "
                           "(missing '}')"});
  CHECK(r.config.vrrp_instances.size() == 1);
  CHECK(r.config.virtual_servers.size() == 1);
}

TEST_CASE("every error in a file is reported, without cascades", "[parser]") {
  const auto r = conf::parse_text(
      "global_defs {\n  router_id R1\n  vrrp_garp_master_delay abc\n}\n"
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  advert_int -1\n"
      "  virtual_ipaddress {\n    10.0.0.300\n    10.0.0.2 dve eth0\n  }\n}\n"
      "}\n"
      "virtual_server 10.0.0.1 80 {\n  lvs_sched rrr\n  real_server 10.0.0.2 80 {\n    weight x\n  }\n}\n");
  CHECK(messages(r) ==
        std::vector<std::string>{
            "test.conf:3:26: error: vrrp_garp_master_delay must be a time in seconds (e.g. 3 or 0.5), not 'abc'",
            "test.conf:8:14: error: advert_int must be a time in seconds (e.g. 3 or 0.5), not '-1'",
            "test.conf:10:5: error: invalid virtual IP address '10.0.0.300'",
            "test.conf:11:14: error: unexpected 'dve' in a virtual address (expected brd, dev, scope, label, peer, ...)",
            "test.conf:14:1: error: '}' without a matching '{'",
            "test.conf:16:13: error: unknown scheduler 'rrr' (rr wrr lc wlc lblc lblcr dh sh sed nq mh fo ovf twos); did you "
            "mean 'rr'?",
            "test.conf:18:12: error: weight must be a number, not 'x'"});
}

TEST_CASE("blocks opened on the next line and one-line blocks both work", "[parser]") {
  const auto r = conf::parse_text(
      "vrrp_sync_group G\n{\n  group { VI_1 VI_2 }\n}\n"
      "vrrp_instance VI_1\n{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n"
      "vrrp_instance VI_2 { interface eth0\n virtual_router_id 2\n virtual_ipaddress { 10.0.0.2 } }\n");
  CHECK(messages(r).empty());
  REQUIRE(r.config.sync_groups.size() == 1);
  CHECK(r.config.sync_groups[0].members == std::vector<std::string>{"VI_1", "VI_2"});
  CHECK(r.config.vrrp_instances[1].sync_group == "G");
}

TEST_CASE("pathological input: 10 MB of nested braces and long garbage never crash", "[parser][robustness]") {
  const std::string deep = std::string(5'000'000, '{') + std::string(5'000'000, '}');
  const auto r = conf::parse_text(deep);
  CHECK(r.diagnostics.has_errors());
  CHECK(r.diagnostics.error_count() < 10);

  std::string garbage;
  for (int i = 0; i < 20000; ++i) garbage += "virtual_server } { \"unterminated ! # $X ${Y} @z\n";
  const auto g = conf::parse_text(garbage);
  CHECK(g.diagnostics.has_errors());
}

TEST_CASE("virtual servers are stored without growth slack; a reload's count hint avoids regrowing", "[parser]") {
  std::string text;
  for (int i = 0; i < 20; ++i)
    text += "virtual_server 10.0.0." + std::to_string(i + 1) + " 80 {\n real_server 10.1.0.1 80 {\n }\n}\n";
  const auto stored_with_hint = [&text](std::size_t hint) {
    conf::ParseOptions options;
    options.expected_virtual_servers = hint;
    const auto r = conf::parse_text(text, "keepalived.conf", options);
    REQUIRE(r.config.virtual_servers.size() == 20);
    return r.config.virtual_servers.capacity();
  };
  // no hint: grown by doubling while reading, then shrunk to the exact size
  CHECK(stored_with_hint(0) == 20);
  // the running configuration's count reserved up front, and a slack of one kept (no copy)
  CHECK(stored_with_hint(21) == 21);
  // a hint far too large is shrunk
  CHECK(stored_with_hint(100) == 20);
}
