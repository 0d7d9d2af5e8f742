// Fault: tracked interfaces/scripts (FaultChanged) and effective priority 0 (PriorityChanged).
#include "vrrp_test_support.hpp"

using namespace vrrp_test;
using vrrp::ArmTimer;
using vrrp::CancelTimer;
using vrrp::ClaimAddresses;
using vrrp::FaultChanged;
using vrrp::FaultStatus;
using vrrp::Notify;
using vrrp::PriorityChanged;
using vrrp::Reason;
using vrrp::ReleaseAddresses;
using vrrp::Router;
using vrrp::SendAdvert;
using vrrp::Startup;
using vrrp::State;
using vrrp::TimerId;
using vrrp::Transition;

TEST_CASE("a master entering Fault sends priority 0, then releases", "[router][fault]") {
  TimePoint became{};
  Router r = master_at(v3_config(100), &became);
  const TimePoint t = became + 500ms;
  const auto out = r.handle(FaultChanged{true}, t);
  CHECK(r.state() == State::fault);
  CHECK(contains(out, FaultStatus{true}));
  CHECK(contains(out, Transition{State::master, State::fault, Reason::fault}));
  CHECK(contains(out, SendAdvert{0}));
  CHECK(contains(out, ReleaseAddresses{}));
  CHECK(position(out, SendAdvert{0}) < position(out, ReleaseAddresses{}));
  CHECK(contains(out, CancelTimer{TimerId::advert}));
  CHECK(contains(out, Notify{State::fault}));
  CHECK(count_of<ArmTimer>(out) == 0);  // no adverts while faulted
  CHECK_FALSE(r.holds_addresses());
}

TEST_CASE("leaving Fault goes to Backup with a fresh Master_Down_Timer", "[router][fault]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  auto out = r.handle(FaultChanged{true}, t0 + 1s);
  CHECK(contains(out, Transition{State::backup, State::fault, Reason::fault}));
  CHECK(contains(out, CancelTimer{TimerId::master_down}));
  CHECK(count_of<SendAdvert>(out) == 0);  // a backup has nothing to resign

  // Adverts are not processed while faulted.
  CHECK(r.handle(advert_from("198.18.0.2", 150, r.config()), t0 + 2s).empty());

  const TimePoint t = t0 + 5s;
  out = r.handle(FaultChanged{false}, t);
  CHECK(r.state() == State::backup);
  CHECK(contains(out, FaultStatus{false}));
  CHECK(contains(out, Transition{State::fault, State::backup, Reason::fault_cleared}));
  CHECK(contains(out, ArmTimer{TimerId::master_down, t + Duration{3'609'375}}));
  CHECK(contains(out, Notify{State::backup}));
}

TEST_CASE("a fault reported before startup starts the router in Fault", "[router][fault]") {
  Router r{v3_config(100)};
  CHECK(r.handle(FaultChanged{true}, t0) == std::vector<vrrp::Action>{FaultStatus{true}});
  CHECK(r.state() == State::initialize);
  const auto out = r.handle(Startup{}, t0);
  CHECK(r.state() == State::fault);
  CHECK(contains(out, Transition{State::initialize, State::fault, Reason::fault}));
  CHECK(count_of<ArmTimer>(out) == 0);
}

TEST_CASE("effective priority 0 behaves as a fault", "[router][fault]") {
  Router r = master_at(v3_config(100));
  auto out = r.handle(PriorityChanged{0}, t0 + 10s);
  CHECK(r.state() == State::fault);
  CHECK(contains(out, Transition{State::master, State::fault, Reason::priority_zero}));
  CHECK(contains(out, SendAdvert{0}));
  CHECK(contains(out, ReleaseAddresses{}));

  out = r.handle(PriorityChanged{50}, t0 + 20s);
  CHECK(r.state() == State::backup);
  CHECK(r.effective_priority() == 50);
  CHECK(contains(out, ArmTimer{TimerId::master_down, t0 + 20s + vrrp::master_down_interval(50, 1s)}));
}

TEST_CASE("both fault sources must clear", "[router][fault]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  (void)r.handle(FaultChanged{true}, t0);
  (void)r.handle(PriorityChanged{0}, t0);
  CHECK(r.handle(FaultChanged{false}, t0 + 1s).empty());  // priority still 0
  CHECK(r.state() == State::fault);
  (void)r.handle(PriorityChanged{100}, t0 + 2s);
  CHECK(r.state() == State::backup);
}

TEST_CASE("priority changes: new adverts carry the effective priority; only the owner says 255", "[router]") {
  TimePoint became{};
  Router r = master_at(v3_config(100), &became);
  CHECK(r.handle(PriorityChanged{120}, became + 100ms).empty());
  CHECK(contains(r.handle(expired(TimerId::advert), became + 1s), SendAdvert{120}));
  (void)r.handle(PriorityChanged{255}, became + 1100ms);
  CHECK(r.effective_priority() == 254);
}

TEST_CASE("the address owner leaving Fault goes straight to Master, as at startup", "[router][fault]") {
  Router r{v3_config(255)};
  (void)r.handle(FaultChanged{true}, t0);
  (void)r.handle(Startup{}, t0);
  CHECK(r.state() == State::fault);
  const auto out = r.handle(FaultChanged{false}, t0 + 1s);
  CHECK(r.state() == State::master);
  CHECK(contains(out, Transition{State::fault, State::master, Reason::address_owner}));
  CHECK(contains(out, ClaimAddresses{}));
}

TEST_CASE("preempt_delay applies again after leaving Fault (keepalived #296/#346)", "[router][fault][preempt]") {
  auto c = v3_config(150);
  c.preempt_delay = 10s;
  Router r{c};
  (void)r.handle(Startup{}, t0);
  (void)r.handle(FaultChanged{true}, t0 + 1s);
  (void)r.handle(FaultChanged{false}, t0 + 2s);
  // A lower master seen after the fault is followed for 10 s before we preempt it.
  CHECK_FALSE(r.handle(advert_from("198.18.0.2", 100, c), t0 + 3s).empty());
  CHECK_FALSE(r.handle(advert_from("198.18.0.2", 100, c), t0 + 12s).empty());
  CHECK(r.handle(advert_from("198.18.0.2", 100, c), t0 + 13s).empty());
}
