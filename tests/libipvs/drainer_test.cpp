// Drainer: a real server (or a whole virtual server) that leaves the config stays at weight 0
// until its active connections reach 0 or the timeout passes; then the diff deletes it.
#include <catch2/catch.hpp>

#include "libipvs/drainer.hpp"
#include "libipvs/fake_kernel.hpp"
#include "test_support.hpp"

using namespace ipvs;
using namespace ipvs::test;
using namespace std::chrono_literals;

namespace {

Table with_dests(const ServiceKey& key, std::initializer_list<Dest> dests) {
  Table t;
  auto& e = t.put(Service::make(key, "rr"));
  for (const auto& d : dests) e.dests.emplace(d.key, d);
  return t;
}

/// The dests `before` has and `after` does not (whole services too), as a reload reports them.
std::vector<DrainKey> removed_between(const Table& before, const Table& after) {
  std::vector<DrainKey> removed;
  for (const auto& [key, entry] : before.services) {
    const ServiceEntry* kept = after.find(key);
    for (const auto& [dkey, d] : entry.dests)
      if (kept == nullptr || !kept->dests.contains(dkey)) removed.push_back(DrainKey{key, dkey});
  }
  return removed;
}

}  // namespace

TEST_CASE("a removed real server drains at weight 0, then is deleted when idle", "[drain]") {
  const auto key = tcp("10.0.0.10", 80);
  const Table before = with_dests(key, {dest("10.0.0.2", 80), dest("10.0.0.3", 80)});
  const Table after = with_dests(key, {dest("10.0.0.2", 80)});
  FakeKernel kernel;
  Ownership owned;
  owned.claim(before);
  REQUIRE(kernel.apply(diff(before, kernel.dump().value(), owned)).ok());
  kernel.table().services.at(key).dests.at(dest("10.0.0.3", 80).key).active_conns = 2;

  Drainer drainer(300s);
  const TimePoint t0{};
  drainer.start_removed(removed_between(before, after), after, t0);
  CHECK(drainer.draining(key, dest("10.0.0.3", 80).key));

  // Round 1: connections active -> kept at weight 0.
  Table desired = after;
  CHECK(drainer.update(desired, kernel.dump().value(), t0 + 1s).empty());
  CHECK(desired.find_dest(key, dest("10.0.0.3", 80).key)->weight == 0);
  const Plan p1 = diff(desired, kernel.dump().value(), owned);
  CHECK(p1.to_string() == "~ dest 10.0.0.3:80 in TCP 10.0.0.10:80 weight 1 -> 0\n");
  REQUIRE(kernel.apply(p1).ok());

  // Round 2: still busy, nothing to do.
  desired = after;
  CHECK(drainer.update(desired, kernel.dump().value(), t0 + 2s).empty());
  CHECK(diff(desired, kernel.dump().value(), owned).empty());

  // Round 3: idle -> finished, deleted by the diff.
  kernel.table().services.at(key).dests.at(dest("10.0.0.3", 80).key).active_conns = 0;
  desired = after;
  const auto finished = drainer.update(desired, kernel.dump().value(), t0 + 3s);
  REQUIRE(finished.size() == 1);
  CHECK(finished[0] == DrainResult{DrainKey{key, dest("10.0.0.3", 80).key}, DrainOutcome::idle, 0});
  CHECK(diff(desired, kernel.dump().value(), owned).to_string() == "- dest 10.0.0.3:80 from TCP 10.0.0.10:80\n");
  CHECK(drainer.size() == 0);
}

TEST_CASE("drain timeout", "[drain]") {
  const auto key = tcp("10.0.0.10", 80);
  Dest busy = dest("10.0.0.3", 80);
  busy.active_conns = 100;
  const Table actual = with_dests(key, {busy});
  Drainer drainer(60s);
  const TimePoint t0{};
  drainer.start(key, busy.key, t0);
  drainer.start(key, busy.key, t0 + 50s);  // already draining: the first start counts
  Table desired = with_dests(key, {});
  CHECK(drainer.update(desired, actual, t0 + 59s).empty());
  desired = with_dests(key, {});
  const auto finished = drainer.update(desired, actual, t0 + 60s);
  REQUIRE(finished.size() == 1);
  CHECK(finished[0].outcome == DrainOutcome::timed_out);
  CHECK(finished[0].active_conns == 100);
  CHECK(desired.find_dest(key, busy.key) == nullptr);
}

TEST_CASE("a removed virtual server drains whole, then goes", "[drain]") {
  const auto key = tcp("10.0.0.10", 80);
  Dest a = dest("10.0.0.2", 80);
  a.active_conns = 1;
  Dest b = dest("10.0.0.3", 80);
  Table actual = with_dests(key, {a, b});
  actual.services.at(key).service.scheduler = "wlc";
  Ownership owned;
  owned.claim(key);
  Drainer drainer(300s);
  drainer.start_removed(removed_between(actual, Table{}), Table{}, TimePoint{});

  Table desired;  // the config no longer has the service
  const auto finished = drainer.update(desired, actual, TimePoint{} + 1s);
  REQUIRE(finished.size() == 1);  // b was idle
  CHECK(finished[0].key.dest == b.key);
  REQUIRE(desired.find(key) != nullptr);
  CHECK(desired.find(key)->service.scheduler == "wlc");  // as the kernel has it: no set
  CHECK(diff(desired, actual, owned).to_string() ==
        "~ dest 10.0.0.2:80 in TCP 10.0.0.10:80 weight 1 -> 0\n- dest 10.0.0.3:80 from TCP 10.0.0.10:80\n");

  actual.services.at(key).dests.erase(b.key);
  actual.services.at(key).dests.at(a.key).active_conns = 0;
  desired = Table{};
  CHECK(drainer.update(desired, actual, TimePoint{} + 2s).size() == 1);
  CHECK(diff(desired, actual, owned).to_string() ==
        "- dest 10.0.0.2:80 from TCP 10.0.0.10:80\n- service TCP 10.0.0.10:80\n");
}

TEST_CASE("returned and vanished real servers stop draining", "[drain]") {
  const auto key = tcp("10.0.0.10", 80);
  Dest a = dest("10.0.0.2", 80);
  a.active_conns = 3;
  const Table actual = with_dests(key, {a});
  Drainer drainer(300s);

  SECTION("back in the config on the next reload") {
    drainer.start(key, a.key, TimePoint{});
    drainer.start_removed({}, with_dests(key, {a}), TimePoint{});
    CHECK(drainer.size() == 0);
  }
  SECTION("back in the desired table") {
    drainer.start(key, a.key, TimePoint{});
    Table desired = with_dests(key, {dest("10.0.0.2", 80, 5)});
    const auto finished = drainer.update(desired, actual, TimePoint{});
    REQUIRE(finished.size() == 1);
    CHECK(finished[0].outcome == DrainOutcome::returned);
    CHECK(desired.find_dest(key, a.key)->weight == 5);
  }
  SECTION("deleted by someone else") {
    drainer.start(key, dest("10.0.0.9", 80).key, TimePoint{});
    Table desired = with_dests(key, {});
    const auto finished = drainer.update(desired, actual, TimePoint{});
    REQUIRE(finished.size() == 1);
    CHECK(finished[0].outcome == DrainOutcome::gone);
    CHECK(to_string(finished[0].outcome) == "gone");
  }
}
