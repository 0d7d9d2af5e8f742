// diff(desired, actual, ownership): minimal, ordered plans; foreign services untouched.
#include <catch2/catch.hpp>

#include <chrono>

#include "libipvs/plan.hpp"
#include "test_support.hpp"

using namespace ipvs;
using namespace ipvs::test;

namespace {

Table one_service(const ServiceKey& key, std::initializer_list<Dest> dests, const char* sched = "rr") {
  Table t;
  auto& entry = t.put(Service::make(key, sched));
  for (const auto& d : dests) entry.dests.emplace(d.key, d);
  return t;
}

std::vector<std::string> lines(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& op : plan.operations) out.push_back(plan_line(op));
  return out;
}

Ownership owning(const Table& t) {
  Ownership o;
  o.claim(t);
  return o;
}

}  // namespace

TEST_CASE("no change: empty plan", "[plan]") {
  const Table t = one_service(tcp("10.0.0.10", 80), {dest("10.0.0.2", 80), dest("10.0.0.3", 80)});
  CHECK(diff(t, t, owning(t)).empty());
  CHECK(diff(t, t, owning(t)).to_string().empty());
}

TEST_CASE("counters and kernel-only fields do not cause changes", "[plan]") {
  const Table want = one_service(tcp("10.0.0.10", 80), {dest("10.0.0.2", 80)});
  Table have = want;
  auto& entry = have.services.begin()->second;
  entry.service.stats = ipvs::Stats{};
  entry.service.stats->conns = 99;
  entry.dests.begin()->second.active_conns = 12;
  entry.dests.begin()->second.stats = ipvs::Stats{};
  entry.dests.begin()->second.stats->in_bytes = 1 << 20;
  entry.dests.begin()->second.tunnel_port = 1234;  // not a tunnel: the kernel's leftovers do not count
  CHECK(diff(want, have, owning(want)).empty());
}

TEST_CASE("weight change: one set", "[plan]") {
  const auto key = tcp("10.0.0.10", 80);
  const Table want = one_service(key, {dest("10.0.0.2", 80, 0), dest("10.0.0.3", 80)});
  const Table have = one_service(key, {dest("10.0.0.2", 80, 1), dest("10.0.0.3", 80)});
  const Plan plan = diff(want, have, owning(want));
  REQUIRE(plan.size() == 1);
  CHECK(std::holds_alternative<SetDest>(plan.operations[0]));
  CHECK(plan.to_string() == "~ dest 10.0.0.2:80 in TCP 10.0.0.10:80 weight 1 -> 0\n");
}

TEST_CASE("service settings change: one set naming what changed", "[plan]") {
  const auto key = tcp("10.0.0.10", 80);
  Table want = one_service(key, {dest("10.0.0.2", 80)}, "wlc");
  want.services.begin()->second.service.flags.persistent = true;
  want.services.begin()->second.service.timeout = 300;
  const Table have = one_service(key, {dest("10.0.0.2", 80)}, "rr");
  const Plan plan = diff(want, have, owning(want));
  REQUIRE(plan.size() == 1);
  CHECK(plan.to_string() ==
        "~ service TCP 10.0.0.10:80 scheduler rr -> wlc flags none -> persistent timeout 0 -> 300\n");
}

TEST_CASE("new service: service first, then its dests", "[plan]") {
  const Table want = one_service(tcp("10.0.0.10", 80), {dest("10.0.0.2", 80), dest("10.0.0.3", 80)});
  const Plan plan = diff(want, Table{}, owning(want));
  CHECK(lines(plan) == std::vector<std::string>{"+ service TCP 10.0.0.10:80 rr",
                                                "+ dest 10.0.0.2:80 to TCP 10.0.0.10:80 nat weight 1",
                                                "+ dest 10.0.0.3:80 to TCP 10.0.0.10:80 nat weight 1"});
}

TEST_CASE("removed service: its dests, then the service", "[plan]") {
  const Table before = one_service(tcp("10.0.0.10", 80), {dest("10.0.0.2", 80), dest("10.0.0.3", 80)});
  Ownership owned = owning(before);  // vigil created it before the reload
  const Plan plan = diff(Table{}, before, owned);
  CHECK(lines(plan) == std::vector<std::string>{"- dest 10.0.0.2:80 from TCP 10.0.0.10:80",
                                                "- dest 10.0.0.3:80 from TCP 10.0.0.10:80",
                                                "- service TCP 10.0.0.10:80"});
}

TEST_CASE("foreign services are left alone, dests included", "[plan]") {
  const Table want = one_service(tcp("10.0.0.10", 80), {dest("10.0.0.2", 80)});
  Table have = want;
  auto& foreign = have.put(Service::make(tcp("192.168.1.1", 443), "sh"));
  foreign.dests.emplace(dest("192.168.1.2", 443).key, dest("192.168.1.2", 443));
  CHECK(diff(want, have, owning(want)).empty());

  SECTION("once owned, a service that is no longer desired is deleted") {
    Ownership o = owning(want);
    o.claim(tcp("192.168.1.1", 443));
    CHECK(lines(diff(want, have, o)) == std::vector<std::string>{"- dest 192.168.1.2:443 from TCP 192.168.1.1:443",
                                                                 "- service TCP 192.168.1.1:443"});
  }
}

TEST_CASE("drift inside a managed service is repaired", "[plan]") {
  const auto key = tcp("10.0.0.10", 80);
  const Table want = one_service(key, {dest("10.0.0.2", 80), dest("10.0.0.3", 80)});
  Table have = one_service(key, {dest("10.0.0.3", 80), dest("10.0.0.9", 80)});  // .2 deleted, .9 added by hand
  SECTION("adds before deletes, so the pool is never empty") {
    CHECK(lines(diff(want, have, owning(want))) ==
          std::vector<std::string>{"+ dest 10.0.0.2:80 to TCP 10.0.0.10:80 nat weight 1",
                                   "- dest 10.0.0.9:80 from TCP 10.0.0.10:80"});
  }
  SECTION("a service deleted with ipvsadm -D comes back (keepalived #1877)") {
    have.services.erase(key);
    const Plan plan = diff(want, have, owning(want));
    REQUIRE(plan.size() == 3);
    CHECK(std::holds_alternative<AddService>(plan.operations[0]));
  }
}

TEST_CASE("sorry-server swap: new dest added before the old ones go", "[plan]") {
  const auto key = tcp("10.0.0.10", 80);
  const Table want = one_service(key, {dest("10.9.9.9", 80)});  // sorry server only
  const Table have = one_service(key, {dest("10.0.0.2", 80), dest("10.0.0.3", 80)});
  const auto l = lines(diff(want, have, owning(want)));
  REQUIRE(l.size() == 3);
  CHECK(l[0].rfind("+ dest 10.9.9.9:80", 0) == 0);
  CHECK(l[1].rfind("- dest", 0) == 0);
  CHECK(l[2].rfind("- dest", 0) == 0);
}

TEST_CASE("tunnel settings are compared only where the kernel keeps them", "[plan]") {
  const auto key = tcp("10.0.0.10", 80);
  Dest want_d = dest("10.0.0.2", 80, 1, ForwardMethod::tunnel);
  want_d.tunnel_type = TunnelType::gue;
  want_d.tunnel_port = 6080;
  want_d.tunnel_checksum = TunnelChecksum::csum;
  Dest have_d = want_d;
  SECTION("same") { CHECK(diff(one_service(key, {want_d}), one_service(key, {have_d}), {}).empty()); }
  SECTION("port differs") {
    have_d.tunnel_port = 5555;
    const auto l = lines(diff(one_service(key, {want_d}), one_service(key, {have_d}), {}));
    CHECK(l == std::vector<std::string>{"~ dest 10.0.0.2:80 in TCP 10.0.0.10:80 tunnel gue port 5555 csum -> gue port "
                                        "6080 csum"});
  }
  SECTION("ipip ignores port and checksum") {
    want_d.tunnel_type = TunnelType::ipip;
    have_d.tunnel_type = TunnelType::ipip;
    have_d.tunnel_port = 0;
    have_d.tunnel_checksum = TunnelChecksum::nocsum;
    CHECK(diff(one_service(key, {want_d}), one_service(key, {have_d}), {}).empty());
  }
  SECTION("forwarding method change is a set") {
    have_d.forward = ForwardMethod::direct_route;
    const auto plan = diff(one_service(key, {want_d}), one_service(key, {have_d}), {});
    REQUIRE(plan.size() == 1);
    CHECK(std::holds_alternative<SetDest>(plan.operations[0]));
  }
}

TEST_CASE("plan lines for fwmark and IPv6", "[plan]") {
  Table want;
  want.put(Service::make(ServiceKey::firewall_mark(3, Family::v6), "mh"));
  want.put(Service::make(ServiceKey(Protocol::udp, ip("2001:db8::1"), 53), "rr"));
  want.put_dest(ServiceKey(Protocol::udp, ip("2001:db8::1"), 53), dest("2001:db8::2", 53, 2));
  CHECK(diff(want, {}, {}).to_string() ==
        "+ service UDP [2001:db8::1]:53 rr\n"
        "+ dest [2001:db8::2]:53 to UDP [2001:db8::1]:53 nat weight 2\n"
        "+ service FWM 3 IPv6 mh\n");
}

TEST_CASE("ownership forgets services that are gone everywhere", "[plan]") {
  Ownership o;
  o.claim(tcp("10.0.0.1", 80));
  o.claim(tcp("10.0.0.2", 80));
  o.claim(tcp("10.0.0.3", 80));
  const Table desired = one_service(tcp("10.0.0.1", 80), {});
  const Table actual = one_service(tcp("10.0.0.2", 80), {});
  o.forget_gone(desired, actual);
  CHECK(o.size() == 2);
  CHECK(o.owns(tcp("10.0.0.1", 80)));
  CHECK(o.owns(tcp("10.0.0.2", 80)));
  CHECK_FALSE(o.owns(tcp("10.0.0.3", 80)));
}

TEST_CASE("10,000 services x 4 dests: diff stays in milliseconds", "[plan][perf]") {
  const Table want = big_table(10000, 4);
  Table have = want;
  const Ownership owned = owning(want);

  auto time_diff = [&](const Table& actual) {
    const auto t0 = std::chrono::steady_clock::now();
    Plan plan = diff(want, actual, owned);
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    return std::pair{std::move(plan), std::chrono::duration<double, std::milli>(elapsed).count()};
  };
  const auto [none, ms_none] = time_diff(have);
  CHECK(none.empty());
  have.services.begin()->second.dests.begin()->second.weight = 7;
  const auto [one, ms_one] = time_diff(have);
  CHECK(one.size() == 1);
  const auto [all, ms_all] = time_diff(Table{});
  CHECK(all.size() == 50000);
  // A sanity bound loose enough for sanitizer and debug builds; bench/ipvs_bench gives figures.
  CHECK(ms_none < 250.0);
  WARN("diff 10k x 4: no change " << ms_none << " ms, one weight " << ms_one << " ms, from empty " << ms_all << " ms");
}
