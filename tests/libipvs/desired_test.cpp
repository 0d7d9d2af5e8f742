// Desired state from the config and health, with keepalived's rules: inhibit_on_failure, quorum
// with hysteresis (a sequence), sorry_server (+ inhibit), groups, alpha, dynamic weights, drain.
#include <catch2/catch.hpp>

#include "libipvs/desired.hpp"
#include "test_support.hpp"

using namespace ipvs;
using namespace ipvs::test;

namespace {

conf::Config config_with(std::initializer_list<conf::VirtualServer> servers) {
  conf::Config c;
  for (const auto& vs : servers) c.virtual_servers.push_back(std::make_shared<const conf::VirtualServer>(vs));
  return c;
}

RealServerId rs_id(const conf::VirtualServer& vs, const char* address, std::uint16_t port) {
  return RealServerId{vs.key(), ip(address), port};
}

const ServiceEntry& only_service(const DesiredState& d) {
  REQUIRE(d.table.services.size() == 1);
  return d.table.services.begin()->second;
}

std::map<std::string, std::uint32_t> weights(const ServiceEntry& e) {
  std::map<std::string, std::uint32_t> out;
  for (const auto& [key, d] : e.dests) out[key.to_string()] = d.weight;
  return out;
}

using Weights = std::map<std::string, std::uint32_t>;

RealServerHealth state(bool up) {
  RealServerHealth h;
  h.up = up;
  return h;
}
RealServerHealth up() { return state(true); }
RealServerHealth down() { return state(false); }

}  // namespace

TEST_CASE("a virtual server becomes one service with keepalived's encoding defaults", "[desired]") {
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.2", 80, 3), real_server("10.0.0.3", 8080)});
  vs.scheduler = "wlc";
  vs.persistence_timeout = 600;
  vs.persistence_granularity = ip("255.255.255.0");
  vs.flag1 = true;
  vs.one_packet = true;
  vs.persistence_engine = "sip";
  vs.real_servers[1].method.method = conf::ForwardMethod::tun;
  vs.real_servers[1].method.tunnel_type = conf::TunnelType::gue;
  vs.real_servers[1].method.tunnel_port = 6080;
  vs.real_servers[1].method.tunnel_checksum = conf::TunnelChecksum::remcsum;
  vs.real_servers[1].upper_threshold = 100;
  vs.real_servers[1].lower_threshold = 50;
  QuorumTracker q;
  const auto d = build_desired(config_with({vs}), HealthView{}, q);
  const auto& e = only_service(d);
  const Service& s = e.service;
  CHECK(s.key == tcp("10.0.0.10", 80));
  CHECK(s.scheduler == "wlc");
  CHECK(s.flags.persistent);
  CHECK(s.flags.sched1);
  CHECK(s.flags.one_packet);
  CHECK(s.timeout == 600);
  CHECK(s.netmask == 0xffffff00);
  CHECK(s.pe_name == "sip");
  REQUIRE(e.dests.size() == 2);
  const Dest& tun = e.dests.at(DestKey{ip("10.0.0.3"), 8080});
  CHECK(tun.forward == ForwardMethod::tunnel);
  CHECK(tun.tunnel_type == TunnelType::gue);
  CHECK(tun.tunnel_port == 6080);
  CHECK(tun.tunnel_checksum == TunnelChecksum::remcsum);
  CHECK(tun.upper_threshold == 100);
  CHECK(tun.lower_threshold == 50);
  CHECK(e.dests.at(DestKey{ip("10.0.0.2"), 80}).weight == 3);
  CHECK(d.events.empty());
}

TEST_CASE("fwmark and IPv6 services use their family's netmask default", "[desired]") {
  conf::VirtualServer fw;
  fw.fwmark = 5;
  fw.family = Family::v6;
  fw.real_servers = {real_server("2001:db8::2", 0)};
  auto v6 = virtual_server("2001:db8::10", 443, {real_server("2001:db8::3", 443)});
  v6.persistence_granularity_v6 = 64;
  QuorumTracker q;
  const auto d = build_desired(config_with({fw, v6}), HealthView{}, q);
  REQUIRE(d.table.services.size() == 2);
  CHECK(d.table.find(ServiceKey::firewall_mark(5, Family::v6))->service.netmask == 128);
  CHECK(d.table.find(ServiceKey(Protocol::tcp, ip("2001:db8::10"), 443))->service.netmask == 64);
}

TEST_CASE("down real servers: absent, or weight 0 with inhibit_on_failure", "[desired]") {
  auto vs = virtual_server("10.0.0.10", 80,
                           {real_server("10.0.0.2", 80, 2), real_server("10.0.0.3", 80, 2), real_server("10.0.0.4", 80, 2)});
  vs.real_servers[2].inhibit_on_failure = true;
  HealthView h;
  h.set(rs_id(vs, "10.0.0.3", 80), down());
  h.set(rs_id(vs, "10.0.0.4", 80), down());
  QuorumTracker q;
  const auto d = build_desired(config_with({vs}), h, q);
  CHECK(weights(only_service(d)) == Weights{{"10.0.0.2:80", 2}, {"10.0.0.4:80", 0}});
}

TEST_CASE("dynamic weight (misc_dynamic) and operator drain", "[desired]") {
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.2", 80, 2), real_server("10.0.0.3", 80, 2)});
  HealthView h;
  h.set(rs_id(vs, "10.0.0.2", 80), {true, 17, false});
  h.set(rs_id(vs, "10.0.0.3", 80), {true, std::nullopt, true});
  QuorumTracker q;
  const auto d = build_desired(config_with({vs}), h, q);
  CHECK(weights(only_service(d)) == Weights{{"10.0.0.2:80", 17}, {"10.0.0.3:80", 0}});
}

TEST_CASE("alpha: real servers the checkers have not reported yet start down", "[desired]") {
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.2", 80), real_server("10.0.0.3", 80)});
  vs.alpha = true;
  conf::RealServer unchecked = real_server("10.0.0.4", 80);
  unchecked.checkers.clear();  // no checker: always alive, even with alpha
  vs.real_servers.push_back(unchecked);
  QuorumTracker q;
  HealthView h;
  SECTION("nothing reported: only the unchecked one") {
    const auto d = build_desired(config_with({vs}), h, q);
    CHECK(weights(only_service(d)) == Weights{{"10.0.0.4:80", 1}});
  }
  SECTION("a checker reports up") {
    h.set(rs_id(vs, "10.0.0.3", 80), up());
    const auto d = build_desired(config_with({vs}), h, q);
    CHECK(weights(only_service(d)) == Weights{{"10.0.0.3:80", 1}, {"10.0.0.4:80", 1}});
  }
  SECTION("without alpha they start up") {
    vs.alpha = false;
    const auto d = build_desired(config_with({vs}), h, q);
    CHECK(only_service(d).dests.size() == 3);
  }
  SECTION("alpha on one checker only") {
    vs.alpha = false;
    vs.real_servers[0].checkers[0].alpha = true;
    const auto d = build_desired(config_with({vs}), h, q);
    CHECK(weights(only_service(d)) == Weights{{"10.0.0.3:80", 1}, {"10.0.0.4:80", 1}});
  }
}

TEST_CASE("quorum with hysteresis: keepalived's rule across a sequence of evaluations", "[desired][quorum]") {
  // Four real servers of weight 1; quorum 3, hysteresis 1: gain at >= 4, lose below 2.
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.1", 80), real_server("10.0.0.2", 80),
                                             real_server("10.0.0.3", 80), real_server("10.0.0.4", 80)});
  vs.quorum = 3;
  vs.hysteresis = 1;
  const auto config = config_with({vs});
  QuorumTracker q;
  auto evaluate = [&](int up_count) {
    HealthView h;
    for (int i = 1; i <= 4; ++i) {
      const std::string addr = "10.0.0." + std::to_string(i);
      h.set(RealServerId{vs.key(), ip(addr.c_str()), 80}, state(i <= up_count));
    }
    return build_desired(config, h, q).events;
  };

  auto first = evaluate(4);  // starts up, stays up
  CHECK(first.empty());
  CHECK(evaluate(3).empty());  // 3 >= 2: still up
  CHECK(evaluate(2).empty());  // 2 is not below quorum - hysteresis
  auto lost = evaluate(1);     // 1 < 2: lost
  REQUIRE(lost.size() == 1);
  CHECK(lost[0] == QuorumEvent{vs.key(), false, false, 1, 3, 1});
  CHECK_FALSE(q.is_up(vs.key()));
  CHECK(evaluate(2).empty());  // not yet quorum + hysteresis
  CHECK(evaluate(3).empty());
  auto gained = evaluate(4);   // 4 >= 4: gained
  REQUIRE(gained.size() == 1);
  CHECK(gained[0].up);
  CHECK(gained[0].weight_sum == 4);
  CHECK(evaluate(2).empty());
  auto lost_again = evaluate(0);
  REQUIRE(lost_again.size() == 1);
  CHECK_FALSE(lost_again[0].up);
}

TEST_CASE("quorum: the first evaluation reports a loss at startup, flagged initial", "[desired][quorum]") {
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.1", 80)});
  vs.alpha = true;  // nothing up yet
  QuorumTracker q;
  const auto d = build_desired(config_with({vs}), HealthView{}, q);
  REQUIRE(d.events.size() == 1);
  CHECK_FALSE(d.events[0].up);
  CHECK(d.events[0].initial);
  CHECK(d.events[0].weight_sum == 0);
}

TEST_CASE("quorum: a live real server of weight 0 counts nothing; sum 0 always loses", "[desired][quorum]") {
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.1", 80, 0)});
  vs.quorum = 0;
  QuorumTracker q;
  const auto d = build_desired(config_with({vs}), HealthView{}, q);
  REQUIRE(d.events.size() == 1);
  CHECK_FALSE(d.events[0].up);
}

TEST_CASE("sorry server", "[desired][sorry]") {
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.2", 80), real_server("10.0.0.3", 80)});
  vs.sorry_server = conf::SorryServer{ip("10.9.9.9"), 80, std::nullopt, {}};
  vs.real_servers[1].inhibit_on_failure = true;
  const auto config = config_with({vs});
  QuorumTracker q;
  HealthView all_down;
  all_down.set(rs_id(vs, "10.0.0.2", 80), down());
  all_down.set(rs_id(vs, "10.0.0.3", 80), down());

  SECTION("quorum held: no sorry server") {
    CHECK(weights(only_service(build_desired(config, HealthView{}, q))) ==
          Weights{{"10.0.0.2:80", 1}, {"10.0.0.3:80", 1}});
  }
  SECTION("nobody up: the sorry server serves (inhibited real servers stay at 0)") {
    const auto d = build_desired(config, all_down, q);
    CHECK(weights(only_service(d)) == Weights{{"10.0.0.3:80", 0}, {"10.9.9.9:80", 1}});
    REQUIRE(d.events.size() == 1);
    CHECK_FALSE(d.events[0].up);
    SECTION("back up: real servers return and the sorry server goes") {
      const auto back = build_desired(config, HealthView{}, q);
      CHECK(weights(only_service(back)) == Weights{{"10.0.0.2:80", 1}, {"10.0.0.3:80", 1}});
      REQUIRE(back.events.size() == 1);
      CHECK(back.events[0].up);
    }
  }
  SECTION("quorum lost while some are live: live ones leave the pool, the sorry server is alone") {
    auto strict = vs;
    strict.quorum = 2;
    HealthView one_down;
    one_down.set(rs_id(strict, "10.0.0.2", 80), down());
    const auto d = build_desired(config_with({strict}), one_down, q);
    CHECK(weights(only_service(d)) == Weights{{"10.0.0.3:80", 0}, {"10.9.9.9:80", 1}});
  }
  SECTION("sorry_server_inhibit: kept at weight 0 while unused") {
    auto inhibit = vs;
    inhibit.sorry_server_inhibit = true;
    inhibit.sorry_server->method = conf::LvsMethod{conf::ForwardMethod::dr, {}, {}, {}};
    const auto d = build_desired(config_with({inhibit}), HealthView{}, q);
    CHECK(weights(only_service(d)) == Weights{{"10.0.0.2:80", 1}, {"10.0.0.3:80", 1}, {"10.9.9.9:80", 0}});
    CHECK(only_service(d).dests.at(DestKey{ip("10.9.9.9"), 80}).forward == ForwardMethod::direct_route);
  }
  SECTION("without a sorry server, losing quorum leaves the table alone") {
    auto plain = vs;
    plain.sorry_server.reset();
    plain.quorum = 5;
    const auto d = build_desired(config_with({plain}), HealthView{}, q);
    REQUIRE(d.events.size() == 1);
    CHECK(weights(only_service(d)) == Weights{{"10.0.0.2:80", 1}, {"10.0.0.3:80", 1}});
  }
}

TEST_CASE("virtual_server_group: one service per address and fwmark, same dests", "[desired][group]") {
  conf::VirtualServerGroup g;
  g.name = "G";
  g.entries.push_back({ip("10.0.0.10"), ip("10.0.0.12"), 80, std::nullopt, std::nullopt, {}});
  g.entries.push_back({ip("10.0.0.255"), ip("10.0.1.0"), 443, std::nullopt, std::nullopt, {}});  // carries over
  g.entries.push_back({ip("2001:db8::ffff"), ip("2001:db8::1:0"), 80, std::nullopt, std::nullopt, {}});
  g.entries.push_back({std::nullopt, std::nullopt, 0, 9, std::nullopt, {}});
  g.entries.push_back({std::nullopt, std::nullopt, 0, 9, Family::v6, {}});
  conf::VirtualServer vs;
  vs.group = "G";
  vs.scheduler = "rr";
  vs.real_servers = {real_server("10.0.1.2", 80), real_server("10.0.1.3", 80)};
  conf::Config c = config_with({vs});
  c.virtual_server_groups = {g};
  QuorumTracker q;
  const auto d = build_desired(c, HealthView{}, q);
  CHECK(d.warnings.empty());
  std::vector<std::string> keys;
  for (const auto& [key, e] : d.table.services) {
    keys.push_back(key.to_string());
    CHECK(weights(e) == Weights{{"10.0.1.2:80", 1}, {"10.0.1.3:80", 1}});
  }
  CHECK(keys == std::vector<std::string>{"TCP 10.0.0.10:80", "TCP 10.0.0.11:80", "TCP 10.0.0.12:80",
                                         "TCP 10.0.0.255:443", "TCP 10.0.1.0:443", "TCP [2001:db8::ffff]:80",
                                         "TCP [2001:db8::1:0]:80", "FWM 9", "FWM 9 IPv6"});

  SECTION("health is per real server of the group, one quorum for all") {
    HealthView h;
    h.set(RealServerId{vs.key(), ip("10.0.1.2"), 80}, down());
    const auto down = build_desired(c, h, q);
    for (const auto& [key, e] : down.table.services) CHECK(e.dests.size() == 1);
  }
  SECTION("an undefined group is a warning, not a crash") {
    conf::Config broken = c;
    auto renamed = *broken.virtual_servers[0];
    renamed.group = "nope";
    broken.virtual_servers[0] = std::make_shared<const conf::VirtualServer>(std::move(renamed));
    const auto w = build_desired(broken, HealthView{}, q);
    CHECK(w.table.empty());
    REQUIRE(w.warnings.size() == 1);
    CHECK_THAT(w.warnings[0], Catch::Contains("nope"));
  }
}

TEST_CASE("configured_table ignores health; conversions of global settings", "[desired]") {
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.2", 80, 4)});
  vs.alpha = true;
  vs.sorry_server = conf::SorryServer{ip("10.9.9.9"), 80, std::nullopt, {}};
  const Table t = configured_table(config_with({vs}));
  REQUIRE(t.services.size() == 1);
  CHECK(weights(t.services.begin()->second) == Weights{{"10.0.0.2:80", 4}});

  conf::LvsSyncDaemon sd;
  sd.interface = "eth0";
  sd.sync_id = 3;
  sd.ttl = 4;
  const SyncDaemon d = sync_daemon_from(sd, SyncState::backup);
  CHECK(d.state == SyncState::backup);
  CHECK(d.interface == "eth0");
  CHECK(d.sync_id == 3);
  CHECK(d.ttl == 4);
  CHECK_FALSE(d.port.has_value());
  CHECK(timeouts_from(conf::LvsTimeouts{10, std::nullopt, 30}) == Timeouts{10, std::nullopt, 30});
}

TEST_CASE("removed_by_reload: the dests and services the new configuration no longer has", "[desired]") {
  const auto web = virtual_server("10.0.0.10", 80, {real_server("10.0.0.2", 80, 1), real_server("10.0.0.3", 80, 1)});
  const auto gone = virtual_server("10.0.0.11", 80, {real_server("10.0.0.4", 80, 1)});
  const auto before = config_with({web, gone});
  const auto after = config_with({virtual_server("10.0.0.10", 80, {real_server("10.0.0.2", 80, 7)})});
  const auto removed = removed_by_reload(before, configured_table(after));
  std::vector<std::string> names;
  for (const auto& r : removed) names.push_back(r.service.to_string() + " " + r.dest.to_string());
  // A weight change is not a removal; a whole virtual server leaving removes each of its dests.
  CHECK(names == std::vector<std::string>{"TCP 10.0.0.10:80 10.0.0.3:80", "TCP 10.0.0.11:80 10.0.0.4:80"});
  CHECK(removed_by_reload(after, configured_table(after)).empty());
}

TEST_CASE("health view lookups", "[desired]") {
  HealthView h;
  h.set(RealServerId{"a:80/tcp", ip("10.0.0.1"), 80}, RealServerHealth{false, std::nullopt, false});
  h.set(RealServerId{"a:80/tcp", ip("10.0.0.1"), 80}, RealServerHealth{true, 5, false});  // replaces
  h.set(RealServerId{"b:80/tcp", ip("10.0.0.1"), 80}, RealServerHealth{true, std::nullopt, true});
  CHECK(h.size() == 2);
  REQUIRE(h.find(RealServerId{"a:80/tcp", ip("10.0.0.1"), 80}) != nullptr);
  CHECK(h.find(RealServerId{"a:80/tcp", ip("10.0.0.1"), 80})->dynamic_weight == 5);
  CHECK(h.find(RealServerId{"a:80/tcp", ip("10.0.0.1"), 81}) == nullptr);
  CHECK(h.find(RealServerId{"c:80/tcp", ip("10.0.0.1"), 80}) == nullptr);
  REQUIRE(h.find_virtual_server("b:80/tcp") != nullptr);
  CHECK(h.find_virtual_server("b:80/tcp")->size() == 1);
}

TEST_CASE("quorum state of virtual servers removed from the config is dropped", "[desired][quorum]") {
  auto vs = virtual_server("10.0.0.10", 80, {real_server("10.0.0.1", 80)});
  vs.alpha = true;
  QuorumTracker q;
  (void)build_desired(config_with({vs}), HealthView{}, q);
  CHECK_FALSE(q.is_up(vs.key()));
  (void)build_desired(conf::Config{}, HealthView{}, q);
  CHECK(q.is_up(vs.key()));  // forgotten: a re-added one starts fresh
}
