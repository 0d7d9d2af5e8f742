// Unit tests of vrrp_io's pure parts: receive checks (TTL, unicast peers, codec drops by reason),
// the GARP / unsolicited NA frames, and rise/fall hysteresis of vrrp_script trackers.
#include <catch2/catch.hpp>

#include "libvrrp/io/frames.hpp"
#include "libvrrp/io/receive_check.hpp"
#include "libvrrp/io/script_tracker.hpp"

using vrrp::io::DropReason;

namespace {

vigil::IpAddress ip(const char* s) { return *vigil::IpAddress::parse(s); }

struct Packet {
  std::vector<std::uint8_t> bytes;
  vrrp::io::InboundPacket inbound;
};

Packet v3_packet(std::uint8_t ttl = 255, const char* source = "198.18.0.2") {
  vrrp::Advert a;
  a.version = 3;
  a.vrid = 51;
  a.priority = 150;
  a.max_advert_int = std::chrono::milliseconds(200);
  a.addresses = {ip("198.18.0.100")};
  vrrp::EncodeContext ctx;
  ctx.source = ip(source);
  ctx.destination = ip("224.0.0.18");
  Packet p;
  p.bytes = vrrp::encode(a, ctx);
  p.inbound.source = ctx.source;
  p.inbound.destination = ctx.destination;
  p.inbound.hop_limit = ttl;
  return p;
}

vrrp::io::Verdict check(Packet& p, const vrrp::io::ReceivePolicy& policy) {
  p.inbound.message = p.bytes;
  return vrrp::io::check_advert(p.inbound, policy);
}

}  // namespace

TEST_CASE("a valid multicast advert is accepted", "[receive]") {
  auto p = v3_packet();
  const auto v = check(p, {});
  REQUIRE_FALSE(v.drop);
  CHECK(v.advert.priority == 150);
  CHECK(vrrp::io::peek_vrid(p.bytes) == std::optional<std::uint8_t>(51));
}

TEST_CASE("multicast mode drops TTL other than 255 (RFC 5798 §7.1)", "[receive]") {
  auto p = v3_packet(64);
  CHECK(check(p, {}).drop == DropReason::bad_ttl);
}

TEST_CASE("unicast mode: TTL is checked only against a peer's bounds; check_unicast_src drops strangers",
          "[receive]") {
  vrrp::io::ReceivePolicy policy;
  policy.unicast = true;
  policy.peers = {{ip("198.18.0.2"), std::uint8_t{250}, std::nullopt}};
  auto ok = v3_packet(254);
  CHECK_FALSE(check(ok, policy).drop);
  auto low = v3_packet(64);
  CHECK(check(low, policy).drop == DropReason::bad_ttl);
  auto stranger = v3_packet(64, "198.18.0.9");
  CHECK_FALSE(check(stranger, policy).drop);  // no bounds for it, source not checked
  policy.check_unicast_src = true;
  CHECK(check(stranger, policy).drop == DropReason::not_a_peer);
}

TEST_CASE("codec failures map to their drop reason", "[receive]") {
  auto p = v3_packet();
  p.bytes[7] ^= 0x55;
  CHECK(check(p, {}).drop == DropReason::bad_checksum);
  auto t = v3_packet();
  t.bytes.resize(10);
  CHECK(check(t, {}).drop == DropReason::bad_length);
  CHECK(vrrp::io::from_decode_error(vrrp::DecodeError::too_short) == DropReason::too_short);
  CHECK(vrrp::io::from_decode_error(vrrp::DecodeError::bad_password) == DropReason::bad_password);
  CHECK(vrrp::io::to_string(DropReason::bad_ttl) == "bad_ttl");
  CHECK_FALSE(vrrp::io::peek_vrid(std::vector<std::uint8_t>{0x31}));
}

TEST_CASE("gratuitous ARP is a broadcast request with sender = target = VIP", "[frames]") {
  const vrrp::io::MacAddress mac{2, 0, 0, 0, 0, 1};
  const auto f = vrrp::io::gratuitous_arp_frame(mac, ip("198.18.0.100"));
  REQUIRE(f.size() == 42);
  CHECK(std::vector<std::uint8_t>(f.begin(), f.begin() + 6) == std::vector<std::uint8_t>(6, 0xff));
  CHECK(f[12] == 0x08);
  CHECK(f[13] == 0x06);
  CHECK(f[21] == 1);  // request
  const std::vector<std::uint8_t> vip{198, 18, 0, 100};
  CHECK(std::vector<std::uint8_t>(f.begin() + 28, f.begin() + 32) == vip);  // sender IP
  CHECK(std::vector<std::uint8_t>(f.begin() + 38, f.begin() + 42) == vip);  // target IP
}

TEST_CASE("unsolicited NA: all-nodes, hop limit 255, Override, valid ICMPv6 checksum", "[frames]") {
  const vrrp::io::MacAddress mac{2, 0, 0, 0, 0, 1};
  const auto f = vrrp::io::unsolicited_na_frame(mac, ip("2001:db8::100"));
  REQUIRE(f.size() == 14 + 40 + 32);
  CHECK(f[0] == 0x33);
  CHECK(f[20] == 58);    // next header ICMPv6
  CHECK(f[21] == 255);   // hop limit
  CHECK(f[54] == 136);   // neighbour advertisement
  CHECK(f[58] == 0x20);  // Override only
  // verify the checksum over pseudo-header + ICMPv6 body
  std::uint32_t sum = 0;
  auto add = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; i += 2) sum += (std::uint32_t{f[i]} << 8) | f[i + 1];
  };
  add(22, 32);  // source + destination
  sum += 32 + 58;
  add(54, 32);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  CHECK(sum == 0xFFFF);
}

TEST_CASE("rise/fall: fall failures make good bad, rise successes make bad good", "[script]") {
  vrrp::io::RiseFall rf(2, 3, true);
  CHECK_FALSE(rf.record(false));
  CHECK_FALSE(rf.record(false));
  CHECK_FALSE(rf.record(true));   // streak reset
  CHECK_FALSE(rf.record(false));
  CHECK_FALSE(rf.record(false));
  CHECK(rf.record(false));
  CHECK_FALSE(rf.good());
  CHECK_FALSE(rf.record(true));
  CHECK(rf.record(true));
  CHECK(rf.good());
  vrrp::io::RiseFall init_fail(1, 1, false);
  CHECK_FALSE(init_fail.good());
}
