// Reply parsing: hand-built replies in the kernel's layout (ip_vs_genl_fill_service/_dest, the
// 64-bit stats with IPVS_STATS_ATTR_PAD, NLMSG_ERROR with extended ACK TLVs), then truncated,
// corrupted and random buffers, which must come back as errors and never read out of bounds
// (run the suite under -DVIGIL_SANITIZERS=address;undefined to have that checked).
#include <catch2/catch.hpp>

#include <random>

#include "libipvs/reply_parser.hpp"
#include "test_support.hpp"

using namespace ipvs;
using namespace ipvs::test;

namespace {

constexpr std::uint16_t k_family = 0x1c;
constexpr std::uint16_t k_multi = 0x0002;  // NLM_F_MULTI

// STATS (u32 counters, u64 bytes) or STATS64 (u64 everywhere), with the PAD attribute (11) the
// kernel's nla_put_u64_64bit inserts before each 64-bit value.
Bytes stats(bool wide, std::uint64_t base) {
  Bytes out;
  for (std::uint16_t type = 1; type <= 10; ++type) {
    const bool is64 = wide || type == 4 || type == 5;
    if (is64) out = cat({out, nla(11, {}), nla(type, le64(base + type))});
    else out = cat({out, nla(type, le32(static_cast<std::uint32_t>(base + type)))});
  }
  return out;
}

Bytes service_nest_v4() {
  return cat({nla(1, le16(2)), nla(2, le16(6)), nla(3, addr16(ip("10.0.0.10"))), nla(4, be16(80)), nla(6, str("wrr")),
              nla(11, str("sip")), nla(7, cat({le32(0x1 | 0x2 | 0x4), le32(0xffffffff)})), nla(8, le32(360)),
              nla(9, Bytes{0xff, 0xff, 0xff, 0x00}), nla(10, stats(false, 100)), nla(12, stats(true, 5000000000ULL))});
}

Bytes service_nest_fwmark_v6() {
  return cat({nla(1, le16(10)), nla(5, le32(7)), nla(6, str("none")), nla(7, cat({le32(0x2), le32(0xffffffff)})),
              nla(8, le32(0)), nla(9, le32(64))});
}

Bytes dest_nest_gue_v6() {
  return cat({nla(1, addr16(ip("2001:db8::2"))), nla(2, be16(8080)), nla(3, le32(2)), nla(4, le32(7)), nla(13, {1}),
              nla(14, be16(6080)), nla(15, le16(1)), nla(5, le32(100)), nla(6, le32(10)), nla(7, le32(3)),
              nla(8, le32(4)), nla(9, le32(5)), nla(11, le16(10)), nla(10, stats(false, 1)), nla(12, stats(true, 1))});
}

Bytes service_dump_part() {
  return cat({nlmsg(k_family, k_multi, 42, genl(1, nla(1, service_nest_v4()))),
              nlmsg(k_family, k_multi, 42, genl(1, nla(1, service_nest_fwmark_v6())))});
}

Bytes done(std::uint32_t seq, std::int32_t error = 0) {
  return nlmsg(3, k_multi, seq, le32(static_cast<std::uint32_t>(error)));
}

Bytes ack(std::uint32_t seq, std::int32_t error) {
  // struct nlmsgerr { int error; struct nlmsghdr msg; } — capped: the request's header only.
  return nlmsg(2, 0x0100, seq, cat({le32(static_cast<std::uint32_t>(error)), le32(16), le16(k_family), le16(5),
                                    le32(seq), le32(0)}));
}

template <typename T>
const T& as(const Message& m) {
  REQUIRE(std::holds_alternative<T>(m));
  return std::get<T>(m);
}

}  // namespace

TEST_CASE("service dump part: two services, every field", "[reply]") {
  const auto parsed = parse_messages(service_dump_part(), k_family);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 2);

  const auto& first = as<ServiceMsg>((*parsed)[0]);
  CHECK(first.seq == 42);
  const Service& s = first.service;
  CHECK(s.key == tcp("10.0.0.10", 80));
  CHECK(s.scheduler == "wrr");
  CHECK(s.pe_name == "sip");
  CHECK(s.flags.persistent);
  CHECK(s.flags.one_packet);
  CHECK(s.flags.bits() == 0x5);  // HASHED dropped
  CHECK(s.timeout == 360);
  CHECK(s.netmask == 0xffffff00);
  REQUIRE(s.stats);
  CHECK(s.stats->conns == 5000000001ULL);  // from STATS64, not the 32-bit nest
  REQUIRE(s.stats);
  CHECK(s.stats->in_bytes == 5000000004ULL);
  CHECK(s.stats->out_bps == 5000000010ULL);

  const Service& f = as<ServiceMsg>((*parsed)[1]).service;
  CHECK(f.key == ServiceKey::firewall_mark(7, Family::v6));
  CHECK(f.key.to_string() == "FWM 7 IPv6");
  CHECK(f.scheduler == "none");
  CHECK(f.netmask == 64);
  CHECK(*f.stats == Stats{});
}

TEST_CASE("Counters::skip parses every field but the counters", "[reply]") {
  const auto services = parse_messages(service_dump_part(), k_family, Family::v4, ipvs::Counters::skip);
  REQUIRE(services.ok());
  REQUIRE(services->size() == 2);
  const Service& s = as<ServiceMsg>((*services)[0]).service;
  CHECK(s.scheduler == "wrr");
  CHECK(s.netmask == 0xffffff00);
  CHECK_FALSE(s.stats);
  const auto dests = parse_messages(nlmsg(k_family, k_multi, 9, genl(5, nla(2, dest_nest_gue_v6()))), k_family,
                                    Family::v4, ipvs::Counters::skip);
  REQUIRE(dests.ok());
  const Dest& d = as<DestMsg>((*dests)[0]).dest;
  CHECK(d.weight == 7);
  CHECK(d.active_conns == 3);  // a dest's connection counts are not counters: draining needs them
  CHECK_FALSE(d.stats);
}

TEST_CASE("dest message: tunnel, counters, address family", "[reply]") {
  const auto parsed = parse_messages(nlmsg(k_family, k_multi, 9, genl(5, nla(2, dest_nest_gue_v6()))), k_family);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 1);
  const Dest& d = as<DestMsg>((*parsed)[0]).dest;
  CHECK(d.key == DestKey{ip("2001:db8::2"), 8080});
  CHECK(d.forward == ForwardMethod::tunnel);
  CHECK(d.weight == 7);
  CHECK(d.upper_threshold == 100);
  CHECK(d.lower_threshold == 10);
  CHECK(d.tunnel_type == TunnelType::gue);
  CHECK(d.tunnel_port == 6080);
  CHECK(d.tunnel_checksum == TunnelChecksum::csum);
  CHECK(d.active_conns == 3);
  CHECK(d.inactive_conns == 4);
  CHECK(d.persistent_conns == 5);
  REQUIRE(d.stats);
  CHECK(d.stats->conns == 2);

  SECTION("without ADDR_FAMILY the service's family is used (kernels before 3.18)") {
    const Bytes old = cat({nla(1, addr16(ip("10.0.0.9"))), nla(2, be16(80)), nla(3, le32(3)), nla(4, le32(1)),
                           nla(5, le32(0)), nla(6, le32(0))});
    auto v4 = parse_messages(nlmsg(k_family, k_multi, 1, genl(5, nla(2, old))), k_family, Family::v4);
    REQUIRE(v4.ok());
    CHECK(as<DestMsg>((*v4)[0]).dest.key.address == ip("10.0.0.9"));
    CHECK(as<DestMsg>((*v4)[0]).dest.forward == ForwardMethod::direct_route);
    auto v6 = parse_messages(nlmsg(k_family, k_multi, 1, genl(5, nla(2, old))), k_family, Family::v6);
    REQUIRE(v6.ok());
    CHECK(as<DestMsg>((*v6)[0]).dest.key.address.is_v6());
  }
  SECTION("a 4-byte IPv4 address (moby's encoding) is accepted") {
    const Bytes short_addr = cat({nla(1, Bytes{10, 0, 0, 9}), nla(2, be16(80)), nla(11, le16(2))});
    auto r = parse_messages(nlmsg(k_family, k_multi, 1, genl(5, nla(2, short_addr))), k_family);
    REQUIRE(r.ok());
    CHECK(as<DestMsg>((*r)[0]).dest.key.address == ip("10.0.0.9"));
  }
}

TEST_CASE("ACKs, errors, extended ACK text, DONE", "[reply]") {
  SECTION("ack and errno") {
    const auto parsed = parse_messages(cat({ack(5, 0), ack(6, -3)}), k_family);
    REQUIRE(parsed.ok());
    CHECK(as<AckMsg>((*parsed)[0]).error == 0);
    CHECK(as<AckMsg>((*parsed)[1]).error == 3);  // ESRCH
    CHECK(as<AckMsg>((*parsed)[1]).seq == 6);
  }
  SECTION("extended ACK message after a capped request header") {
    const Bytes err = nlmsg(2, 0x0100 | 0x0200, 8,
                            cat({le32(static_cast<std::uint32_t>(-22)), le32(16), le16(k_family), le16(5), le32(8),
                                 le32(0), nla(1, str("Attribute failed policy validation"))}));
    const auto parsed = parse_messages(err, k_family);
    REQUIRE(parsed.ok());
    CHECK(as<AckMsg>((*parsed)[0]).error == 22);
    CHECK(as<AckMsg>((*parsed)[0]).message == "Attribute failed policy validation");
  }
  SECTION("DONE, with and without an error") {
    const auto parsed = parse_messages(cat({done(42), done(43, -16)}), k_family);
    REQUIRE(parsed.ok());
    CHECK(as<DoneMsg>((*parsed)[0]).error == 0);
    CHECK(as<DoneMsg>((*parsed)[1]).error == 16);
  }
  SECTION("nonsense error values become EPROTO") {
    const auto parsed = parse_messages(ack(1, 5), k_family);
    REQUIRE(parsed.ok());
    CHECK(as<AckMsg>((*parsed)[0]).error == EPROTO);
  }
}

TEST_CASE("info, timeouts, daemons, family lookup, other messages", "[reply]") {
  const Bytes buffer = cat({
      nlmsg(k_family, 0, 1, genl(14, cat({nla(1, le32(0x010201)), nla(2, le32(4096))}))),
      nlmsg(k_family, 0, 2, genl(12, cat({nla(4, le32(900)), nla(5, le32(120)), nla(6, le32(300))}))),
      nlmsg(k_family, k_multi, 3,
            genl(9, nla(3, cat({nla(1, le32(1)), nla(2, str("eth1")), nla(3, le32(9)), nla(4, le16(1472)),
                                nla(7, le16(8848)), nla(8, Bytes{1}), nla(5, Bytes{224, 0, 0, 81})})))),
      nlmsg(0x10, 0, 4, genl(1, cat({nla(2, str("IPVS")), nla(1, le16(0x1c))}), 2)),
      nlmsg(0x33, 0, 5, genl(1, {})),  // another family
      nlmsg(1, 0, 6, {}),              // NOOP
  });
  const auto parsed = parse_messages(buffer, k_family);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 6);
  CHECK(as<InfoMsg>((*parsed)[0]).version == 0x010201);
  CHECK(as<InfoMsg>((*parsed)[0]).conn_table_size == 4096);
  CHECK(as<TimeoutsMsg>((*parsed)[1]).timeouts == Timeouts{900, 120, 300});
  const SyncDaemon& d = as<DaemonMsg>((*parsed)[2]).daemon;
  CHECK(d.state == SyncState::master);
  CHECK(d.interface == "eth1");
  CHECK(d.sync_id == 9);
  CHECK(d.max_len == 1472);
  CHECK(d.port == 8848);
  CHECK(d.ttl == 1);
  CHECK(d.group == ip("224.0.0.81"));
  CHECK(as<FamilyMsg>((*parsed)[3]).id == 0x1c);
  CHECK(as<FamilyMsg>((*parsed)[3]).name == "IPVS");
  CHECK(as<OtherMsg>((*parsed)[4]).type == 0x33);
  CHECK(as<OtherMsg>((*parsed)[5]).type == 1);
  CHECK(seq_of((*parsed)[5]) == 6);
}

TEST_CASE("malformed services and dests are errors that say why", "[reply]") {
  auto parse_service = [](const Bytes& nest) {
    return parse_messages(nlmsg(k_family, k_multi, 1, genl(1, nla(1, nest))), k_family);
  };
  SECTION("no AF") {
    const auto r = parse_service(cat({nla(2, le16(6))}));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("IPVS_SVC_ATTR_AF"));
  }
  SECTION("unknown AF") {
    const auto r = parse_service(cat({nla(1, le16(99)), nla(5, le32(1))}));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("address family 99"));
  }
  SECTION("IPv6 service with a 4-byte address") {
    const auto r =
        parse_service(cat({nla(1, le16(10)), nla(2, le16(6)), nla(3, Bytes{1, 2, 3, 4}), nla(4, be16(80))}));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("need 16"));
  }
  SECTION("neither fwmark nor address") {
    const auto r = parse_service(cat({nla(1, le16(2)), nla(6, str("rr"))}));
    REQUIRE_FALSE(r.ok());
  }
  SECTION("an unknown protocol is kept, not rejected (the genl path does not validate it)") {
    const auto r = parse_service(cat({nla(1, le16(2)), nla(2, le16(47)), nla(3, addr16(ip("10.1.1.1"))),
                                      nla(4, be16(0)), nla(6, str("rr"))}));
    REQUIRE(r.ok());
    CHECK(as<ServiceMsg>((*r)[0]).service.key.to_string() == "proto 47 10.1.1.1:0");
  }
  SECTION("service message without the service nest") {
    const auto r = parse_messages(nlmsg(k_family, k_multi, 1, genl(1, {})), k_family);
    REQUIRE_FALSE(r.ok());
  }
  SECTION("dest with an unknown forwarding method or tunnel type") {
    const Bytes bad_fwd = cat({nla(1, addr16(ip("10.0.0.2"))), nla(2, be16(80)), nla(3, le32(5))});
    CHECK_FALSE(parse_messages(nlmsg(k_family, k_multi, 1, genl(5, nla(2, bad_fwd))), k_family).ok());
    const Bytes bad_tun = cat({nla(1, addr16(ip("10.0.0.2"))), nla(2, be16(80)), nla(13, {9})});
    CHECK_FALSE(parse_messages(nlmsg(k_family, k_multi, 1, genl(5, nla(2, bad_tun))), k_family).ok());
  }
}

TEST_CASE("framing errors: short headers, bad lengths, bad attributes", "[reply]") {
  SECTION("empty buffer: no messages") {
    const auto r = parse_messages({}, k_family);
    REQUIRE(r.ok());
    CHECK(r->empty());
  }
  SECTION("fewer than 16 bytes") {
    const Bytes b(10, 0);
    const auto r = parse_messages(b, k_family);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("truncated"));
  }
  SECTION("nlmsg_len below the header size") {
    Bytes b = ack(1, 0);
    b[0] = 8;
    CHECK_FALSE(parse_messages(b, k_family).ok());
  }
  SECTION("nlmsg_len beyond the buffer") {
    Bytes b = ack(1, 0);
    b[0] = 200;
    const auto r = parse_messages(b, k_family);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("invalid"));
  }
  SECTION("NLMSG_ERROR without room for the errno") {
    CHECK_FALSE(parse_messages(nlmsg(2, 0, 1, Bytes{0, 0}), k_family).ok());
  }
  SECTION("genl header cut short") {
    CHECK_FALSE(parse_messages(nlmsg(k_family, 0, 1, Bytes{1, 1}), k_family).ok());
  }
  SECTION("attribute length 2 (below its own header)") {
    CHECK_FALSE(parse_messages(nlmsg(k_family, 0, 1, genl(1, Bytes{2, 0, 1, 0})), k_family).ok());
  }
  SECTION("nested attribute longer than its parent") {
    Bytes nest = nla(1, service_nest_v4());
    nest[0] = static_cast<std::uint8_t>(nest[0] + 8);  // claims 8 bytes more than the message has
    CHECK_FALSE(parse_messages(nlmsg(k_family, 0, 1, genl(1, nest)), k_family).ok());
  }
  SECTION("NLMSG_OVERRUN is reported as lost replies") {
    const auto r = parse_messages(nlmsg(4, 0, 1, {}), k_family);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ENOBUFS);
  }
}

TEST_CASE("every truncation of a valid buffer parses or fails cleanly", "[reply]") {
  const Bytes full = cat({service_dump_part(), nlmsg(k_family, k_multi, 42, genl(5, nla(2, dest_nest_gue_v6()))),
                          done(42), ack(43, -2)});
  REQUIRE(parse_messages(full, k_family).ok());
  std::size_t ok = 0;
  std::size_t failed = 0;
  for (std::size_t n = 0; n < full.size(); ++n) {
    // A copy of exactly n bytes, so a read past the end is a heap overflow ASan reports.
    const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    const auto r = parse_messages(prefix, k_family);
    (r.ok() ? ok : failed) += 1;
  }
  CHECK(failed > 0);
  CHECK(ok > 0);  // prefixes ending on a message boundary
}

TEST_CASE("random and mutated buffers never crash the parser", "[reply][fuzz]") {
  std::mt19937 rng(12345);
  const Bytes seed = cat({service_dump_part(), nlmsg(k_family, k_multi, 42, genl(5, nla(2, dest_nest_gue_v6()))),
                          done(42), ack(43, -2)});
  std::size_t parsed_ok = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes b;
    if (round % 2 == 0) {
      b.resize(rng() % 256);
      for (auto& x : b) x = static_cast<std::uint8_t>(rng());
      if (b.size() >= 16) {  // plausible header so the inner parsers are reached
        const auto len = static_cast<std::uint32_t>(b.size() - (rng() % 4));
        std::copy_n(le32(len).begin(), 4, b.begin());
        std::copy_n(le16(k_family).begin(), 2, b.begin() + 4);
      }
    } else {
      b = seed;
      const unsigned flips = 1 + rng() % 8;
      for (unsigned i = 0; i < flips; ++i) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
      b.resize(b.size() - rng() % 8);
    }
    const auto r = parse_messages(b, k_family);
    if (r.ok()) ++parsed_ok;
  }
  CHECK(parsed_ok > 0);
}
