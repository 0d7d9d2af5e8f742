// DOC: Scheduler ordering, in-flight cap, lateness accounting, fairness past saturation, and the
// start jitter that keeps 10,000 checks with delay_loop 1 from firing in the same millisecond.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>

#include "libhealth/core/loop_budget.hpp"
#include "libhealth/core/saturation_monitor.hpp"
#include "libhealth/core/scheduler.hpp"
#include "libhealth/core/tracker.hpp"

using namespace std::chrono_literals;
using health::ProbeId;
using health::Scheduler;
using health::SchedulerOptions;
using health::TimePoint;

namespace {
const TimePoint t0{};
}

TEST_CASE("probes start earliest due first, and only once due", "[scheduler]") {
  Scheduler s;
  s.schedule(1, t0 + 3s);
  s.schedule(2, t0 + 1s);
  s.schedule(3, t0 + 2s);
  CHECK_FALSE(s.pop_due(t0));
  CHECK(s.next_due() == t0 + 1s);
  CHECK(s.pop_due(t0 + 5s) == ProbeId{2});  // the most overdue first
  CHECK(s.pop_due(t0 + 5s) == ProbeId{3});
  CHECK(s.pop_due(t0 + 5s) == ProbeId{1});
  CHECK_FALSE(s.pop_due(t0 + 5s));
  CHECK(s.stats().in_flight == 3);
}

TEST_CASE("rescheduling replaces the entry - remove forgets queue and in-flight", "[scheduler]") {
  Scheduler s;
  s.schedule(1, t0 + 1s);
  s.schedule(1, t0 + 5s);
  CHECK(s.stats().queued == 1);
  CHECK(s.next_due() == t0 + 5s);
  REQUIRE(s.pop_due(t0 + 5s) == ProbeId{1});
  s.schedule(1, t0 + 6s);  // next round queued while this one runs
  CHECK(s.in_flight(1));
  s.remove(1);
  CHECK_FALSE(s.in_flight(1));
  CHECK(s.stats().queued == 0);
}

TEST_CASE("the in-flight cap holds due probes until one finishes", "[scheduler]") {
  Scheduler s(SchedulerOptions{2, 100ms});
  for (ProbeId id = 1; id <= 3; ++id) s.schedule(id, t0);
  CHECK(s.pop_due(t0));
  CHECK(s.pop_due(t0));
  CHECK(s.at_capacity());
  CHECK_FALSE(s.pop_due(t0));
  s.finished(1);
  CHECK(s.pop_due(t0) == ProbeId{3});
}

TEST_CASE("lateness is measured at each start and late rounds are counted", "[scheduler]") {
  Scheduler s(SchedulerOptions{10, 100ms});
  s.schedule(1, t0);
  s.schedule(2, t0);
  (void)s.pop_due(t0 + 50ms);
  (void)s.pop_due(t0 + 300ms);
  const auto stats = s.stats();
  CHECK(stats.started == 2);
  CHECK(stats.late == 1);
  CHECK(stats.max_lateness == 300ms);
  CHECK(stats.total_lateness == 350ms);
  CHECK(stats.lateness_histogram[8] == 1);   // 50 ms: the (25 ms, 50 ms] bucket
  CHECK(stats.lateness_histogram[10] == 1);  // 300 ms: (100 ms, 1 s]
}

TEST_CASE("past saturation every check still runs, at an evenly longer interval", "[scheduler]") {
  // 200 checks with delay_loop 1 s, but capacity for only 100 starts per second (10 per 100 ms
  // turn, each probe finishing at once). Nobody may starve and the stretch must be even.
  constexpr int k_checks = 200;
  Scheduler s(SchedulerOptions{1000, 100ms});
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  health::Timing timing;
  timing.delay_loop = 1s;
  const health::Tracker tracker(timing);
  for (ProbeId id = 1; id <= k_checks; ++id) s.schedule(id, tracker.first_probe(t0, unit(rng)));

  std::map<ProbeId, int> runs;
  for (TimePoint now = t0; now < t0 + 60s; now += 100ms) {
    for (int started = 0; started < 10; ++started) {
      const auto id = s.pop_due(now);
      if (!id) break;
      ++runs[*id];
      s.finished(*id);
      s.schedule(*id, now + timing.delay_loop);
    }
  }
  REQUIRE(runs.size() == k_checks);
  const auto [lo, hi] = std::minmax_element(runs.begin(), runs.end(),
                                            [](const auto& a, const auto& b) { return a.second < b.second; });
  CHECK(hi->second - lo->second <= 1);   // even: no check ran more than one round more than another
  CHECK(lo->second >= 25);               // ~60 s × 100 starts/s / 200 checks = 30 rounds each
  CHECK(s.stats().late > 0);
}

TEST_CASE("10,000 checks with delay_loop 1 s start spread over the second", "[scheduler]") {
  health::Timing timing;
  timing.delay_loop = 1s;
  const health::Tracker tracker(timing);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::map<long long, int> per_ms;
  for (int i = 0; i < 10000; ++i) {
    const auto due = tracker.first_probe(t0, unit(rng));
    ++per_ms[std::chrono::duration_cast<std::chrono::milliseconds>(due - t0).count()];
  }
  int worst = 0;
  for (const auto& [ms, n] : per_ms) worst = std::max(worst, n);
  CHECK(per_ms.size() > 990);  // nearly every millisecond of the second gets some
  CHECK(worst <= 30);          // ~10 expected per millisecond, never thousands
}

TEST_CASE("the saturation monitor logs once per window while late, and once when recovered", "[scheduler]") {
  health::SaturationMonitor m(10s);
  health::SchedulerStats stats;
  CHECK_FALSE(m.observe(stats, t0));
  stats.started = 1000;
  stats.late = 10;
  stats.total_lateness = 2000ms;
  CHECK_FALSE(m.observe(stats, t0 + 5s));  // window not closed yet
  const auto line = m.observe(stats, t0 + 10s);
  REQUIRE(line);
  CHECK(line->find("10 of 1000 probe starts late") != std::string::npos);
  CHECK(line->find("mean lateness 2 ms") != std::string::npos);
  CHECK(m.saturated());
  stats.started = 2000;
  const auto back = m.observe(stats, t0 + 20s);
  REQUIRE(back);
  CHECK(back->find("back on schedule") != std::string::npos);
  CHECK_FALSE(m.saturated());
  stats.started = 3000;
  CHECK_FALSE(m.observe(stats, t0 + 30s));  // quiet while healthy
}

TEST_CASE("the loop budget holds new probes back while the loop thread is too busy", "[scheduler]") {
  health::LoopBudget budget(0.5, 100ms);
  TimePoint now = t0;
  health::Duration busy{0};
  CHECK(budget.allow(now, busy));
  // 20% busy for a while: allowed.
  for (int i = 0; i < 50; ++i) {
    now += 10ms;
    busy += 2ms;
    CHECK(budget.allow(now, busy));
  }
  CHECK(budget.share() == Approx(0.2).margin(0.01));
  // Fully busy: within a window the share passes the cap and starts are held.
  int allowed = 0;
  for (int i = 0; i < 20; ++i) {
    now += 10ms;
    busy += 10ms;
    allowed += budget.allow(now, busy) ? 1 : 0;
  }
  CHECK(allowed < 10);
  CHECK_FALSE(budget.allow(now, busy));
  // Idle again: it recovers.
  for (int i = 0; i < 20; ++i) {
    now += 10ms;
    (void)budget.allow(now, busy);
  }
  CHECK(budget.allow(now, busy));
  CHECK(health::LoopBudget(1.0).allow(t0, 0ms));  // 1.0 disables it
}
