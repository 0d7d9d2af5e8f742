#include <catch2/catch.hpp>

#include "conf/parser.hpp"

namespace {

std::vector<std::string> messages(const conf::ParseResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.sorted_diagnostics()) out.push_back(d.to_string());
  return out;
}

std::string instance(const std::string& name, int vrid, const std::string& extra, const std::string& vips = "10.0.0.1") {
  return "vrrp_instance " + name + " {\n interface eth0\n virtual_router_id " + std::to_string(vrid) + "\n" + extra +
         " virtual_ipaddress {\n " + vips + "\n }\n}\n";
}

}  // namespace

TEST_CASE("duplicate VRID on one interface and family is an error with a note", "[validate]") {
  const auto r = conf::parse_text(instance("A", 5, "") + instance("B", 5, ""));
  CHECK(messages(r) == std::vector<std::string>{
                           "test.conf:10:20: error: virtual_router_id 5 is already used by vrrp_instance 'A' on eth0 (IPv4)",
                           "test.conf:3:20: note: vrrp_instance 'A' uses it here"});
  // Same VRID, other family: allowed (RFC 5798 §7.3 scopes the VRID per family).
  CHECK(messages(conf::parse_text(instance("A", 5, "") + instance("B", 5, " version 3\n", "fe80::1"))).empty());
}

TEST_CASE("mixed VIP families, wrong-family peers and unicast_src_ip", "[validate]") {
  const auto r = conf::parse_text(instance("A", 1, " unicast_src_ip fe80::2\n unicast_peer {\n  2001:db8::1\n }\n",
                                           "10.0.0.1\n 2001:db8::5"));
  CHECK(messages(r) ==
        std::vector<std::string>{
            "test.conf:1:1: error: vrrp_instance 'A': unicast_src_ip fe80::2 is IPv6 but the instance is IPv4",
            "test.conf:6:3: error: unicast peer 2001:db8::1 is IPv6 but vrrp_instance 'A' is IPv4",
            "test.conf:10:2: error: virtual address 2001:db8::5 is IPv6 but vrrp_instance 'A' is IPv4: all addresses of an "
            "instance must be one family"});
}

TEST_CASE("nopreempt with state MASTER is a warning; unknown track_script an error", "[validate]") {
  const auto r = conf::parse_text(instance("A", 1, " state MASTER\n nopreempt\n track_script {\n  chk_missing\n }\n"));
  CHECK(messages(r) == std::vector<std::string>{
                           "test.conf:1:1: warning: vrrp_instance 'A': 'nopreempt' only works with 'state BACKUP' "
                           "(keepalived ignores it with state MASTER)",
                           "test.conf:7:3: error: track_script 'chk_missing' names no vrrp_script"});
}

TEST_CASE("sync group members must exist and belong to one group", "[validate]") {
  const auto r = conf::parse_text("vrrp_sync_group G1 { group { A NOPE } }\nvrrp_sync_group G2 { group { A } }\n" +
                                  instance("A", 1, ""));
  CHECK(messages(r) == std::vector<std::string>{
                           "test.conf:1:32: error: vrrp_sync_group 'G1' names unknown vrrp_instance 'NOPE'",
                           "test.conf:2:1: warning: vrrp_sync_group 'G2' has a single member; it behaves like the instance alone",
                           "test.conf:2:30: error: vrrp_instance 'A' is already in vrrp_sync_group 'G1'"});
}

TEST_CASE("virtual servers: duplicates, real servers of the wrong family, sh flags, unknown group", "[validate]") {
  const auto r = conf::parse_text(
      "virtual_server 10.0.0.1 80 {\n  lvs_sched rr\n  sh-port\n  real_server 2001:db8::1 80 {}\n"
      "  real_server 10.0.0.2 80 {}\n  real_server 10.0.0.2 80 {}\n}\n"
      "virtual_server 10.0.0.1 80 {\n}\n"
      "virtual_server group NOPE {\n}\n");
  CHECK(messages(r) ==
        std::vector<std::string>{
            "test.conf:3:3: warning: 'sh-port' has no effect with lvs_sched rr",
            "test.conf:4:3: error: real_server 2001:db8::1 is IPv6 but virtual_server 10.0.0.1:80/tcp is IPv4 (only TUN can "
            "mix families)",
            "test.conf:6:3: error: duplicate real_server 10.0.0.2 80 in virtual_server 10.0.0.1:80/tcp",
            "test.conf:8:1: error: duplicate virtual_server 10.0.0.1:80/tcp",
            "test.conf:1:1: note: virtual_server 10.0.0.1:80/tcp first defined here",
            "test.conf:10:1: error: virtual_server group 'NOPE' names no virtual_server_group"});
}

TEST_CASE("quorum above the total weight can never be reached", "[validate]") {
  const auto r = conf::parse_text("virtual_server 10.0.0.1 80 {\n quorum 5\n real_server 10.0.0.2 80 { weight 2 }\n}\n");
  CHECK(messages(r) == std::vector<std::string>{
                           "test.conf:1:1: warning: virtual_server 10.0.0.1:80/tcp: quorum 5 is more than the total weight 2 "
                           "of its real servers; it can never be reached"});
}

TEST_CASE("validate skips the one-object checks of objects known clean and reports the others", "[validate]") {
  auto r = conf::parse_text(
      "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 { weight 1 }\n quorum 5\n}\n"
      "virtual_server 10.0.0.3 80 {\n real_server 10.0.0.4 80 { weight 1 }\n}\n");
  REQUIRE(r.diagnostics.warning_count() == 1);  // quorum 5 > total weight 1
  const conf::VirtualServer* warned = r.config.virtual_servers[0].get();
  SECTION("nothing known: both checked, the warned one reported") {
    conf::LocalChecks local;
    conf::Diagnostics d;
    conf::validate(r.config, d, &local);
    CHECK(d.warning_count() == 1);
    CHECK(local.reported == std::vector<const conf::VirtualServer*>{warned});
  }
  SECTION("an object claimed clean is not checked (its warning is not repeated)") {
    conf::LocalChecks local;
    local.facts = {conf::ObjectFacts{conf::virtual_server_identity(*warned), false, true}};
    conf::Diagnostics d;
    conf::validate(r.config, d, &local);
    CHECK(d.warning_count() == 0);
    CHECK(local.reported.empty());
  }
}
