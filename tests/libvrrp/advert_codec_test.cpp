// Codec tests. Byte vectors are either laid out by hand from RFC 3768 §5.1 / RFC 5798 §5.1 (with
// the checksum arithmetic written out) or captured from Debian 12's keepalived 2.2.7 in a network
// namespace lab (veth pair, 198.18.0.1 → 224.0.0.18 / fe80::54ca:21ff:fe6e:a05d → ff02::12,
// `tcpdump -x`), as noted on each vector.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "libvrrp/core/advert_codec.hpp"

using namespace std::chrono_literals;
using vigil::Family;
using vigil::IpAddress;
using vrrp::Advert;
using vrrp::AuthType;
using vrrp::ChecksumForm;
using vrrp::DecodeContext;
using vrrp::DecodeError;
using vrrp::EncodeContext;

namespace {

using Bytes = std::vector<std::uint8_t>;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const vrrp::AuthData k_secret12{'s', 'e', 'c', 'r', 'e', 't', '1', '2'};

DecodeContext v4_context(const char* source = "198.18.0.1") {
  return DecodeContext{Family::v4, ip(source), ip("224.0.0.18"), AuthType::none, {}};
}

DecodeContext v6_context() {
  return DecodeContext{Family::v6, ip("fe80::54ca:21ff:fe6e:a05d"), ip("ff02::12"), AuthType::none, {}};
}

DecodeError reason_of(const vigil::Result<vrrp::Decoded>& r) {
  REQUIRE_FALSE(r.ok());
  const auto reason = vrrp::decode_error(r.error());
  REQUIRE(reason.has_value());
  return *reason;
}

// keepalived 2.2.7, `version 2`, VRID 51, priority 150, advert_int 1, auth_type PASS,
// auth_pass secret12, VIP 198.18.0.100. Whole IPv4 datagram as captured.
const Bytes k_keepalived_v2_pass = {
    0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x14, 0x7f, 0xc6, 0x12, 0x00, 0x01,  //
    0xe0, 0x00, 0x00, 0x12,                                                                          // IP
    0x21, 0x33, 0x96, 0x01, 0x01, 0x01, 0x13, 0xd5, 0xc6, 0x12, 0x00, 0x64,                          // VRRP
    0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x31, 0x32};                                                 // auth

// keepalived 2.2.7, `version 3`, VRID 52, priority 100, advert_int 1, VIPs 198.18.0.101/.102.
// Checksum 0x36ce includes the IPv4 pseudo-header (keepalived's default).
const Bytes k_keepalived_v3_ipv4 = {
    0x45, 0xc0, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x14, 0x83, 0xc6, 0x12, 0x00, 0x01,  //
    0xe0, 0x00, 0x00, 0x12,                                                                          // IP
    0x31, 0x34, 0x64, 0x02, 0x00, 0x64, 0x36, 0xce,                                                  // VRRP
    0xc6, 0x12, 0x00, 0x65, 0xc6, 0x12, 0x00, 0x66};

// The same instance's priority-0 advert on SIGTERM (only priority and checksum differ).
const Bytes k_keepalived_v3_ipv4_resign = {
    0x45, 0xc0, 0x00, 0x24, 0x00, 0x05, 0x00, 0x00, 0xff, 0x70, 0x14, 0x7f, 0xc6, 0x12, 0x00, 0x01,  //
    0xe0, 0x00, 0x00, 0x12,                                                                          //
    0x31, 0x34, 0x00, 0x02, 0x00, 0x64, 0x9a, 0xce,                                                  //
    0xc6, 0x12, 0x00, 0x65, 0xc6, 0x12, 0x00, 0x66};

// keepalived 2.2.7, IPv6, VRID 53, priority 200, advert_int 0.5 (50 cs), VIP fe80::53. An IPv6 raw
// socket delivers only the VRRP message (the 40-byte IPv6 header is not part of it).
const Bytes k_keepalived_v3_ipv6 = {
    0x31, 0x35, 0xc8, 0x01, 0x00, 0x32, 0xf4, 0x0e,                                                  //
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53};

// By hand, RFC 5798 §5.1: v3 type 1, VRID 1, priority 100, 1 address, Max Adver Int 100 cs,
// address 198.18.0.100, sent from 198.18.0.2 to 224.0.0.18.
//   message words 3101 + 6401 + 0064 + c612 + 0064               = 0x15bdc
//   without pseudo-header: fold 0x5bdd, complement                 → 0xa422
//   pseudo-header c612 + 0002 + e000 + 0012 + 0070 (proto) + 000c (len) = 0x1a6a2
//   with it: 0x15bdc + 0x1a6a2 = 0x3027e, fold 0x0281, complement → 0xfd7e
const Bytes k_hand_v3_with_pseudo = {0x31, 0x01, 0x64, 0x01, 0x00, 0x64, 0xfd, 0x7e, 0xc6, 0x12, 0x00, 0x64};
const Bytes k_hand_v3_message_only = {0x31, 0x01, 0x64, 0x01, 0x00, 0x64, 0xa4, 0x22, 0xc6, 0x12, 0x00, 0x64};

Advert hand_v3_advert() {
  Advert a;
  a.version = 3;
  a.vrid = 1;
  a.priority = 100;
  a.max_advert_int = 1s;
  a.addresses = {ip("198.18.0.100")};
  return a;
}

}  // namespace

TEST_CASE("keepalived's VRRPv2 PASS advert parses and decodes", "[codec][keepalived]") {
  const auto packet = vrrp::parse_ipv4_packet(k_keepalived_v2_pass);
  REQUIRE(packet.ok());
  CHECK(packet->ttl == 255);
  CHECK(packet->source == ip("198.18.0.1"));
  CHECK(packet->destination == ip("224.0.0.18"));
  REQUIRE(packet->payload.size() == 20);

  DecodeContext context = v4_context();
  context.auth_type = AuthType::simple_password;
  context.auth_data = k_secret12;
  const auto decoded = vrrp::decode(packet->payload, context);
  REQUIRE(decoded.ok());
  const Advert& a = decoded->advert;
  CHECK(a.version == 2);
  CHECK(a.vrid == 51);
  CHECK(a.priority == 150);
  CHECK(a.max_advert_int == 1s);
  CHECK(a.addresses == std::vector<IpAddress>{ip("198.18.0.100")});
  CHECK(a.auth_type == AuthType::simple_password);
  CHECK(a.auth_data == k_secret12);
  CHECK(decoded->checksum == ChecksumForm::message_only);
}

TEST_CASE("encoding keepalived's VRRPv2 PASS advert gives the captured bytes", "[codec][keepalived]") {
  // RFC 3768 §5.1, checksum over the message only:
  //   2133 + 9601 + 0101 + c612 + 0064 + 7365 + 6372 + 6574 + 3132 = 0x2ec28 → 0xec2a → ~ = 0x13d5
  Advert a;
  a.version = 2;
  a.vrid = 51;
  a.priority = 150;
  a.max_advert_int = 1s;
  a.addresses = {ip("198.18.0.100")};
  a.auth_type = AuthType::simple_password;
  a.auth_data = k_secret12;
  const EncodeContext context{Family::v4, ip("198.18.0.1"), ip("224.0.0.18")};
  const Bytes expected(k_keepalived_v2_pass.begin() + 20, k_keepalived_v2_pass.end());
  CHECK(vrrp::encode(a, context) == expected);
}

TEST_CASE("VRRPv2 authentication is checked", "[codec]") {
  const auto payload = std::span(k_keepalived_v2_pass).subspan(20);
  DecodeContext context = v4_context();

  SECTION("auth type mismatch") {
    CHECK(reason_of(vrrp::decode(payload, context)) == DecodeError::auth_mismatch);
  }
  SECTION("wrong password") {
    context.auth_type = AuthType::simple_password;
    context.auth_data = {'s', 'e', 'c', 'r', 'e', 't', '9', '9'};
    CHECK(reason_of(vrrp::decode(payload, context)) == DecodeError::bad_password);
  }
  SECTION("unknown auth type") {
    Advert a;
    a.version = 2;
    a.max_advert_int = 1s;
    a.addresses = {ip("198.18.0.100")};
    Bytes bytes = vrrp::encode(a, EncodeContext{Family::v4, ip("198.18.0.1"), ip("224.0.0.18")});
    bytes[4] = 7;
    bytes[6] = 0;
    bytes[7] = 0;
    // Recompute the checksum by encoding a copy with the same words: 0x0700 more in word 2.
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < bytes.size(); i += 2) sum += (std::uint32_t{bytes[i]} << 8) | bytes[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFFU) + (sum >> 16);
    bytes[6] = static_cast<std::uint8_t>((~sum >> 8) & 0xFFU);
    bytes[7] = static_cast<std::uint8_t>(~sum & 0xFFU);
    CHECK(reason_of(vrrp::decode(bytes, context)) == DecodeError::bad_auth_type);
  }
}

TEST_CASE("keepalived's VRRPv3 IPv4 advert decodes with the pseudo-header checksum", "[codec][keepalived]") {
  const auto packet = vrrp::parse_ipv4_packet(k_keepalived_v3_ipv4);
  REQUIRE(packet.ok());
  const auto decoded = vrrp::decode(packet->payload, v4_context());
  REQUIRE(decoded.ok());
  CHECK(decoded->checksum == ChecksumForm::pseudo_header);
  CHECK(decoded->advert.version == 3);
  CHECK(decoded->advert.vrid == 52);
  CHECK(decoded->advert.priority == 100);
  CHECK(decoded->advert.max_advert_int == 1s);
  CHECK(decoded->advert.addresses == std::vector<IpAddress>{ip("198.18.0.101"), ip("198.18.0.102")});

  Advert a = decoded->advert;
  const EncodeContext context{Family::v4, ip("198.18.0.1"), ip("224.0.0.18")};
  CHECK(vrrp::encode(a, context) == Bytes(k_keepalived_v3_ipv4.begin() + 20, k_keepalived_v3_ipv4.end()));

  a.priority = 0;  // what keepalived sends on SIGTERM
  CHECK(vrrp::encode(a, context) ==
        Bytes(k_keepalived_v3_ipv4_resign.begin() + 20, k_keepalived_v3_ipv4_resign.end()));
}

TEST_CASE("VRRPv3 IPv4 checksum: both forms encode as computed by hand and decode", "[codec]") {
  const Advert a = hand_v3_advert();
  EncodeContext context{Family::v4, ip("198.18.0.2"), ip("224.0.0.18")};
  CHECK(vrrp::encode(a, context) == k_hand_v3_with_pseudo);
  context.v3_ipv4_checksum = ChecksumForm::message_only;  // keepalived v3_checksum_as_v2
  CHECK(vrrp::encode(a, context) == k_hand_v3_message_only);

  const auto with = vrrp::decode(k_hand_v3_with_pseudo, v4_context("198.18.0.2"));
  REQUIRE(with.ok());
  CHECK(with->checksum == ChecksumForm::pseudo_header);
  CHECK(with->advert == a);

  const auto without = vrrp::decode(k_hand_v3_message_only, v4_context("198.18.0.2"));
  REQUIRE(without.ok());
  CHECK(without->checksum == ChecksumForm::message_only);
  CHECK(without->advert == a);

  // The pseudo-header form depends on the addresses: from another source it matches neither.
  CHECK(reason_of(vrrp::decode(k_hand_v3_with_pseudo, v4_context("198.18.0.3"))) == DecodeError::bad_checksum);
}

TEST_CASE("keepalived's VRRPv3 IPv6 advert decodes and re-encodes", "[codec][keepalived]") {
  const auto decoded = vrrp::decode(k_keepalived_v3_ipv6, v6_context());
  REQUIRE(decoded.ok());
  CHECK(decoded->checksum == ChecksumForm::pseudo_header);
  CHECK(decoded->advert.vrid == 53);
  CHECK(decoded->advert.priority == 200);
  CHECK(decoded->advert.max_advert_int == 500ms);
  CHECK(decoded->advert.addresses == std::vector<IpAddress>{ip("fe80::53")});

  const EncodeContext context{Family::v6, ip("fe80::54ca:21ff:fe6e:a05d"), ip("ff02::12")};
  CHECK(vrrp::encode(decoded->advert, context) == k_keepalived_v3_ipv6);

  // IPv6 has one checksum form: the message-only sum must not be accepted.
  Advert a = decoded->advert;
  EncodeContext as_v2 = context;
  as_v2.v3_ipv4_checksum = ChecksumForm::message_only;  // ignored for IPv6
  CHECK(vrrp::encode(a, as_v2) == k_keepalived_v3_ipv6);
}

TEST_CASE("round trips through encode and decode", "[codec]") {
  SECTION("v3 IPv6 with several addresses and the longest interval") {
    Advert a;
    a.version = 3;
    a.vrid = 200;
    a.priority = 255;
    a.max_advert_int = 40950ms;
    a.addresses = {ip("fe80::1"), ip("2001:db8::1"), ip("2001:db8::2")};
    const EncodeContext e{Family::v6, ip("fe80::2"), ip("ff02::12")};
    const auto bytes = vrrp::encode(a, e);
    CHECK(bytes.size() == 8 + 3 * 16);
    const auto d = vrrp::decode(bytes, DecodeContext{Family::v6, ip("fe80::2"), ip("ff02::12"), AuthType::none, {}});
    REQUIRE(d.ok());
    CHECK(d->advert == a);
  }
  SECTION("v3 IPv4 at 10 ms, unicast destination") {
    Advert a = hand_v3_advert();
    a.max_advert_int = 10ms;
    const EncodeContext e{Family::v4, ip("198.18.0.1"), ip("198.18.0.2")};
    const auto d = vrrp::decode(vrrp::encode(a, e), DecodeContext{Family::v4, ip("198.18.0.1"), ip("198.18.0.2")});
    REQUIRE(d.ok());
    CHECK(d->advert == a);
  }
  SECTION("no addresses (keepalived no_virtual_ipaddress)") {
    Advert a = hand_v3_advert();
    a.addresses.clear();
    const EncodeContext e{Family::v4, ip("198.18.0.1"), ip("224.0.0.18")};
    const auto d = vrrp::decode(vrrp::encode(a, e), v4_context());
    REQUIRE(d.ok());
    CHECK(d->advert == a);
  }
}

TEST_CASE("advert intervals are rounded to the wire unit", "[codec]") {
  CHECK(vrrp::wire_interval(3, 1234ms) == 1230ms);
  CHECK(vrrp::wire_interval(3, 1ms) == 10ms);  // at least 1 cs
  CHECK(vrrp::wire_interval(3, 60s) == 40950ms);
  CHECK(vrrp::wire_interval(2, 1400ms) == 1s);
  CHECK(vrrp::wire_interval(2, 1500ms) == 2s);
  CHECK(vrrp::wire_interval(2, 2500ms) == 3s);  // half up, as keepalived, not half to even
  CHECK(vrrp::wire_interval(3, 15ms) == 20ms);
  CHECK(vrrp::wire_interval(2, 100ms) == 1s);
  CHECK(vrrp::wire_interval(2, 300s) == 255s);
}

TEST_CASE("malformed messages are rejected with a reason", "[codec]") {
  const Bytes good = k_hand_v3_with_pseudo;
  const DecodeContext context = v4_context("198.18.0.2");
  REQUIRE(vrrp::decode(good, context).ok());

  SECTION("empty and truncated headers") {
    CHECK(reason_of(vrrp::decode(Bytes{}, context)) == DecodeError::too_short);
    for (std::size_t n = 1; n < 8; ++n) {
      CHECK(reason_of(vrrp::decode(std::span(good).first(n), context)) == DecodeError::too_short);
    }
  }
  SECTION("truncated address list") {
    for (std::size_t n = 8; n < good.size(); ++n) {
      CHECK(reason_of(vrrp::decode(std::span(good).first(n), context)) == DecodeError::bad_length);
    }
  }
  SECTION("count larger than the data") {
    Bytes b = good;
    b[3] = 255;
    CHECK(reason_of(vrrp::decode(b, context)) == DecodeError::bad_length);
  }
  SECTION("trailing bytes") {
    Bytes b = good;
    b.push_back(0);
    CHECK(reason_of(vrrp::decode(b, context)) == DecodeError::bad_length);
  }
  SECTION("IPv4-sized addresses on an IPv6 socket") {
    CHECK(reason_of(vrrp::decode(good, v6_context())) == DecodeError::bad_length);
  }
  SECTION("version") {
    Bytes b = good;
    b[0] = 0x41;
    CHECK(reason_of(vrrp::decode(b, context)) == DecodeError::bad_version);
    const auto v2 = std::span(k_keepalived_v2_pass).subspan(20);
    CHECK(reason_of(vrrp::decode(v2, v6_context())) == DecodeError::bad_version);
  }
  SECTION("type") {
    Bytes b = good;
    b[0] = 0x32;
    CHECK(reason_of(vrrp::decode(b, context)) == DecodeError::bad_type);
  }
  SECTION("any flipped bit is a checksum error") {
    for (std::size_t i = 1; i < good.size(); ++i) {
      if (i == 3) continue;  // the count changes the length first
      Bytes b = good;
      b[i] ^= 0x01;
      CHECK(reason_of(vrrp::decode(b, context)) == DecodeError::bad_checksum);
    }
  }
  SECTION("interval 0") {
    Advert a = hand_v3_advert();
    Bytes b = vrrp::encode(a, EncodeContext{Family::v4, ip("198.18.0.2"), ip("224.0.0.18")});
    // 0x0064 → 0x0000 in word 2 adds 0x64 to the checksum.
    b[5] = 0;
    b[7] = static_cast<std::uint8_t>(b[7] + 0x64);
    CHECK(reason_of(vrrp::decode(b, context)) == DecodeError::bad_interval);
  }
  SECTION("error text names the reason") {
    const auto r = vrrp::decode(std::span(good).first(10), context);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.rfind("bad length", 0) == 0);
    CHECK(vrrp::to_string(DecodeError::bad_checksum) == "bad checksum");
  }
}

TEST_CASE("decode survives every truncation and garbage", "[codec]") {
  // Not a fuzzer, but every prefix of every vector and a deterministic pseudo-random stream.
  for (const Bytes* v : {&k_keepalived_v2_pass, &k_keepalived_v3_ipv4, &k_keepalived_v3_ipv6}) {
    for (std::size_t n = 0; n <= v->size(); ++n) {
      (void)vrrp::decode(std::span(*v).first(n), v4_context());
      (void)vrrp::decode(std::span(*v).first(n), v6_context());
      (void)vrrp::parse_ipv4_packet(std::span(*v).first(n));
    }
  }
  std::uint32_t state = 12345;
  int accepted = 0;
  for (int round = 0; round < 2000; ++round) {
    Bytes b(static_cast<std::size_t>(round % 64));
    for (auto& byte : b) {
      state = state * 1103515245U + 12345U;
      byte = static_cast<std::uint8_t>(state >> 24);
    }
    if (vrrp::decode(b, v4_context()).ok()) ++accepted;
    (void)vrrp::parse_ipv4_packet(b);
  }
  CHECK(accepted == 0);
}

TEST_CASE("IPv4 header checks for raw sockets", "[codec]") {
  REQUIRE(vrrp::parse_ipv4_packet(k_keepalived_v3_ipv4).ok());
  auto reason = [](const Bytes& b) {
    const auto r = vrrp::parse_ipv4_packet(b);
    REQUIRE_FALSE(r.ok());
    return *vrrp::decode_error(r.error());
  };
  Bytes b = k_keepalived_v3_ipv4;

  SECTION("too short") { CHECK(reason(Bytes(b.begin(), b.begin() + 19)) == DecodeError::too_short); }
  SECTION("not IPv4") {
    b[0] = 0x65;
    CHECK(reason(b) == DecodeError::bad_ip_header);
  }
  SECTION("IHL below 5 or past the end") {
    b[0] = 0x44;
    CHECK(reason(b) == DecodeError::bad_ip_header);
    b[0] = 0x4f;  // 60-byte header in a 36-byte datagram
    CHECK(reason(b) == DecodeError::bad_ip_header);
  }
  SECTION("total length disagrees") {
    b.push_back(0);
    CHECK(reason(b) == DecodeError::bad_ip_length);
    b.resize(30);
    CHECK(reason(b) == DecodeError::bad_ip_length);
  }
  SECTION("fragment") {
    b[6] = 0x20;  // MF
    CHECK(reason(b) == DecodeError::fragmented);
  }
  SECTION("protocol") {
    b[9] = 51;  // AH
    CHECK(reason(b) == DecodeError::not_vrrp);
  }
  SECTION("options are skipped") {
    // IHL 6 with one 4-byte NOP option word: the payload still starts at the VRRP header.
    Bytes with_options(b.begin(), b.begin() + 20);
    with_options[0] = 0x46;
    with_options.insert(with_options.end(), {0x01, 0x01, 0x01, 0x01});
    with_options.insert(with_options.end(), b.begin() + 20, b.end());
    with_options[3] = static_cast<std::uint8_t>(with_options.size());
    const auto p = vrrp::parse_ipv4_packet(with_options);
    REQUIRE(p.ok());
    CHECK(p->payload.size() == 16);
    CHECK(p->payload[0] == 0x31);
  }
}
