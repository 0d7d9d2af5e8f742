// vigil's lossless planned handover: on a planned stop or demote the master sends priority 0 but
// keeps the addresses until the successor's first advert, bounded by handover_deadline().
#include "vrrp_test_support.hpp"

using namespace vrrp_test;
using vrrp::ArmTimer;
using vrrp::CancelTimer;
using vrrp::ClaimAddresses;
using vrrp::Demote;
using vrrp::FaultChanged;
using vrrp::HandoverAborted;
using vrrp::HandoverDone;
using vrrp::HandoverTimedOut;
using vrrp::HandoverWaiting;
using vrrp::Notify;
using vrrp::Promote;
using vrrp::Reason;
using vrrp::ReleaseAddresses;
using vrrp::Router;
using vrrp::SendAdvert;
using vrrp::Shutdown;
using vrrp::Startup;
using vrrp::State;
using vrrp::TimerId;
using vrrp::Transition;

namespace {
const Duration k_deadline_1s{3'996'093};  // MDI of a priority-1 backup at 1 s: 3 s + 255/256 s
}

TEST_CASE("planned stop: priority 0 is sent but the addresses stay", "[handover]") {
  TimePoint became{};
  Router r = master_at(v3_config(150), &became);
  const TimePoint stop = became + 400ms;
  const auto out = r.handle(Shutdown{true}, stop);
  CHECK(r.state() == State::handover);
  CHECK(contains(out, Transition{State::master, State::handover, Reason::shutdown}));
  CHECK(contains(out, SendAdvert{0}));
  CHECK(contains(out, ArmTimer{TimerId::advert, stop + 1s}));
  CHECK(contains(out, ArmTimer{TimerId::handover_deadline, stop + k_deadline_1s}));
  CHECK(contains(out, HandoverWaiting{k_deadline_1s}));
  CHECK(count_of<ReleaseAddresses>(out) == 0);
  CHECK(count_of<Notify>(out) == 0);  // still master to scripts
  CHECK(r.holds_addresses());

  SECTION("priority 0 is repeated every advert interval while waiting") {
    const auto tick = r.handle(expired(TimerId::advert), stop + 1s);
    CHECK(tick == std::vector<vrrp::Action>{SendAdvert{0}, ArmTimer{TimerId::advert, stop + 2s}});
  }
  SECTION("the successor's first advert releases at once") {
    const TimePoint spoke = stop + 62ms;
    const auto done = r.handle(advert_from("198.18.0.2", 100, r.config()), spoke);
    CHECK(r.state() == State::initialize);
    CHECK(contains(done, HandoverDone{ip("198.18.0.2"), 62ms}));
    CHECK(contains(done, ReleaseAddresses{}));
    CHECK(contains(done, Transition{State::handover, State::initialize, Reason::successor}));
    CHECK(contains(done, CancelTimer{TimerId::advert}));
    CHECK(contains(done, CancelTimer{TimerId::handover_deadline}));
    CHECK(contains(done, Notify{State::initialize}));
    CHECK(count_of<SendAdvert>(done) == 0);
    CHECK_FALSE(r.holds_addresses());
  }
  SECTION("a priority-0 advert from someone else is not a successor") {
    CHECK(r.handle(advert_from("198.18.0.3", 0, r.config()), stop + 10ms).empty());
    CHECK(r.state() == State::handover);
  }
  SECTION("nobody answers: release at the deadline and say so") {
    const auto late = r.handle(expired(TimerId::handover_deadline), stop + k_deadline_1s);
    CHECK(r.state() == State::initialize);
    CHECK(contains(late, HandoverTimedOut{k_deadline_1s, true}));
    CHECK(contains(late, ReleaseAddresses{}));
    CHECK(contains(late, Transition{State::handover, State::initialize, Reason::no_successor}));
  }
  SECTION("a second, forced stop releases at once") {
    const auto forced = r.handle(Shutdown{false}, stop + 1500ms);
    CHECK(r.state() == State::initialize);
    CHECK(contains(forced, HandoverAborted{1500ms, Reason::shutdown}));
    CHECK(contains(forced, ReleaseAddresses{}));
  }
  SECTION("a fault during the wait releases at once") {
    const auto fault = r.handle(FaultChanged{true}, stop + 20ms);
    CHECK(r.state() == State::fault);
    CHECK(contains(fault, HandoverAborted{20ms, Reason::fault}));
    CHECK(contains(fault, ReleaseAddresses{}));
  }
}

TEST_CASE("the handover deadline follows the advert interval and down_timer_adverts", "[handover]") {
  auto c = v3_config(150, 100ms);
  c.down_timer_adverts = 5;
  Router r = master_at(c);
  const auto out = r.handle(Shutdown{}, t0 + 10s);
  CHECK(contains(out, HandoverWaiting{vrrp::master_down_interval(1, 100ms, 5)}));
}

TEST_CASE("lossless=false and lossless_handover off: keepalived's stop", "[handover]") {
  auto check_keepalived_stop = [](Router& r, const vrrp::Event& stop) {
    const auto out = r.handle(stop, t0 + 10s);
    CHECK(r.state() == State::initialize);
    CHECK(contains(out, Transition{State::master, State::initialize, Reason::shutdown}));
    CHECK(contains(out, SendAdvert{0}));
    CHECK(contains(out, ReleaseAddresses{}));
    CHECK(position(out, SendAdvert{0}) < position(out, ReleaseAddresses{}));
    CHECK(count_of<HandoverWaiting>(out) == 0);
  };
  SECTION("Shutdown{lossless=false}") {
    Router r = master_at(v3_config(150));
    check_keepalived_stop(r, Shutdown{false});
  }
  SECTION("config lossless_handover = false") {
    auto c = v3_config(150);
    c.lossless_handover = false;
    Router r = master_at(c);
    check_keepalived_stop(r, Shutdown{true});
  }
}

TEST_CASE("a whole planned stop between two routers loses nothing", "[handover][script]") {
  // master a (150) and backup b (100); a stops at T. b hears priority 0 and takes over after
  // Skew_Time; its first advert reaches a, which releases in the same instant. At no moment is
  // nobody holding the VIP.
  auto ca = v3_config(150);
  auto cb = v3_config(100);
  cb.primary_address = ip("198.18.0.2");
  TimePoint became{};
  Router a = master_at(ca, &became);
  const TimePoint T = became + 10s;
  Router b = backup_following(cb, "198.18.0.1", 150, T - 300ms);

  const auto stop = a.handle(Shutdown{true}, T);
  REQUIRE(contains(stop, SendAdvert{0}));
  const auto heard = b.handle(advert_from("198.18.0.1", 0, ca), T);
  const auto takeover_at = armed_at(heard, TimerId::master_down);
  REQUIRE(takeover_at == T + vrrp::skew_time(100, 1s));  // 609.375 ms

  CHECK(a.holds_addresses());  // still answering ARP for the VIP meanwhile
  const auto up = b.handle(expired(TimerId::master_down), *takeover_at);
  REQUIRE(contains(up, ClaimAddresses{}));
  REQUIRE(contains(up, SendAdvert{100}));
  const auto done = a.handle(advert_from("198.18.0.2", 100, ca), *takeover_at);
  CHECK(contains(done, HandoverDone{ip("198.18.0.2"), vrrp::skew_time(100, 1s)}));
  CHECK(contains(done, ReleaseAddresses{}));
  CHECK(a.state() == State::initialize);
  CHECK(b.state() == State::master);
}

TEST_CASE("demote: hand over to a peer and stay as a backup that does not preempt", "[handover][demote]") {
  TimePoint became{};
  Router r = master_at(v3_config(150), &became);
  const TimePoint d = became + 1s;
  auto out = r.handle(Demote{}, d);
  CHECK(r.demoted());
  CHECK(r.state() == State::handover);
  CHECK(contains(out, Transition{State::master, State::handover, Reason::demote}));
  CHECK(contains(out, SendAdvert{0}));
  CHECK(count_of<ReleaseAddresses>(out) == 0);

  SECTION("the successor speaks: release and become Backup following it") {
    const TimePoint spoke = d + 610ms;
    out = r.handle(advert_from("198.18.0.2", 100, r.config(), 200ms), spoke);
    CHECK(r.state() == State::backup);
    CHECK(contains(out, HandoverDone{ip("198.18.0.2"), 610ms}));
    CHECK(contains(out, ReleaseAddresses{}));
    CHECK(contains(out, Notify{State::backup}));
    CHECK(contains(out, ArmTimer{TimerId::master_down, spoke + vrrp::master_down_interval(150, 200ms)}));

    // The lower-priority successor is followed, not preempted.
    const TimePoint later = spoke + 200ms;
    CHECK(contains(r.handle(advert_from("198.18.0.2", 100, r.config(), 200ms), later),
                   ArmTimer{TimerId::master_down, later + vrrp::master_down_interval(150, 200ms)}));

    // Promote: preemption resumes, the next lower advert is discarded.
    CHECK(r.handle(Promote{}, later + 1ms).empty());
    CHECK_FALSE(r.demoted());
    CHECK(r.handle(advert_from("198.18.0.2", 100, r.config(), 200ms), later + 200ms).empty());
  }
  SECTION("nobody answers: keep the addresses and stay master") {
    out = r.handle(expired(TimerId::handover_deadline), d + k_deadline_1s);
    CHECK(r.state() == State::master);
    CHECK(contains(out, HandoverTimedOut{k_deadline_1s, false}));
    CHECK(contains(out, Transition{State::handover, State::master, Reason::no_successor}));
    CHECK(contains(out, SendAdvert{150}));
    CHECK(count_of<ReleaseAddresses>(out) == 0);
    CHECK(count_of<ClaimAddresses>(out) == 0);  // never released
    CHECK(count_of<Notify>(out) == 0);           // never stopped being master to scripts
    CHECK(r.holds_addresses());
  }
  SECTION("promote during the wait aborts the handover") {
    out = r.handle(Promote{}, d + 100ms);
    CHECK(r.state() == State::master);
    CHECK(contains(out, HandoverAborted{100ms, Reason::promote}));
    CHECK(contains(out, SendAdvert{150}));
    CHECK(count_of<ReleaseAddresses>(out) == 0);
  }
  SECTION("a stop during a demotion becomes a stop") {
    (void)r.handle(Shutdown{true}, d + 100ms);
    CHECK(r.state() == State::handover);
    out = r.handle(advert_from("198.18.0.2", 100, r.config()), d + 700ms);
    CHECK(r.state() == State::initialize);
  }
}

TEST_CASE("demote without lossless_handover: priority 0, release, Backup", "[handover][demote]") {
  auto c = v3_config(150);
  c.lossless_handover = false;
  Router r = master_at(c);
  const auto out = r.handle(Demote{}, t0 + 10s);
  CHECK(r.state() == State::backup);
  CHECK(contains(out, SendAdvert{0}));
  CHECK(contains(out, ReleaseAddresses{}));
  CHECK(contains(out, Transition{State::master, State::backup, Reason::demote}));
}

TEST_CASE("stop or demote outside Master", "[handover]") {
  SECTION("a backup just stops") {
    Router r{v3_config(100)};
    (void)r.handle(Startup{}, t0);
    const auto out = r.handle(Shutdown{true}, t0 + 1s);
    CHECK(r.state() == State::initialize);
    CHECK(count_of<SendAdvert>(out) == 0);
    CHECK(count_of<HandoverWaiting>(out) == 0);
  }
  SECTION("a faulted router just stops") {
    Router r{v3_config(100)};
    (void)r.handle(Startup{}, t0);
    (void)r.handle(FaultChanged{true}, t0);
    const auto out = r.handle(Shutdown{true}, t0 + 1s);
    CHECK(r.state() == State::initialize);
    CHECK(count_of<ReleaseAddresses>(out) == 0);
  }
  SECTION("a demoted backup does not take over a lower master") {
    Router r{v3_config(150)};
    CHECK(r.handle(Demote{}, t0).empty());
    (void)r.handle(Startup{}, t0);
    CHECK_FALSE(r.handle(advert_from("198.18.0.2", 100, r.config()), t0 + 1s).empty());
  }
  SECTION("a demoted backup still takes over when nobody is master") {
    Router r{v3_config(150)};
    (void)r.handle(Demote{}, t0);
    (void)r.handle(Startup{}, t0);
    (void)r.handle(expired(TimerId::master_down), t0 + r.master_down_interval());
    CHECK(r.state() == State::master);
  }
}
