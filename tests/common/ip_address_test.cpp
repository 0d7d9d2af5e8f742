#include <catch2/catch.hpp>

#include "common/ip_address.hpp"

using vigil::IpAddress;
using vigil::IpPrefix;

TEST_CASE("IpAddress parses and formats both families", "[ip]") {
  const auto v4 = IpAddress::parse("192.168.200.10");
  REQUIRE(v4);
  CHECK(v4->is_v4());
  CHECK(v4->to_string() == "192.168.200.10");
  CHECK(v4->v4_u32() == 0xC0A8C80AU);
  CHECK(IpAddress::from_v4_u32(0xC0A8C80AU) == *v4);

  const auto v6 = IpAddress::parse("FE80::1");
  REQUIRE(v6);
  CHECK(v6->is_v6());
  CHECK(v6->is_link_local());
  CHECK(v6->to_string() == "fe80::1");
}

TEST_CASE("IpAddress rejects malformed text", "[ip]") {
  CHECK_FALSE(IpAddress::parse(""));
  CHECK_FALSE(IpAddress::parse("192.168.200"));  // the missing-octet mistake of a Debian sample
  CHECK_FALSE(IpAddress::parse("256.1.1.1"));
  CHECK_FALSE(IpAddress::parse("1.2.3.4 "));
  CHECK_FALSE(IpAddress::parse("fe80::1::2"));
}

TEST_CASE("IpAddress orders by family then bytes (RFC 5798 tie-break order)", "[ip]") {
  CHECK(*IpAddress::parse("10.0.0.2") > *IpAddress::parse("10.0.0.1"));
  CHECK(*IpAddress::parse("10.0.0.10") > *IpAddress::parse("10.0.0.9"));
  CHECK(*IpAddress::parse("::1") > *IpAddress::parse("255.255.255.255"));
}

TEST_CASE("IpPrefix parses lengths and tests membership", "[ip]") {
  const auto p = IpPrefix::parse("10.1.2.0/23");
  REQUIRE(p);
  CHECK(p->length == 23);
  CHECK(p->contains(*IpAddress::parse("10.1.3.255")));
  CHECK_FALSE(p->contains(*IpAddress::parse("10.1.4.0")));
  CHECK(IpPrefix::parse("10.0.0.1")->length == 32);
  CHECK(IpPrefix::parse("2001:db8::/32")->length == 32);
  CHECK_FALSE(IpPrefix::parse("10.0.0.1/33"));
  CHECK_FALSE(IpPrefix::parse("10.0.0.1/"));
  CHECK_FALSE(IpPrefix::parse("10.0.0.1/x"));
}
