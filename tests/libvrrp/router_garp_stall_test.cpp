// Gratuitous ARP / NA scheduling (keepalived garp_master_*, garp_lower_prio_*) and stall
// awareness (keepalived timer_expired_backup).
#include "vrrp_test_support.hpp"

using namespace vrrp_test;
using vrrp::ArmTimer;
using vrrp::CancelTimer;
using vrrp::GarpReason;
using vrrp::Reason;
using vrrp::ReleaseAddresses;
using vrrp::Router;
using vrrp::SendAdvert;
using vrrp::SendGratuitous;
using vrrp::Stalled;
using vrrp::Startup;
using vrrp::State;
using vrrp::TimerId;
using vrrp::Transition;

namespace {
vrrp::RouterConfig garp_config() {
  auto c = v3_config(150);
  c.garp = vrrp::GarpConfig{};  // keepalived defaults: 5 s delay, 5 repeats, no refresh
  return c;
}
}  // namespace

TEST_CASE("becoming master: one GARP burst now and one after garp_master_delay", "[garp]") {
  Router r{garp_config()};
  (void)r.handle(Startup{}, t0);
  const TimePoint up = t0 + r.master_down_interval();
  const auto out = r.handle(expired(TimerId::master_down), up);
  CHECK(contains(out, SendGratuitous{5, GarpReason::became_master}));
  // Hosts learn the new MAC before a master handing over to us hears our advert and releases.
  CHECK(position(out, SendGratuitous{5, GarpReason::became_master}) < position(out, SendAdvert{150}));
  CHECK(contains(out, ArmTimer{TimerId::garp_delay, up + 5s}));
  CHECK(count_of<ArmTimer>(out) == 2);  // advert + garp_delay; refresh is off

  CHECK(r.handle(expired(TimerId::garp_delay), up + 5s) ==
        std::vector<vrrp::Action>{SendGratuitous{5, GarpReason::master_delay}});
}

TEST_CASE("garp_master_refresh repeats while master", "[garp]") {
  auto c = garp_config();
  c.garp.master_delay = 0ms;
  c.garp.master_refresh = 60s;
  c.garp.master_refresh_repeat = 2;
  Router r{c};
  (void)r.handle(Startup{}, t0);
  const TimePoint up = t0 + r.master_down_interval();
  CHECK(contains(r.handle(expired(TimerId::master_down), up), ArmTimer{TimerId::garp_refresh, up + 60s}));
  CHECK(r.handle(expired(TimerId::garp_refresh), up + 60s) ==
        std::vector<vrrp::Action>{SendGratuitous{2, GarpReason::refresh},
                                  ArmTimer{TimerId::garp_refresh, up + 120s}});
}

TEST_CASE("leaving master cancels the GARP timers", "[garp]") {
  auto c = garp_config();
  c.garp.master_refresh = 60s;
  Router r{c};
  (void)r.handle(Startup{}, t0);
  const TimePoint up = t0 + r.master_down_interval();
  (void)r.handle(expired(TimerId::master_down), up);
  const auto out = r.handle(advert_from("198.18.0.2", 200, c), up + 1s);
  CHECK(contains(out, CancelTimer{TimerId::garp_delay}));
  CHECK(contains(out, CancelTimer{TimerId::garp_refresh}));
  CHECK(contains(out, CancelTimer{TimerId::advert}));
  CHECK(r.handle(expired(TimerId::garp_delay), up + 5s).empty());
}

TEST_CASE("a lower-priority advert to a master re-announces the addresses (split brain)", "[garp]") {
  Router r{garp_config()};
  (void)r.handle(Startup{}, t0);
  const TimePoint up = t0 + r.master_down_interval();
  (void)r.handle(expired(TimerId::master_down), up);

  const TimePoint t = up + 2s;
  auto out = r.handle(advert_from("198.18.0.2", 100, r.config()), t);
  // Defaults follow garp_master_*: 5 now, 5 more after 5 s.
  CHECK(contains(out, SendGratuitous{5, GarpReason::lower_priority}));
  CHECK(contains(out, ArmTimer{TimerId::garp_lower_prio, t + 5s}));

  // A flood of lower adverts inside the window does not become a GARP flood.
  out = r.handle(advert_from("198.18.0.2", 100, r.config()), t + 100ms);
  CHECK(count_of<SendGratuitous>(out) == 0);
  CHECK(contains(out, SendAdvert{150}));

  CHECK(r.handle(expired(TimerId::garp_lower_prio), t + 5s) ==
        std::vector<vrrp::Action>{SendGratuitous{5, GarpReason::lower_priority_delay}});

  SECTION("garp_lower_prio_repeat 0 turns it off") {
    auto c = garp_config();
    c.garp.lower_prio_repeat = 0;
    Router quiet{c};
    (void)quiet.handle(Startup{}, t0);
    (void)quiet.handle(expired(TimerId::master_down), up);
    CHECK(count_of<SendGratuitous>(quiet.handle(advert_from("198.18.0.2", 100, c), t)) == 0);
  }
}

TEST_CASE("stall: an advert timer that fires too late is reported", "[stall]") {
  TimePoint became{};
  Router r = master_at(v3_config(150), &became);
  // Due at became + 1 s; the process was descheduled and it runs 4 s late. 5 s of silence exceeds
  // the Master_Down_Interval of a priority-254 peer (3 s + 7.8 ms).
  const TimePoint late = became + 5s;
  const auto out = r.handle(expired(TimerId::advert), late);
  CHECK(contains(out, Stalled{4s, 5s, false}));
  CHECK(r.state() == State::master);  // timer_expired_backup is off: carry on
  CHECK(contains(out, SendAdvert{150}));
  CHECK(contains(out, ArmTimer{TimerId::advert, late + 1s}));
}

TEST_CASE("stall with timer_expired_backup: step down to Backup", "[stall]") {
  auto c = v3_config(150);
  c.timer_expired_backup = true;
  TimePoint became{};
  Router r = master_at(c, &became);
  const TimePoint late = became + 5s;
  const auto out = r.handle(expired(TimerId::advert), late);
  CHECK(contains(out, Stalled{4s, 5s, true}));
  CHECK(r.state() == State::backup);
  CHECK(contains(out, Transition{State::master, State::backup, Reason::stalled}));
  CHECK(contains(out, SendAdvert{0}));
  CHECK(contains(out, ReleaseAddresses{}));
  CHECK(contains(out, ArmTimer{TimerId::master_down, late + r.master_down_interval()}));
}

TEST_CASE("stall threshold: the quickest peer's Master_Down_Interval", "[stall]") {
  TimePoint became{};
  SECTION("a little late is not a stall") {
    Router r = master_at(v3_config(150), &became);
    CHECK(count_of<Stalled>(r.handle(expired(TimerId::advert), became + 1s + 900ms)) == 0);
  }
  SECTION("just past 3 s + 7 812 us of silence is, with the default peer priority 254") {
    Router r = master_at(v3_config(150), &became);
    CHECK(count_of<Stalled>(r.handle(expired(TimerId::advert), became + Duration{3'007'812})) == 0);
    Router r2 = master_at(v3_config(150), &became);
    CHECK(count_of<Stalled>(r2.handle(expired(TimerId::advert), became + Duration{3'007'813})) == 1);
  }
  SECTION("highest_other_priority 1 allows up to 3 s + 996 ms") {
    auto c = v3_config(150);
    c.timer_expired_backup = true;
    c.highest_other_priority = 1;
    Router r = master_at(c, &became);
    CHECK(count_of<Stalled>(r.handle(expired(TimerId::advert), became + 3500ms)) == 0);
    CHECK(r.state() == State::master);
  }
}
