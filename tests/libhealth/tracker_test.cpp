// DOC: Tracker rules, one case per keepalived rule, with time as plain values.
#include <catch2/catch.hpp>

#include "libhealth/core/tracker.hpp"

using namespace std::chrono_literals;
using health::Health;
using health::ProbeResult;
using health::TimePoint;
using health::Timing;
using health::Tracker;

namespace {
Timing timing(std::uint32_t retry, bool alpha = false) {
  Timing t;
  t.delay_loop = 10s;
  t.delay_before_retry = 2s;
  t.retry = retry;
  t.alpha = alpha;
  return t;
}
const ProbeResult ok = ProbeResult::success("connected");
const ProbeResult timeout = ProbeResult::failure("connect timeout after 3 s");
const TimePoint t0{};
}  // namespace

TEST_CASE("a check starts up, or down with alpha", "[tracker]") {
  CHECK(Tracker(timing(1)).state() == Health::up);
  CHECK(Tracker(timing(1, true)).state() == Health::down);
  CHECK(Tracker(timing(1, true), Health::up).state() == Health::up);  // carried state wins
}

TEST_CASE("retry N: N retries after delay_before_retry, then down with the reason", "[tracker]") {
  Tracker t(timing(3));
  TimePoint now = t0;
  for (std::uint32_t i = 1; i <= 3; ++i) {
    const auto step = t.on_result(timeout, now);
    CHECK_FALSE(step.transition);
    CHECK(step.failures == i);
    CHECK(step.next_probe == now + 2s);
    CHECK(t.state() == Health::up);
    now = step.next_probe;
  }
  const auto step = t.on_result(timeout, now);
  REQUIRE(step.transition);
  CHECK(step.transition->from == Health::up);
  CHECK(step.transition->to == Health::down);
  CHECK(step.transition->reason == "connect timeout after 3 s, 3 of 3 retries");
  CHECK(step.next_probe == now + 10s);
  CHECK(t.state() == Health::down);
}

TEST_CASE("retry 0: the first failure takes the check down", "[tracker]") {
  Tracker t(timing(0));
  const auto step = t.on_result(timeout, t0);
  REQUIRE(step.transition);
  CHECK(step.transition->reason == "connect timeout after 3 s");
  CHECK(step.next_probe == t0 + 10s);
}

TEST_CASE("a down check is probed once per delay_loop, without retries or repeated transitions", "[tracker]") {
  Tracker t(timing(3, true));
  TimePoint now = t0;
  for (int i = 0; i < 5; ++i) {
    const auto step = t.on_result(timeout, now);
    CHECK_FALSE(step.transition);
    CHECK(step.next_probe == now + 10s);
    now = step.next_probe;
  }
  CHECK(t.state() == Health::down);
}

TEST_CASE("one success brings a down check up", "[tracker]") {
  Tracker t(timing(3, true));
  const auto step = t.on_result(ok, t0);
  REQUIRE(step.transition);
  CHECK(step.transition->from == Health::down);
  CHECK(step.transition->to == Health::up);
  CHECK(step.transition->reason == "connected");
  CHECK(step.next_probe == t0 + 10s);
  CHECK_FALSE(t.on_result(ok, t0 + 10s).transition);  // reported once
}

TEST_CASE("a success during retries resets the count", "[tracker]") {
  Tracker t(timing(2));
  TimePoint now = t0;
  CHECK(t.on_result(timeout, now).failures == 1);
  CHECK(t.on_result(timeout, now += 2s).failures == 2);
  const auto recovered = t.on_result(ok, now += 2s);
  CHECK_FALSE(recovered.transition);
  CHECK(recovered.next_probe == now + 10s);
  CHECK(t.failures() == 0);
  CHECK_FALSE(t.on_result(timeout, now += 10s).transition);
  CHECK_FALSE(t.on_result(timeout, now += 2s).transition);
  CHECK(t.on_result(timeout, now += 2s).transition);  // the third failure in a row
}

TEST_CASE("after going down, a recovery and new failures need the full retry count again", "[tracker]") {
  Tracker t(timing(1));
  CHECK_FALSE(t.on_result(timeout, t0).transition);
  CHECK(t.on_result(timeout, t0 + 2s).transition);
  CHECK(t.on_result(ok, t0 + 12s).transition);
  CHECK_FALSE(t.on_result(timeout, t0 + 22s).transition);
  CHECK(t.on_result(timeout, t0 + 24s).transition);
}

TEST_CASE("the first probe comes at a random offset within warmup, else within delay_loop", "[tracker]") {
  Timing with_warmup = timing(1);
  with_warmup.warmup = 4s;
  CHECK(Tracker(with_warmup).first_probe(t0, 0.0) == t0);
  CHECK(Tracker(with_warmup).first_probe(t0, 0.5) == t0 + 2s);
  CHECK(Tracker(with_warmup).first_probe(t0, 1.0) == t0 + 4s);
  CHECK(Tracker(timing(1)).first_probe(t0, 0.25) == t0 + 2500ms);
  CHECK(Tracker(timing(1)).first_probe(t0, 7.0) == t0 + 10s);   // clamped
  CHECK(Tracker(timing(1)).first_probe(t0, -1.0) == t0);
  Timing no_warmup = timing(1);
  no_warmup.warmup = 0s;
  CHECK(Tracker(no_warmup).first_probe(t0, 0.9) == t0);
}

TEST_CASE("a check that starts down is probed within a second unless warmup says otherwise", "[tracker]") {
  CHECK(Tracker(timing(1, true)).first_probe(t0, 0.5) == t0 + 500ms);        // not 5 s: alpha
  CHECK(Tracker(timing(1), Health::down).first_probe(t0, 1.0) == t0 + 1s);   // carried down
  Timing slow = timing(1, true);
  slow.warmup = 8s;
  CHECK(Tracker(slow).first_probe(t0, 0.5) == t0 + 4s);  // an explicit warmup wins
}
