// FakeKernel: plans applied with the kernel's rules and errnos; failures are values that name
// the operation. Also the reconcile loop end to end: desired -> diff -> apply -> dump -> diff.
#include <catch2/catch.hpp>

#include <cerrno>

#include "libipvs/fake_kernel.hpp"
#include "test_support.hpp"

using namespace ipvs;
using namespace ipvs::test;

namespace {

Plan plan_of(std::initializer_list<Operation> ops) { return Plan{std::vector<Operation>(ops)}; }

}  // namespace

TEST_CASE("a plan from an empty kernel builds the table; the next diff is empty", "[fake]") {
  FakeKernel kernel;
  const Table want = big_table(50, 4);
  Ownership owned;
  owned.claim(want);
  const auto report = kernel.apply(diff(want, kernel.dump().value(), owned));
  CHECK(report.ok());
  CHECK(report.attempted == 250);
  CHECK(report.succeeded() == 250);
  CHECK(diff(want, kernel.dump().value(), owned).empty());
}

TEST_CASE("kernel rules and errnos", "[fake]") {
  FakeKernel kernel;
  const auto key = tcp("10.0.0.10", 80);
  REQUIRE(kernel.execute(AddService{Service::make(key, "rr")}) == 0);

  CHECK(kernel.execute(AddService{Service::make(key, "rr")}) == EEXIST);
  CHECK(kernel.execute(AddService{Service::make(tcp("10.0.0.11", 80), "nosuch")}) == ENOENT);
  CHECK(kernel.execute(AddService{Service::make(tcp("10.0.0.11", 80), "a-name-that-is-too-long")}) == EINVAL);
  CHECK(kernel.execute(AddService{Service::make(tcp("10.0.0.11", 80), "none")}) == 0);
  Service pe = Service::make(tcp("10.0.0.12", 80), "rr");
  pe.pe_name = "nope";
  CHECK(kernel.execute(AddService{pe}) == ENOENT);
  Service v6 = Service::make(ServiceKey(Protocol::tcp, ip("2001:db8::1"), 80), "rr");
  v6.netmask = 0;
  CHECK(kernel.execute(AddService{v6}) == EINVAL);
  v6.netmask = 129;
  CHECK(kernel.execute(AddService{v6}) == EINVAL);

  const auto missing = tcp("10.0.0.99", 80);
  CHECK(kernel.execute(SetService{Service::make(missing, "rr"), Service::make(missing, "rr")}) == ESRCH);
  CHECK(kernel.execute(DelService{missing}) == ESRCH);
  CHECK(kernel.execute(AddDest{missing, dest("10.0.0.2", 80)}) == ESRCH);
  CHECK(kernel.execute(DelDest{missing, dest("10.0.0.2", 80).key}) == ESRCH);

  CHECK(kernel.execute(AddDest{key, dest("10.0.0.2", 80)}) == 0);
  CHECK(kernel.execute(AddDest{key, dest("10.0.0.2", 80)}) == EEXIST);
  CHECK(kernel.execute(SetDest{key, dest("10.0.0.3", 80), dest("10.0.0.3", 80)}) == ENOENT);
  CHECK(kernel.execute(DelDest{key, dest("10.0.0.3", 80).key}) == ENOENT);
  CHECK(kernel.execute(AddDest{key, dest("224.0.0.1", 80)}) == EINVAL);
  CHECK(kernel.execute(AddDest{key, dest("0.0.0.0", 80)}) == EINVAL);
  CHECK(kernel.execute(AddDest{key, dest("255.255.255.255", 80)}) == EINVAL);
  CHECK(kernel.execute(AddDest{key, dest("0.1.2.3", 80)}) == 0);  // only 0.0.0.0 is zeronet now
  CHECK(kernel.execute(AddDest{key, dest("10.0.0.4", 80, 0x80000000U)}) == ERANGE);
  Dest thresholds = dest("10.0.0.4", 80);
  thresholds.lower_threshold = 5;  // upper 0: the kernel refuses lower > upper
  CHECK(kernel.execute(AddDest{key, thresholds}) == ERANGE);
  Dest gue = dest("10.0.0.4", 80, 1, ForwardMethod::tunnel);
  gue.tunnel_type = TunnelType::gue;
  CHECK(kernel.execute(AddDest{key, gue}) == EINVAL);
  CHECK(kernel.execute(AddDest{key, dest("2001:db8::4", 80)}) == EINVAL);  // mixed family, NAT
  CHECK(kernel.execute(AddDest{key, dest("2001:db8::4", 80, 1, ForwardMethod::tunnel)}) == 0);
  CHECK(kernel.execute(AddDest{key, dest("fe80::4", 80, 1, ForwardMethod::tunnel)}) == EINVAL);
  CHECK(kernel.execute(DelService{key}) == 0);
  CHECK(kernel.table().find(key) == nullptr);
}

TEST_CASE("failures are values naming the operation; the rest of the plan still runs", "[fake]") {
  FakeKernel kernel;
  const auto key = tcp("10.0.0.10", 80);
  const auto report = kernel.apply(plan_of({
      AddService{Service::make(key, "nosuch")},
      AddDest{key, dest("10.0.0.2", 80)},
      AddService{Service::make(tcp("10.0.0.11", 80), "rr")},
  }));
  CHECK(report.attempted == 3);
  REQUIRE(report.failures.size() == 2);
  CHECK(report.failures[0].index == 0);
  CHECK(report.failures[0].error.message == "add service TCP 10.0.0.10:80: No such file or directory");
  CHECK(report.failures[0].error.code == ENOENT);
  CHECK(report.failures[1].index == 1);
  CHECK(report.failures[1].error.message == "add dest 10.0.0.2:80 to TCP 10.0.0.10:80: No such process");
  CHECK(report.failures[1].error.code == ESRCH);
  CHECK(report.to_string() ==
        "add service TCP 10.0.0.10:80: No such file or directory\n"
        "add dest 10.0.0.2:80 to TCP 10.0.0.10:80: No such process\n");
  CHECK_FALSE(report.first_error().ok());
  CHECK(kernel.table().find(tcp("10.0.0.11", 80)) != nullptr);
}

TEST_CASE("the kernel keeps counters and only the tunnel fields it uses", "[fake]") {
  FakeKernel kernel;
  const auto key = tcp("10.0.0.10", 80);
  Dest d = dest("10.0.0.2", 80, 1, ForwardMethod::masq);
  d.tunnel_type = TunnelType::gre;  // not a tunnel: the kernel stores none of it
  d.active_conns = 77;              // read-only: ignored on add
  REQUIRE(kernel.apply(plan_of({AddService{Service::make(key, "rr")}, AddDest{key, d}})).ok());
  const Dest* stored = kernel.table().find_dest(key, d.key);
  REQUIRE(stored != nullptr);
  CHECK(stored->tunnel_type == TunnelType::ipip);
  CHECK(stored->active_conns == 0);

  kernel.table().services.at(key).dests.at(d.key).active_conns = 5;
  Dest heavier = d;
  heavier.weight = 9;
  REQUIRE(kernel.execute(SetDest{key, heavier, d}) == 0);
  CHECK(kernel.table().find_dest(key, d.key)->weight == 9);
  CHECK(kernel.table().find_dest(key, d.key)->active_conns == 5);
}

TEST_CASE("dump failures are values", "[fake]") {
  FakeKernel kernel;
  kernel.fail_dumps(EPERM);
  const auto t = kernel.dump();
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().code == EPERM);
  CHECK(t.error().message == "dump services: Operation not permitted");
}

TEST_CASE("reconcile: a foreign service survives, a deleted one comes back", "[fake]") {
  FakeKernel kernel;
  const Table want = big_table(3, 2);
  Ownership owned;
  owned.claim(want);
  REQUIRE(kernel.apply(diff(want, kernel.dump().value(), owned)).ok());

  // Another tool adds its own service and removes one of ours.
  REQUIRE(kernel.execute(AddService{Service::make(tcp("192.168.0.1", 22), "rr")}) == 0);
  REQUIRE(kernel.execute(DelService{want.services.begin()->first}) == 0);

  const Plan repair = diff(want, kernel.dump().value(), owned);
  CHECK(repair.size() == 3);  // the service and its two dests
  REQUIRE(kernel.apply(repair).ok());
  CHECK(diff(want, kernel.dump().value(), owned).empty());
  CHECK(kernel.table().find(tcp("192.168.0.1", 22)) != nullptr);
}

TEST_CASE("record_applied keeps a cached table in step with the kernel, failures excluded", "[fake]") {
  FakeKernel kernel;
  Table want = big_table(20, 3);
  Ownership owned;
  owned.claim(want);
  Table cached = kernel.dump().value();
  Plan first = diff(want, cached, owned);
  std::get<AddService>(first.operations[4]).service.scheduler = "nosuch";  // service #1 fails, dests ESRCH
  auto report = kernel.apply(first);
  REQUIRE(report.failures.size() == 4);
  record_applied(cached, first, report);

  // Some churn: a weight, a removed dest, a removed service, a new one.
  Table next = want;
  auto& first_dests = next.services.begin()->second.dests;
  first_dests.begin()->second.weight = 9;
  first_dests.erase(std::prev(first_dests.end())->first);
  next.services.erase(std::prev(next.services.end()));
  next.put(Service::make(tcp("192.0.2.1", 443), "wlc"));
  owned.claim(next);
  const Plan second = diff(next, cached, owned);
  report = kernel.apply(second);
  record_applied(cached, second, report);

  const Table dumped = kernel.dump().value();
  CHECK(diff(dumped, cached, owned).empty());  // same settings everywhere
  CHECK(diff(cached, dumped, owned).empty());
  CHECK(cached.services.size() == dumped.services.size());
  CHECK(diff(next, cached, owned).empty());    // and it is what was wanted
}
