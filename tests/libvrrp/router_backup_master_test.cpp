// RFC 5798 §6.4.1–§6.4.3 basics as scripts: startup, Master_Down_Timer, Adver_Timer, interval
// adoption, address owner, shutdown, stale timers, adverts the router must ignore.
#include "vrrp_test_support.hpp"

using namespace vrrp_test;
using vrrp::AdvertIgnored;
using vrrp::AddressListMismatch;
using vrrp::ArmTimer;
using vrrp::CancelTimer;
using vrrp::ClaimAddresses;
using vrrp::IgnoreReason;
using vrrp::Notify;
using vrrp::Reason;
using vrrp::ReleaseAddresses;
using vrrp::Router;
using vrrp::SendAdvert;
using vrrp::Shutdown;
using vrrp::Startup;
using vrrp::State;
using vrrp::TimerId;
using vrrp::Transition;

TEST_CASE("startup: Initialize -> Backup with Master_Down_Timer (RFC 5798 §6.4.1)", "[router][rfc]") {
  Router r{v3_config(100)};
  CHECK(r.state() == State::initialize);
  const auto out = r.handle(Startup{}, t0);
  CHECK(r.state() == State::backup);
  CHECK(contains(out, Transition{State::initialize, State::backup, Reason::startup}));
  CHECK(contains(out, ArmTimer{TimerId::master_down, t0 + Duration{3'609'375}}));
  CHECK(contains(out, Notify{State::backup}));
  CHECK(count_of<SendAdvert>(out) == 0);
  CHECK(count_of<ClaimAddresses>(out) == 0);
}

TEST_CASE("Master_Down_Timer fires: Backup -> Master (RFC 5798 §6.4.2)", "[router][rfc]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  const TimePoint t1 = t0 + r.master_down_interval();
  const auto out = r.handle(expired(TimerId::master_down), t1);
  CHECK(r.state() == State::master);
  CHECK(contains(out, Transition{State::backup, State::master, Reason::master_down}));
  CHECK(contains(out, ClaimAddresses{}));
  CHECK(contains(out, SendAdvert{100}));
  CHECK(contains(out, ArmTimer{TimerId::advert, t1 + 1s}));
  CHECK(contains(out, Notify{State::master}));
  // The addresses are in place before the first advert announces us.
  CHECK(position(out, ClaimAddresses{}) < position(out, SendAdvert{100}));
  CHECK(r.holds_addresses());
}

TEST_CASE("Adver_Timer fires: Master sends and re-arms (RFC 5798 §6.4.3)", "[router][rfc]") {
  TimePoint became{};
  Router r = master_at(v3_config(100), &became);
  const TimePoint t = became + 1s;
  const auto out = r.handle(expired(TimerId::advert), t);
  CHECK(r.state() == State::master);
  CHECK(out.size() == 2);
  CHECK(contains(out, SendAdvert{100}));
  CHECK(contains(out, ArmTimer{TimerId::advert, t + 1s}));
}

TEST_CASE("a backup that hears its master restarts Master_Down_Timer", "[router][rfc]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  const TimePoint t1 = t0 + 2s;
  const auto out = r.handle(advert_from("198.18.0.2", 150, r.config()), t1);
  CHECK(r.state() == State::backup);
  CHECK(contains(out, ArmTimer{TimerId::master_down, t1 + Duration{3'609'375}}));
  CHECK(r.master_address() == ip("198.18.0.2"));
  // The old expiry time has passed the original deadline but the timer was re-armed: stale.
  CHECK(r.handle(expired(TimerId::master_down), t0 + Duration{3'609'375}).empty());
  CHECK(r.state() == State::backup);
}

TEST_CASE("v2 timers: 1 s priority 100 gives Master_Down_Interval 3 609 375 us", "[router][v2]") {
  Router r{v2_config(100)};
  const auto out = r.handle(Startup{}, t0);
  CHECK(contains(out, ArmTimer{TimerId::master_down, t0 + Duration{3'609'375}}));
  CHECK(r.master_down_interval() == Duration{3'609'375});
}

TEST_CASE("v3 timers at 10 ms and at 1 s", "[router][v3]") {
  SECTION("10 ms, priority 100: 3 × 10 ms + 6.09375 ms, truncated to 36 093 us") {
    Router r{v3_config(100, 10ms)};
    const auto out = r.handle(Startup{}, t0);
    CHECK(contains(out, ArmTimer{TimerId::master_down, t0 + Duration{36'093}}));
    (void)r.handle(expired(TimerId::master_down), t0 + Duration{36'093});
    const auto tx = r.handle(expired(TimerId::advert), t0 + Duration{46'093});
    CHECK(contains(tx, ArmTimer{TimerId::advert, t0 + Duration{56'093}}));
  }
  SECTION("1 s, priority 200: skew 218.75 ms") {
    Router r{v3_config(200, 1s)};
    const auto out = r.handle(Startup{}, t0);
    CHECK(contains(out, ArmTimer{TimerId::master_down, t0 + Duration{3'218'750}}));
  }
}

TEST_CASE("v3 backup adopts the master's interval and reverts to its own as master", "[router][v3]") {
  Router r{v3_config(100, 1s)};
  (void)r.handle(Startup{}, t0);

  // RFC 5798 §6.4.2: Master_Adver_Interval := the advert's Max Adver Int; skew and MDI follow.
  const TimePoint t1 = t0 + 500ms;
  auto out = r.handle(advert_from("198.18.0.2", 150, r.config(), 100ms), t1);
  CHECK(r.master_adver_interval() == 100ms);
  CHECK(contains(out, ArmTimer{TimerId::master_down, t1 + Duration{360'937}}));

  // §6.4.2 "Backup -> Master": a master advertises its own interval again.
  const TimePoint t2 = t1 + Duration{360'937};
  out = r.handle(expired(TimerId::master_down), t2);
  CHECK(r.state() == State::master);
  CHECK(r.master_adver_interval() == 1s);
  CHECK(contains(out, ArmTimer{TimerId::advert, t2 + 1s}));
}

TEST_CASE("v2 adverts with another interval are dropped (RFC 3768 §7.1)", "[router][v2]") {
  Router r{v2_config(100)};
  (void)r.handle(Startup{}, t0);
  const auto out = r.handle(advert_from("198.18.0.2", 150, r.config(), 2s), t0 + 1s);
  CHECK(out == std::vector<vrrp::Action>{AdvertIgnored{IgnoreReason::interval_mismatch}});
  CHECK(r.master_adver_interval() == 1s);
}

TEST_CASE("the address owner (priority 255) becomes master at once", "[router][rfc]") {
  Router r{v3_config(255)};
  const auto out = r.handle(Startup{}, t0);
  CHECK(r.state() == State::master);
  CHECK(contains(out, Transition{State::initialize, State::master, Reason::address_owner}));
  CHECK(contains(out, ClaimAddresses{}));
  CHECK(contains(out, SendAdvert{255}));
  CHECK(contains(out, ArmTimer{TimerId::advert, t0 + 1s}));
  CHECK(count_of<ArmTimer>(out) == 1);  // no Master_Down_Timer
}

TEST_CASE("shutdown from Backup stops the timer and notifies", "[router][rfc]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  const auto out = r.handle(Shutdown{}, t0 + 1s);
  CHECK(r.state() == State::initialize);
  CHECK(contains(out, Transition{State::backup, State::initialize, Reason::shutdown}));
  CHECK(contains(out, CancelTimer{TimerId::master_down}));
  CHECK(contains(out, Notify{State::initialize}));
  CHECK(count_of<SendAdvert>(out) == 0);
  CHECK(count_of<ReleaseAddresses>(out) == 0);
  // A stopped router ignores its timer if the expiry was already queued.
  CHECK(r.handle(expired(TimerId::master_down), t0 + 10s).empty());
}

TEST_CASE("events that do not apply are ignored", "[router]") {
  Router r{v3_config(100)};
  CHECK(r.handle(expired(TimerId::master_down), t0 + 10s).empty());  // never armed
  CHECK(r.handle(advert_from("198.18.0.2", 150, r.config()), t0).empty());  // not started
  CHECK(r.handle(Shutdown{}, t0).empty());
  (void)r.handle(Startup{}, t0);
  CHECK(r.handle(Startup{}, t0).empty());  // already running
  CHECK(r.handle(expired(TimerId::master_down), t0 + 1s).empty());  // not due yet
  CHECK(r.handle(expired(TimerId::advert), t0 + 1s).empty());       // not armed in Backup
}

TEST_CASE("adverts that are ours or of another version are ignored and counted", "[router]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  CHECK(r.handle(advert_from("198.18.0.1", 150, r.config()), t0) ==
        std::vector<vrrp::Action>{AdvertIgnored{IgnoreReason::own_address}});
  auto v2 = advert_from("198.18.0.2", 150, r.config());
  v2.advert.version = 2;
  CHECK(r.handle(v2, t0) == std::vector<vrrp::Action>{AdvertIgnored{IgnoreReason::version_mismatch}});
}

TEST_CASE("an address list mismatch is reported but the advert still counts", "[router]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  auto a = advert_from("198.18.0.2", 150, r.config());
  a.advert.addresses = {ip("198.18.0.200")};
  const auto out = r.handle(a, t0 + 1s);
  CHECK(contains(out, AddressListMismatch{ip("198.18.0.2")}));
  CHECK(contains(out, ArmTimer{TimerId::master_down, t0 + 1s + Duration{3'609'375}}));

  // Order does not matter.
  auto c = v3_config(100);
  c.addresses = {ip("198.18.0.100"), ip("198.18.0.101")};
  Router r2{c};
  (void)r2.handle(Startup{}, t0);
  auto b = advert_from("198.18.0.2", 150, c);
  b.advert.addresses = {ip("198.18.0.101"), ip("198.18.0.100")};
  CHECK(count_of<AddressListMismatch>(r2.handle(b, t0)) == 0);
}

TEST_CASE("transition log line format", "[router]") {
  const Transition t{State::backup, State::master, Reason::master_down};
  CHECK(vrrp::transition_line("VI_1", vigil::Family::v4, t) == "[VI_1/v4] backup -> master (master_down expired)");
  CHECK(vrrp::transition_line("VI_6", vigil::Family::v6, Transition{State::master, State::handover, Reason::shutdown}) ==
        "[VI_6/v6] master -> handover (shutdown)");
  CHECK(vrrp::to_string(vrrp::Action{ArmTimer{TimerId::master_down, t0 + 3s}}) == "ArmTimer{master_down, +3000000us}");
}
