// Request bytes, checked against linux/ip_vs.h by hand: attribute numbers are written as
// literals here (IPVS_SVC_ATTR_AF = 1, ..._NETMASK = 9; IPVS_DEST_ATTR_ADDR = 1, ..._TUN_FLAGS
// = 15), so a wrong constant in the encoder cannot hide behind the same constant in the test.
#include <catch2/catch.hpp>

#include "libipvs/request.hpp"
#include "test_support.hpp"

using namespace ipvs;
using namespace ipvs::test;

namespace {

constexpr std::uint16_t k_family = 0x1c;  // an arbitrary resolved genl id
constexpr std::uint16_t k_ack = 0x0005;    // NLM_F_REQUEST | NLM_F_ACK
constexpr std::uint16_t k_dump = 0x0301;   // NLM_F_REQUEST | NLM_F_DUMP

Bytes v4_service_identity() {
  return cat({nla(1, le16(2)), nla(2, le16(6)), nla(3, addr16(ip("10.0.0.10"))), nla(4, be16(80))});
}

}  // namespace

TEST_CASE("add_service: exact bytes for TCP 10.0.0.10:80 rr, keepalived defaults", "[request]") {
  const Bytes expected = {
      0x68, 0x00, 0x00, 0x00,  // nlmsg_len 104
      0x1c, 0x00,              // nlmsg_type: the IPVS family id
      0x05, 0x00,              // NLM_F_REQUEST | NLM_F_ACK
      0x07, 0x00, 0x00, 0x00,  // seq 7
      0x00, 0x00, 0x00, 0x00,  // pid 0
      0x01, 0x01, 0x00, 0x00,  // genl: IPVS_CMD_NEW_SERVICE, version 1
      0x54, 0x00, 0x01, 0x00,  // IPVS_CMD_ATTR_SERVICE nest, 84 bytes
      0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,  // AF = AF_INET
      0x06, 0x00, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00,  // PROTOCOL = 6
      0x14, 0x00, 0x03, 0x00, 0x0a, 0x00, 0x00, 0x0a,  // ADDR: 16-byte union
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x06, 0x00, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00,  // PORT = 80, big-endian
      0x07, 0x00, 0x06, 0x00, 'r', 'r', 0x00, 0x00,    // SCHED_NAME "rr\0"
      0x0c, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,  // FLAGS {0, ~0}
      0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,  // TIMEOUT 0
      0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff,  // NETMASK 0xffffffff
  };
  const auto bytes = Request::add_service(Service::make(tcp("10.0.0.10", 80), "rr")).encode(k_family, 7);
  CHECK(bytes == expected);
}

TEST_CASE("add_service: persistence, granularity, flags and PE", "[request]") {
  Service s = Service::make(tcp("10.0.0.10", 443), "sh");
  s.flags.persistent = true;
  s.flags.sched1 = true;
  s.flags.sched2 = true;
  s.timeout = 300;
  s.netmask = 0xffffff00;  // /24, host order in the model
  s.pe_name = "sip";
  const Bytes nest = cat({nla(1, le16(2)), nla(2, le16(6)), nla(3, addr16(ip("10.0.0.10"))), nla(4, be16(443)),
                          nla(6, str("sh")), nla(11, str("sip")),
                          nla(7, cat({le32(0x1 | 0x8 | 0x10), le32(0xffffffff)})), nla(8, le32(300)),
                          nla(9, Bytes{0xff, 0xff, 0xff, 0x00})});  // be32 on the wire
  CHECK(Request::add_service(s).encode(k_family, 1) == nlmsg(k_family, k_ack, 1, genl(1, nla(1, nest))));
}

TEST_CASE("set_service: same body as add, command SET_SERVICE", "[request]") {
  const Service s = Service::make(tcp("10.0.0.10", 80), "wlc");
  auto add = Request::add_service(s).encode(k_family, 3);
  const auto set = Request::set_service(s).encode(k_family, 3);
  add[16] = 2;  // IPVS_CMD_SET_SERVICE
  CHECK(set == add);
}

TEST_CASE("IPv6 and fwmark services", "[request]") {
  SECTION("IPv6: AF_INET6, full address, netmask is the prefix length 128 in host order") {
    const auto key = ServiceKey(Protocol::udp, ip("2001:db8::10"), 53);
    const Bytes nest = cat({nla(1, le16(10)), nla(2, le16(17)), nla(3, addr16(ip("2001:db8::10"))), nla(4, be16(53)),
                            nla(6, str("rr")), nla(7, cat({le32(0), le32(0xffffffff)})), nla(8, le32(0)),
                            nla(9, le32(128))});
    CHECK(Request::add_service(Service::make(key, "rr")).encode(k_family, 9) ==
          nlmsg(k_family, k_ack, 9, genl(1, nla(1, nest))));
  }
  SECTION("fwmark: AF and FWMARK only, no protocol/address/port") {
    const auto key = ServiceKey::firewall_mark(42, Family::v4);
    const Bytes nest = cat({nla(1, le16(2)), nla(5, le32(42)), nla(6, str("wlc")),
                            nla(7, cat({le32(0), le32(0xffffffff)})), nla(8, le32(0)), nla(9, le32(0xffffffff))});
    CHECK(Request::add_service(Service::make(key, "wlc")).encode(k_family, 2) ==
          nlmsg(k_family, k_ack, 2, genl(1, nla(1, nest))));
    CHECK(Request::del_service(key).encode(k_family, 3) ==
          nlmsg(k_family, k_ack, 3, genl(3, nla(1, cat({nla(1, le16(2)), nla(5, le32(42))})))));
  }
}

TEST_CASE("del_service carries the identifying attributes only", "[request]") {
  CHECK(Request::del_service(tcp("10.0.0.10", 80)).encode(k_family, 4) ==
        nlmsg(k_family, k_ack, 4, genl(3, nla(1, v4_service_identity()))));
}

TEST_CASE("del_dest: exact bytes", "[request]") {
  const Bytes expected = {
      0x6c, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x07, 0x01, 0x00, 0x00,  // IPVS_CMD_DEL_DEST
      0x30, 0x00, 0x01, 0x00,  // service nest, 48 bytes
      0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x03, 0x00, 0x0a, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00,
      0x28, 0x00, 0x02, 0x00,  // IPVS_CMD_ATTR_DEST nest, 40 bytes
      0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00,  // ADDR_FAMILY (11) = AF_INET
      0x14, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00,                          // ADDR (1) 10.0.0.2
      0x06, 0x00, 0x02, 0x00, 0x1f, 0x90, 0x00, 0x00,  // PORT (2) 8080 big-endian
  };
  CHECK(Request::del_dest(tcp("10.0.0.10", 80), DestKey{ip("10.0.0.2"), 8080}).encode(k_family, 5) == expected);
}

TEST_CASE("add_dest / set_dest: NAT, DR, and tunnel attributes only for TUN", "[request]") {
  const auto key = tcp("10.0.0.10", 80);
  auto dest_nest = [](const Dest& d, const Bytes& tunnel) {
    return nla(2, cat({nla(11, le16(d.key.address.is_v4() ? 2 : 10)), nla(1, addr16(d.key.address)),
                       nla(2, be16(d.key.port)), nla(3, le32(static_cast<std::uint32_t>(d.forward))),
                       nla(4, le32(d.weight)), tunnel, nla(5, le32(d.upper_threshold)),
                       nla(6, le32(d.lower_threshold))}));
  };
  SECTION("NAT with thresholds") {
    Dest d = dest("10.0.0.2", 80, 5);
    d.upper_threshold = 100;
    d.lower_threshold = 10;
    CHECK(Request::add_dest(key, d).encode(k_family, 6) ==
          nlmsg(k_family, k_ack, 6, genl(5, cat({nla(1, v4_service_identity()), dest_nest(d, {})}))));
    CHECK(Request::set_dest(key, d).encode(k_family, 6) ==
          nlmsg(k_family, k_ack, 6, genl(6, cat({nla(1, v4_service_identity()), dest_nest(d, {})}))));
  }
  SECTION("DR: forwarding method 3, tunnel fields ignored") {
    Dest d = dest("10.0.0.3", 80, 1, ForwardMethod::direct_route);
    d.tunnel_type = TunnelType::gue;  // not sent: not a tunnel
    d.tunnel_port = 6080;
    CHECK(Request::add_dest(key, d).encode(k_family, 6) ==
          nlmsg(k_family, k_ack, 6, genl(5, cat({nla(1, v4_service_identity()), dest_nest(d, {})}))));
  }
  SECTION("TUN ipip: TUN_TYPE only") {
    Dest d = dest("10.0.0.4", 80, 1, ForwardMethod::tunnel);
    d.tunnel_checksum = TunnelChecksum::csum;  // not sent for ipip
    CHECK(Request::add_dest(key, d).encode(k_family, 6) ==
          nlmsg(k_family, k_ack, 6, genl(5, cat({nla(1, v4_service_identity()), dest_nest(d, nla(13, {0}))}))));
  }
  SECTION("TUN gue: TUN_TYPE, TUN_PORT big-endian, TUN_FLAGS") {
    Dest d = dest("10.0.0.5", 80, 1, ForwardMethod::tunnel);
    d.tunnel_type = TunnelType::gue;
    d.tunnel_port = 6080;
    d.tunnel_checksum = TunnelChecksum::remcsum;
    const Bytes tunnel = cat({nla(13, {1}), nla(14, be16(6080)), nla(15, le16(2))});
    CHECK(Request::add_dest(key, d).encode(k_family, 6) ==
          nlmsg(k_family, k_ack, 6, genl(5, cat({nla(1, v4_service_identity()), dest_nest(d, tunnel)}))));
  }
  SECTION("TUN gre: no port, flags") {
    Dest d = dest("10.0.0.6", 80, 1, ForwardMethod::tunnel);
    d.tunnel_type = TunnelType::gre;
    d.tunnel_port = 1;  // not sent for gre
    d.tunnel_checksum = TunnelChecksum::csum;
    const Bytes tunnel = cat({nla(13, {2}), nla(15, le16(1))});
    CHECK(Request::add_dest(key, d).encode(k_family, 6) ==
          nlmsg(k_family, k_ack, 6, genl(5, cat({nla(1, v4_service_identity()), dest_nest(d, tunnel)}))));
  }
  SECTION("mixed family: IPv6 dest of an IPv4 service says AF_INET6") {
    const Dest d = dest("2001:db8::7", 80, 1, ForwardMethod::tunnel);
    CHECK(Request::add_dest(key, d).encode(k_family, 6) ==
          nlmsg(k_family, k_ack, 6, genl(5, cat({nla(1, v4_service_identity()), dest_nest(d, nla(13, {0}))}))));
  }
}

TEST_CASE("sync daemon, timeouts, flush, info", "[request]") {
  SECTION("new_daemon with every optional attribute") {
    SyncDaemon d;
    d.state = SyncState::backup;
    d.interface = "eth0";
    d.sync_id = 5;
    d.max_len = 1472;
    d.group = ip("224.0.0.81");
    d.port = 8848;
    d.ttl = 2;
    const Bytes nest = cat({nla(1, le32(2)), nla(2, str("eth0")), nla(3, le32(5)), nla(4, le16(1472)),
                            nla(5, Bytes{224, 0, 0, 81}), nla(7, le16(8848)), nla(8, Bytes{2})});
    CHECK(Request::new_daemon(d).encode(k_family, 8) == nlmsg(k_family, k_ack, 8, genl(9, nla(3, nest))));
  }
  SECTION("new_daemon minimal, IPv6 group") {
    SyncDaemon d;
    d.interface = "bond0";
    d.sync_id = 0;
    d.group = ip("ff02::1:2");
    const Bytes nest = cat({nla(1, le32(1)), nla(2, str("bond0")), nla(3, le32(0)), nla(6, addr16(ip("ff02::1:2")))});
    CHECK(Request::new_daemon(d).encode(k_family, 8) == nlmsg(k_family, k_ack, 8, genl(9, nla(3, nest))));
  }
  SECTION("del_daemon sends the state") {
    CHECK(Request::del_daemon(SyncState::master).encode(k_family, 9) ==
          nlmsg(k_family, k_ack, 9, genl(10, nla(3, nla(1, le32(1))))));
  }
  SECTION("set_timeouts: only the given ones") {
    CHECK(Request::set_timeouts(Timeouts{900, std::nullopt, 300}).encode(k_family, 10) ==
          nlmsg(k_family, k_ack, 10, genl(12, cat({nla(4, le32(900)), nla(6, le32(300))}))));
  }
  SECTION("flush, zero, get_info, get_timeouts have no attributes") {
    CHECK(Request::flush().encode(k_family, 11) == nlmsg(k_family, k_ack, 11, genl(17, {})));
    CHECK(Request::zero().encode(k_family, 11) == nlmsg(k_family, k_ack, 11, genl(16, {})));
    CHECK(Request::get_info().encode(k_family, 12) == nlmsg(k_family, k_ack, 12, genl(15, {})));
    CHECK(Request::get_timeouts().encode(k_family, 12) == nlmsg(k_family, k_ack, 12, genl(13, {})));
  }
}

TEST_CASE("dumps and control requests", "[request]") {
  CHECK(Request::dump_services().encode(k_family, 20) == nlmsg(k_family, k_dump, 20, genl(4, {})));
  CHECK(Request::dump_services().is_dump());
  CHECK(Request::get_service(tcp("10.0.0.10", 80)).encode(k_family, 19) ==
        nlmsg(k_family, k_ack, 19, genl(4, nla(1, v4_service_identity()))));
  CHECK_FALSE(Request::get_service(tcp("10.0.0.10", 80)).is_dump());
  CHECK(Request::dump_dests(tcp("10.0.0.10", 80)).encode(k_family, 21) ==
        nlmsg(k_family, k_dump, 21, genl(8, nla(1, v4_service_identity()))));
  CHECK(Request::dump_daemons().encode(k_family, 22) == nlmsg(k_family, k_dump, 22, genl(11, {})));
  // nlctrl: type GENL_ID_CTRL (0x10), CTRL_CMD_GETFAMILY (3), CTRL_ATTR_FAMILY_NAME (2).
  CHECK(Request::get_family("IPVS").encode(k_family, 1) == nlmsg(0x10, k_ack, 1, genl(3, nla(2, str("IPVS")))));
  // NLMSG_NOOP (1) with ACK, no genl header.
  CHECK(Request::barrier().encode(k_family, 2) == nlmsg(1, k_ack, 2, {}));
}

TEST_CASE("from(Operation) picks the matching factory; batches concatenate", "[request]") {
  const auto key = tcp("10.0.0.10", 80);
  const Dest d = dest("10.0.0.2", 80, 3);
  CHECK(Request::from(AddDest{key, d}).encode(k_family, 1) == Request::add_dest(key, d).encode(k_family, 1));
  CHECK(Request::from(SetDest{key, d, d}).encode(k_family, 1) == Request::set_dest(key, d).encode(k_family, 1));
  CHECK(Request::from(DelDest{key, d.key}).encode(k_family, 1) == Request::del_dest(key, d.key).encode(k_family, 1));
  CHECK(Request::from(DelService{key}).encode(k_family, 1) == Request::del_service(key).encode(k_family, 1));

  std::vector<std::uint8_t> batch;
  Request::del_service(key).encode_into(batch, k_family, 1);
  Request::flush().encode_into(batch, k_family, 2);
  CHECK(batch == cat({Request::del_service(key).encode(k_family, 1), Request::flush().encode(k_family, 2)}));
  CHECK(Request::del_service(key).encoded_size() == Request::del_service(key).encode(k_family, 1).size());
}
