// ipvs_kernel_tests — libipvs against a real IPVS kernel. Runs inside the VM test bed
// (tests/vm/vm-run, one boot for the whole program); every test case gets a fresh network
// namespace (unshare(CLONE_NEWNET), so an empty IPVS table) with lo up, and never touches the
// namespace it started in. Needs root and a kernel with IPVS: anywhere else the first checks fail
// and say what is missing.
//
// Covers: family resolution (and the modprobe fallback), a round trip of every service and dest
// attribute, errors as values with the kernel's errno text, FakeKernel fidelity (the same plan
// gives the same failures on both), batched apply across windows, lost ACKs, 1,000 services ×
// 4 dests applied and verified by a dump, drift repair next to a foreign service made with
// ipvsadm, timeouts, the sync daemon, flush. Timings are printed (the machine is a TCG VM).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "libipvs/fake_kernel.hpp"
#include "libipvs/socket.hpp"
#include "test_support.hpp"

using namespace ipvs;
using namespace ipvs::test;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// (user, system) CPU time of this process, ms.
std::pair<double, double> cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto ms = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3; };
  return {ms(u.ru_utime), ms(u.ru_stime)};
}

// A new, empty network namespace for this process, with lo up (without it there is no local
// routing table and NEW_DEST fails with EINVAL).
void fresh_netns() {
  INFO("unshare(CLONE_NEWNET) needs root; run through tests/vm/vm-run");
  REQUIRE(::unshare(CLONE_NEWNET) == 0);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  REQUIRE(::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  REQUIRE(::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
  ::close(fd);
}

Socket open_socket(const SocketOptions& options = {}) {
  auto s = Socket::open(options);
  INFO((s.ok() ? std::string() : s.error().message));
  REQUIRE(s.ok());
  return std::move(s).value();
}

void sh(const std::string& command) {
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

Table dump(Socket& s) {
  auto t = s.dump();
  INFO((t.ok() ? std::string() : t.error().message));
  REQUIRE(t.ok());
  return std::move(t).value();
}

void apply_ok(Kernel& k, const Plan& plan) {
  const auto report = k.apply(plan);
  INFO(report.to_string());
  REQUIRE(report.ok());
}

Ownership owning(const Table& t) {
  Ownership o;
  o.claim(t);
  return o;
}

// A dest as the kernel stores it (the parts same_settings ignores do not matter).
void check_same(const Table& want, const Table& got) {
  REQUIRE(got.services.size() == want.services.size());
  for (const auto& [key, entry] : want.services) {
    const ServiceEntry* g = got.find(key);
    INFO("service " << key.to_string());
    REQUIRE(g != nullptr);
    CHECK(g->service.same_settings(entry.service));
    CHECK(g->service.scheduler == entry.service.scheduler);
    CHECK(g->service.flags == entry.service.flags);
    CHECK(g->service.timeout == entry.service.timeout);
    CHECK(g->service.netmask == entry.service.netmask);
    CHECK(g->service.pe_name == entry.service.pe_name);
    REQUIRE(g->dests.size() == entry.dests.size());
    for (const auto& [dkey, d] : entry.dests) {
      INFO("dest " << dkey.to_string());
      const auto it = g->dests.find(dkey);
      REQUIRE(it != g->dests.end());
      CHECK(it->second.same_settings(d));
    }
  }
}

}  // namespace

TEST_CASE("the IPVS family resolves (loading ip_vs if needed) and reports its version", "[kernel]") {
  const bool loaded_before = std::filesystem::exists("/sys/module/ip_vs");
  fresh_netns();
  // Without our modprobe fallback: CTRL_CMD_GETFAMILY itself autoloads ip_vs
  // (request_module("net-pf-16-proto-16-family-IPVS"), ip_vs declares that alias).
  SocketOptions no_modprobe;
  no_modprobe.load_module = false;
  const auto autoload_t0 = Clock::now();
  const auto autoloaded = Socket::open(no_modprobe);
  INFO((autoloaded.ok() ? std::string() : autoloaded.error().message));
  REQUIRE(autoloaded.ok());
  std::printf("ipvs_kernel_tests: family resolved without modprobe in %.1f ms (ip_vs %s before)\n",
              ms_since(autoload_t0), loaded_before ? "loaded" : "not loaded");
  CHECK(std::filesystem::exists("/sys/module/ip_vs"));
  const auto t0 = Clock::now();
  Socket s = open_socket();
  std::printf("ipvs_kernel_tests: family id %u resolved in %.1f ms\n", s.family_id(), ms_since(t0));
  CHECK(s.family_id() >= 0x10);
  CHECK(s.fd() >= 0);
  const auto info = s.info();
  REQUIRE(info.ok());
  CHECK(info->version == 0x010201);
  CHECK(info->conn_table_size > 0);
  const auto empty = s.dump();
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("every service attribute round-trips", "[kernel]") {
  fresh_netns();
  Socket s = open_socket();
  Table want;
  want.put(Service::make(tcp("10.0.0.1", 80), "rr"));
  Service persistent = Service::make(ServiceKey(Protocol::udp, ip("10.0.0.2"), 53), "wrr");
  persistent.flags.persistent = true;
  persistent.flags.one_packet = true;
  persistent.timeout = 300;
  persistent.netmask = 0xffffff00;
  want.put(persistent);
  want.put(Service::make(ServiceKey(Protocol::sctp, ip("10.0.0.3"), 3868), "lc"));
  Service fw = Service::make(ServiceKey::firewall_mark(7, Family::v4), "sh");
  fw.flags.sched1 = true;
  fw.flags.sched2 = true;
  want.put(fw);
  Service mh = Service::make(ServiceKey::firewall_mark(8, Family::v6), "mh");
  mh.flags.sched1 = true;
  mh.flags.sched2 = true;
  mh.flags.sched3 = true;
  want.put(mh);
  Service v6 = Service::make(ServiceKey(Protocol::tcp, ip("2001:db8::1"), 443), "wlc");
  v6.flags.persistent = true;
  v6.timeout = 60;
  v6.netmask = 64;
  want.put(v6);
  Service sip = Service::make(ServiceKey(Protocol::udp, ip("10.0.0.4"), 5060), "rr");
  sip.flags.persistent = true;
  sip.timeout = 30;
  sip.pe_name = "sip";
  want.put(sip);
  want.put(Service::make(tcp("10.0.0.5", 0), "none"));  // port 0, no scheduler

  apply_ok(s, diff(want, Table{}, owning(want)));
  const Table got = dump(s);
  check_same(want, got);
  CHECK(diff(want, got, owning(want)).empty());

  // GET_SERVICE (doit), which dump() uses to settle services seen by only one of its dumps.
  const auto one = s.service(persistent.key);
  REQUIRE(one.ok());
  REQUIRE(one->has_value());
  CHECK((*one)->same_settings(persistent));
  const auto none = s.service(tcp("10.9.9.9", 80));
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  SECTION("set_service changes scheduler, flags, timeout, netmask and PE in place") {
    Table changed = want;
    Service& p = changed.services.at(persistent.key).service;
    p.scheduler = "sh";
    p.flags = ServiceFlags{};
    p.timeout = 0;
    p.netmask = 0xffffffff;
    Service& q = changed.services.at(sip.key).service;
    q.pe_name.clear();
    const Plan plan = diff(changed, got, owning(changed));
    CHECK(plan.size() == 2);
    apply_ok(s, plan);
    check_same(changed, dump(s));
  }
}

TEST_CASE("every dest attribute round-trips", "[kernel]") {
  fresh_netns();
  Socket s = open_socket();
  const auto v4 = tcp("10.0.0.1", 80);
  const auto v6 = ServiceKey(Protocol::tcp, ip("2001:db8::1"), 80);
  Table want;
  auto& e4 = want.put(Service::make(v4, "wlc"));
  auto& e6 = want.put(Service::make(v6, "wlc"));
  Dest nat = dest("10.0.1.1", 8080, 3);
  nat.upper_threshold = 1000;
  nat.lower_threshold = 100;
  Dest dr = dest("10.0.1.2", 80, 0, ForwardMethod::direct_route);
  Dest ipip = dest("10.0.1.3", 80, 5, ForwardMethod::tunnel);
  Dest gue = dest("10.0.1.4", 80, 1, ForwardMethod::tunnel);
  gue.tunnel_type = TunnelType::gue;
  gue.tunnel_port = 6080;
  gue.tunnel_checksum = TunnelChecksum::csum;
  Dest gre = dest("10.0.1.5", 80, 1, ForwardMethod::tunnel);
  gre.tunnel_type = TunnelType::gre;
  gre.tunnel_checksum = TunnelChecksum::remcsum;
  Dest mixed = dest("2001:db8::5", 80, 2, ForwardMethod::tunnel);  // IPv6 real server, IPv4 service
  Dest big = dest("10.0.1.6", 80, 0x7fffffff);
  for (const Dest& d : {nat, dr, ipip, gue, gre, mixed, big}) e4.dests.emplace(d.key, d);
  for (const Dest& d : {dest("2001:db8::2", 80, 1), dest("2001:db8::3", 80, 2, ForwardMethod::direct_route)})
    e6.dests.emplace(d.key, d);

  apply_ok(s, diff(want, Table{}, owning(want)));
  const Table got = dump(s);
  check_same(want, got);
  const Dest& got_mixed = got.services.at(v4).dests.at(mixed.key);
  CHECK(got_mixed.family() == Family::v6);
  CHECK(got.services.at(v4).dests.at(gue.key).tunnel_port == 6080);
  CHECK(got.services.at(v4).dests.at(gre.key).tunnel_checksum == TunnelChecksum::remcsum);
  CHECK(got.services.at(v4).dests.at(big.key).weight == 0x7fffffffU);

  SECTION("set_dest: weight, method, thresholds and tunnel settings; then deletes") {
    Table changed = want;
    auto& dests = changed.services.at(v4).dests;
    dests.at(nat.key).weight = 0;
    dests.at(dr.key).forward = ForwardMethod::masq;
    dests.at(ipip.key).tunnel_type = TunnelType::gue;
    dests.at(ipip.key).tunnel_port = 7000;
    dests.at(gue.key).upper_threshold = 5;
    dests.erase(big.key);
    const Plan plan = diff(changed, got, owning(changed));
    CHECK(plan.size() == 5);
    apply_ok(s, plan);
    const Table after = dump(s);
    check_same(changed, after);
    CHECK(diff(changed, after, owning(changed)).empty());
  }
}

TEST_CASE("errors are values with the kernel's errno text, and FakeKernel agrees", "[kernel]") {
  fresh_netns();
  Socket s = open_socket();
  FakeKernel fake;
  const auto a = tcp("10.0.0.1", 80);
  const auto missing = tcp("10.0.0.99", 80);
  Service v6_bad_mask = Service::make(ServiceKey(Protocol::tcp, ip("2001:db8::1"), 80), "rr");
  v6_bad_mask.netmask = 0;
  Service bad_pe = Service::make(a, "rr");
  bad_pe.pe_name = "nope";
  Dest thresholds = dest("10.0.1.4", 80);
  thresholds.lower_threshold = 10;
  Dest gue0 = dest("10.0.1.5", 80, 1, ForwardMethod::tunnel);
  gue0.tunnel_type = TunnelType::gue;
  const Plan plan{{
      AddService{Service::make(a, "rr")},                                        // 0 ok
      AddService{Service::make(a, "rr")},                                        // 1 EEXIST
      AddService{Service::make(tcp("10.0.0.2", 80), "nosuch")},                   // 2 ENOENT (unknown scheduler)
      AddService{v6_bad_mask},                                                   // 3 EINVAL
      AddService{Service::make(tcp("10.0.0.3", 80), "none")},                     // 4 ok
      AddService{Service::make(tcp("10.0.0.4", 80), "a-scheduler-name-too-long")},  // 5 EINVAL (policy)
      AddDest{missing, dest("10.0.1.1", 80)},                                    // 6 ESRCH
      AddDest{a, dest("10.0.1.1", 80)},                                          // 7 ok
      AddDest{a, dest("10.0.1.1", 80)},                                          // 8 EEXIST
      AddDest{a, dest("10.0.1.2", 80, 0x80000000U)},                             // 9 ERANGE
      AddDest{a, thresholds},                                                    // 10 ERANGE
      AddDest{a, dest("2001:db8::9", 80)},                                       // 11 EINVAL (family, NAT)
      AddDest{a, dest("224.0.0.1", 80)},                                         // 12 EINVAL (multicast)
      AddDest{a, gue0},                                                          // 13 EINVAL (GUE port 0)
      AddDest{a, dest("fe80::1", 80, 1, ForwardMethod::tunnel)},                 // 14 EINVAL (link-local)
      AddDest{a, dest("0.0.0.0", 80)},                                           // 15 EINVAL (zeronet)
      SetDest{a, dest("10.0.1.3", 80), dest("10.0.1.3", 80)},                    // 16 ENOENT
      DelDest{a, dest("10.0.1.3", 80).key},                                      // 17 ENOENT
      DelService{missing},                                                       // 18 ESRCH
      SetService{bad_pe, Service::make(a, "rr")},                                // 19 ENOENT (unknown PE)
      SetService{Service::make(missing, "rr"), Service::make(missing, "rr")},    // 20 ESRCH
  }};
  const auto real = s.apply(plan);
  const auto faked = fake.apply(plan);
  std::printf("ipvs_kernel_tests: kernel errors:\n%s", real.to_string().c_str());

  CHECK(real.attempted == plan.size());
  CHECK(real.succeeded() == 3);
  auto codes = [](const ApplyReport& r) {
    std::vector<std::pair<std::size_t, int>> out;
    for (const auto& f : r.failures) out.emplace_back(f.index, f.error.code);
    return out;
  };
  CHECK(codes(real) == codes(faked));
  CHECK(codes(real) == std::vector<std::pair<std::size_t, int>>{
                           {1, EEXIST}, {2, ENOENT}, {3, EINVAL},  {5, EINVAL},  {6, ESRCH},   {8, EEXIST},
                           {9, ERANGE}, {10, ERANGE}, {11, EINVAL}, {12, EINVAL}, {13, EINVAL}, {14, EINVAL},
                           {15, EINVAL}, {16, ENOENT}, {17, ENOENT}, {18, ESRCH},  {19, ENOENT}, {20, ESRCH}});
  // The text names the operation and the errno; extended-ack detail may follow in parentheses.
  REQUIRE(real.failures.size() >= 5);
  CHECK_THAT(real.failures[1].error.message,
             Catch::StartsWith("add service TCP 10.0.0.2:80: No such file or directory"));
  CHECK_THAT(real.failures[4].error.message,
             Catch::StartsWith("add dest 10.0.1.1:80 to TCP 10.0.0.99:80: No such process"));
  check_same(fake.table(), dump(s));
}

TEST_CASE("batched apply: windows, failures in the middle, lost ACKs", "[kernel]") {
  fresh_netns();
  SECTION("three windows of 256 with two failures keep their indices") {
    Socket s = open_socket();
    Table want = big_table(150, 3);  // 600 ops
    Plan plan = diff(want, Table{}, owning(want));
    REQUIRE(plan.size() == 600);
    std::get<AddService>(plan.operations[300 - (300 % 4)]).service.scheduler = "nosuch";  // a service add
    const auto report = s.apply(plan);
    CHECK(report.attempted == 600);
    REQUIRE(report.failures.size() == 4);  // the service and its 3 dests (ESRCH)
    CHECK(report.failures[0].index == 300);
    CHECK(report.failures[0].error.code == ENOENT);
    CHECK(report.failures[1].index == 301);
    CHECK(report.failures[1].error.code == ESRCH);
    CHECK(report.failures[3].index == 303);
    // The next diff repairs exactly that service.
    const Plan repair = diff(want, dump(s), owning(want));
    CHECK(repair.size() == 4);
    apply_ok(s, repair);
    CHECK(diff(want, dump(s), owning(want)).empty());
  }
  SECTION("a receive buffer too small for the window: lost ACKs are reported, nothing hangs") {
    SocketOptions tiny;
    tiny.window = 2000;
    tiny.buffer_bytes = 4096;
    tiny.receive_timeout = std::chrono::milliseconds(2000);
    Socket s = open_socket(tiny);
    const Table want = big_table(400, 4);  // 2,000 ops in one window
    const auto t0 = Clock::now();
    const auto report = s.apply(diff(want, Table{}, owning(want)));
    const double ms = ms_since(t0);
    std::printf("ipvs_kernel_tests: tiny buffer: %zu of %zu ops unconfirmed, %.0f ms\n", report.failures.size(),
                report.attempted, ms);
    CHECK(report.attempted == 2000);
    for (const auto& f : report.failures) {
      CHECK(f.error.code == ENOBUFS);
      CHECK_THAT(f.error.message, Catch::Contains("ACK lost"));
    }
    CHECK(ms < 1900.0);  // answered by the barrier, not by the receive timeout
    // Whatever the kernel did, a dump with a normal socket shows it and a diff completes it.
    Socket normal = open_socket();
    apply_ok(normal, diff(want, dump(normal), owning(want)));
    CHECK(diff(want, dump(normal), owning(want)).empty());
  }
}

TEST_CASE("1,000 services x 4 dests: apply, verify by dump, one change, no change", "[kernel][scale]") {
  fresh_netns();
  Socket s = open_socket();
  const std::size_t n = std::getenv("VIGIL_IPVS_SERVICES") != nullptr
                            ? std::strtoul(std::getenv("VIGIL_IPVS_SERVICES"), nullptr, 10)
                            : 1000;
  const Table want = big_table(n, 4);
  const Ownership owned = owning(want);

  auto t0 = Clock::now();
  const Plan initial = diff(want, dump(s), owned);
  const double t_diff0 = ms_since(t0);
  t0 = Clock::now();
  const auto apply_cpu0 = cpu_ms();
  apply_ok(s, initial);
  const double t_apply = ms_since(t0);
  const auto apply_cpu1 = cpu_ms();
  t0 = Clock::now();
  const Table got = dump(s);
  const double t_dump = ms_since(t0);
  check_same(want, got);
  t0 = Clock::now();
  CHECK(diff(want, got, owned).empty());
  const double t_diff_same = ms_since(t0);
  // Where a dump's time goes: the service list, then one dest dump per service.
  t0 = Clock::now();
  const auto services = s.services_once();
  const double t_services = ms_since(t0);
  REQUIRE(services.ok());
  CHECK(services->size() == n);
  t0 = Clock::now();
  const auto cpu0 = cpu_ms();
  std::size_t dest_count = 0;
  for (const auto& svc : *services) dest_count += s.dests(svc.key).value().size();
  const double t_dests = ms_since(t0);
  const auto cpu1 = cpu_ms();
  CHECK(dest_count == 4 * n);

  Table one = want;
  one.services.begin()->second.dests.begin()->second.weight = 0;
  const Plan change = diff(one, got, owned);
  REQUIRE(change.size() == 1);
  t0 = Clock::now();
  apply_ok(s, change);
  const double t_one = ms_since(t0);
  CHECK(dump(s).services.begin()->second.dests.begin()->second.weight == 0);

  t0 = Clock::now();
  apply_ok(s, Plan{{DelService{want.services.begin()->first}}});
  (void)s.execute(Request::flush());
  const double t_flush = ms_since(t0);
  CHECK(dump(s).empty());
  std::printf("ipvs_kernel_tests: %zu services x 4: diff %.1f ms, apply %zu ops %.0f ms (%.1f us/op; CPU user %.0f ms, "
              "system %.0f ms), dump %.0f ms, "
              "no-change diff %.2f ms, one-weight apply %.2f ms, flush %.0f ms; one service dump %.0f ms, "
              "%zu dest dumps %.0f ms (%.0f us each; CPU user %.0f ms, system %.0f ms)\n",
              n, t_diff0, initial.size(), t_apply, 1000.0 * t_apply / static_cast<double>(initial.size()),
              apply_cpu1.first - apply_cpu0.first, apply_cpu1.second - apply_cpu0.second, t_dump,
              t_diff_same, t_one, t_flush, t_services, n, t_dests, 1000.0 * t_dests / static_cast<double>(n), cpu1.first - cpu0.first,
              cpu1.second - cpu0.second);
}

TEST_CASE("drift repair: a deleted service comes back, a foreign one is left alone", "[kernel]") {
  fresh_netns();
  Socket s = open_socket();
  Table want;
  for (const char* vip : {"10.0.0.1", "10.0.0.2"}) {
    auto& e = want.put(Service::make(tcp(vip, 80), "rr"));
    e.dests.emplace(dest("10.0.1.1", 80).key, dest("10.0.1.1", 80));
    e.dests.emplace(dest("10.0.1.2", 80, 2).key, dest("10.0.1.2", 80, 2));
  }
  Ownership owned = owning(want);
  apply_ok(s, diff(want, dump(s), owned));

  sh("ipvsadm -D -t 10.0.0.1:80");                              // someone deletes ours
  sh("ipvsadm -e -t 10.0.0.2:80 -r 10.0.1.2:80 -m -w 9");       // and edits a weight
  sh("ipvsadm -A -t 192.168.9.9:22 -s sh");                      // and adds their own
  sh("ipvsadm -a -t 192.168.9.9:22 -r 192.168.9.10:22 -g -w 1");

  const Plan repair = diff(want, dump(s), owned);
  std::printf("ipvs_kernel_tests: drift repair plan:\n%s", repair.to_string().c_str());
  CHECK(repair.to_string() ==
        "+ service TCP 10.0.0.1:80 rr\n"
        "+ dest 10.0.1.1:80 to TCP 10.0.0.1:80 nat weight 1\n"
        "+ dest 10.0.1.2:80 to TCP 10.0.0.1:80 nat weight 2\n"
        "~ dest 10.0.1.2:80 in TCP 10.0.0.2:80 weight 9 -> 2\n");
  apply_ok(s, repair);
  const Table after = dump(s);
  CHECK(diff(want, after, owned).empty());
  const ServiceEntry* foreign = after.find(tcp("192.168.9.9", 22));
  REQUIRE(foreign != nullptr);
  CHECK(foreign->service.scheduler == "sh");
  CHECK(foreign->dests.size() == 1);
  sh("ipvsadm -Ln -t 192.168.9.9:22 | grep -q '192.168.9.10:22'");

  SECTION("a reload that drops a service deletes it, and only it") {
    Table smaller = want;
    smaller.services.erase(tcp("10.0.0.2", 80));
    owned.claim(smaller);
    const Plan plan = diff(smaller, after, owned);
    CHECK(plan.to_string() ==
          "- dest 10.0.1.1:80 from TCP 10.0.0.2:80\n"
          "- dest 10.0.1.2:80 from TCP 10.0.0.2:80\n"
          "- service TCP 10.0.0.2:80\n");
    apply_ok(s, plan);
    const Table final_table = dump(s);
    owned.forget_gone(smaller, final_table);
    CHECK_FALSE(owned.owns(tcp("10.0.0.2", 80)));
    CHECK(final_table.find(tcp("192.168.9.9", 22)) != nullptr);
  }
}

TEST_CASE("timeouts, sync daemon, flush", "[kernel]") {
  fresh_netns();
  Socket s = open_socket();
  SECTION("timeouts") {
    REQUIRE(s.execute(Request::set_timeouts(Timeouts{900, 60, 120})).ok());
    const auto t = s.timeouts();
    REQUIRE(t.ok());
    CHECK(*t == Timeouts{900, 60, 120});
    REQUIRE(s.execute(Request::set_timeouts(Timeouts{std::nullopt, std::nullopt, 30})).ok());
    CHECK(*s.timeouts() == Timeouts{900, 60, 30});
  }
  SECTION("sync daemon start, dump, stop") {
    sh("ip link add vsync0 type veth peer name vsync1 && ip addr add 192.0.2.1/24 dev vsync0 && "
       "ip link set vsync0 up && ip link set vsync1 up");
    SyncDaemon d;
    d.state = SyncState::master;
    d.interface = "vsync0";
    d.sync_id = 7;
    d.max_len = 1400;
    d.group = ip("224.0.0.81");
    d.port = 8848;
    d.ttl = 2;
    const auto started = s.execute(Request::new_daemon(d));
    INFO((started.ok() ? std::string() : started.error().message));
    REQUIRE(started.ok());
    const auto running = s.daemons();
    REQUIRE(running.ok());
    REQUIRE(running->size() == 1);
    CHECK((*running)[0] == d);
    const auto twice = s.execute(Request::new_daemon(d));
    REQUIRE_FALSE(twice.ok());
    CHECK(twice.error().code == EEXIST);
    // Stopping a sync thread that has not run yet makes kthread_stop return -EINTR, which
    // netlink does not acknowledge: the barrier turns that into an immediate EINTR.
    const auto stopped = s.execute(Request::del_daemon(SyncState::master));
    INFO((stopped.ok() ? std::string() : stopped.error().message));
    CHECK((stopped.ok() || stopped.error().code == EINTR));
    CHECK(s.daemons()->empty());

    // Start/stop at once, repeatedly, to hit that race: every stop answers promptly.
    int unacknowledged = 0;
    for (int i = 0; i < 20; ++i) {
      REQUIRE(s.execute(Request::new_daemon(d)).ok());
      const auto t0 = Clock::now();
      const auto stop = s.execute(Request::del_daemon(SyncState::master));
      CHECK(ms_since(t0) < 4000.0);
      if (!stop.ok()) {
        CHECK(stop.error().code == EINTR);
        CHECK_THAT(stop.error().message, Catch::Contains("does not acknowledge"));
        ++unacknowledged;
      }
      REQUIRE(s.daemons()->empty());
    }
    std::printf("ipvs_kernel_tests: sync daemon start+stop x20: %d stops without ACK (EINTR)\n", unacknowledged);
  }
  SECTION("flush empties the table") {
    const Table want = big_table(20, 2);
    apply_ok(s, diff(want, Table{}, owning(want)));
    REQUIRE(s.execute(Request::flush()).ok());
    CHECK(dump(s).empty());
  }
  SECTION("a service with 2,000 dests dumps in several parts") {
    Table want;
    auto& e = want.put(Service::make(tcp("10.0.0.1", 80), "wrr"));
    for (std::uint32_t i = 0; i < 2000; ++i) {
      const Dest d = Dest::make(vigil::IpAddress::from_v4_u32(0x0a640000U + i), 80, ForwardMethod::masq, i % 7);
      e.dests.emplace(d.key, d);
    }
    apply_ok(s, diff(want, Table{}, owning(want)));
    const auto t0 = Clock::now();
    const Table got = dump(s);
    std::printf("ipvs_kernel_tests: dump of one service with 2,000 dests: %.1f ms\n", ms_since(t0));
    check_same(want, got);
  }
}
