// Elections: priority 0 (resign), tie-break by primary address, preemption, nopreempt,
// preempt_delay, and keepalived's higher_prio_send_advert / lower_prio_no_advert.
#include "vrrp_test_support.hpp"

using namespace vrrp_test;
using vrrp::ArmTimer;
using vrrp::ClaimAddresses;
using vrrp::LowerPriorityAdvert;
using vrrp::Notify;
using vrrp::Reason;
using vrrp::ReleaseAddresses;
using vrrp::Router;
using vrrp::SendAdvert;
using vrrp::Startup;
using vrrp::State;
using vrrp::TimerId;
using vrrp::Transition;

TEST_CASE("backup hears priority 0: Master_Down_Timer = Skew_Time (RFC 5798 §6.4.2)", "[router][rfc]") {
  Router r = backup_following(v3_config(100), "198.18.0.2", 150);
  const TimePoint t1 = t0 + 1s;
  const auto out = r.handle(advert_from("198.18.0.2", 0, r.config()), t1);
  CHECK(out == std::vector<vrrp::Action>{ArmTimer{TimerId::master_down, t1 + Duration{609'375}}});
  const auto up = r.handle(expired(TimerId::master_down), t1 + Duration{609'375});
  CHECK(r.state() == State::master);
  CHECK(contains(up, ClaimAddresses{}));
}

TEST_CASE("resign skew uses the adopted interval (v3)", "[router][v3]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  (void)r.handle(advert_from("198.18.0.2", 150, r.config(), 100ms), t0);
  const auto out = r.handle(advert_from("198.18.0.2", 0, r.config(), 100ms), t0 + 100ms);
  CHECK(contains(out, ArmTimer{TimerId::master_down, t0 + 100ms + Duration{60'937}}));
}

TEST_CASE("master hears priority 0: advert at once, Adver_Timer reset (RFC 5798 §6.4.3)", "[router][rfc]") {
  TimePoint became{};
  Router r = master_at(v3_config(100), &became);
  const TimePoint t = became + 300ms;
  const auto out = r.handle(advert_from("198.18.0.2", 0, r.config()), t);
  CHECK(r.state() == State::master);
  CHECK(out == std::vector<vrrp::Action>{SendAdvert{100}, ArmTimer{TimerId::advert, t + 1s}});
}

TEST_CASE("master hears a higher priority: -> Backup without releasing late (§6.4.3)", "[router][rfc]") {
  TimePoint became{};
  Router r = master_at(v3_config(100), &became);
  const TimePoint t = became + 2s;
  const auto out = r.handle(advert_from("198.18.0.2", 150, r.config(), 200ms), t);
  CHECK(r.state() == State::backup);
  CHECK(contains(out, Transition{State::master, State::backup, Reason::higher_priority}));
  CHECK(contains(out, ReleaseAddresses{}));
  CHECK(contains(out, Notify{State::backup}));
  CHECK(count_of<SendAdvert>(out) == 0);  // RFC: no priority 0 when losing an election
  // v3: Master_Adver_Interval from the winner's advert.
  CHECK(contains(out, ArmTimer{TimerId::master_down, t + vrrp::master_down_interval(100, 200ms)}));
  CHECK_FALSE(r.holds_addresses());
}

TEST_CASE("tie-break: equal priority, the higher primary address wins", "[router][rfc]") {
  SECTION("master hears an equal advert from a higher address and steps down") {
    Router r = master_at(v3_config(100));
    const auto out = r.handle(advert_from("198.18.0.9", 100, r.config()), t0 + 10s);
    CHECK(r.state() == State::backup);
    CHECK(contains(out, Transition{State::master, State::backup, Reason::higher_priority}));
  }
  SECTION("master hears an equal advert from a lower address and stays") {
    auto c = v3_config(100);
    c.primary_address = ip("198.18.0.9");
    Router r = master_at(c);
    const auto out = r.handle(advert_from("198.18.0.2", 100, r.config()), t0 + 10s);
    CHECK(r.state() == State::master);
    CHECK(contains(out, LowerPriorityAdvert{ip("198.18.0.2"), 100}));
  }
  SECTION("the comparison is on address bytes, not text") {
    auto c = v3_config(100);
    c.primary_address = ip("198.18.0.10");
    Router r = master_at(c);
    (void)r.handle(advert_from("198.18.0.9", 100, c), t0 + 10s);  // "9" > "10" as text only
    CHECK(r.state() == State::master);
  }
  SECTION("IPv6 link-local sources") {
    auto c = v3_config(100);
    c.family = vigil::Family::v6;
    c.primary_address = ip("fe80::1");
    c.addresses = {ip("fe80::100")};
    Router r = master_at(c);
    (void)r.handle(advert_from("fe80::2", 100, c), t0 + 10s);
    CHECK(r.state() == State::backup);
  }
}

TEST_CASE("a backup accepts an equal-priority master (§6.4.2 'greater than or equal')", "[router][rfc]") {
  Router r{v3_config(100)};
  (void)r.handle(Startup{}, t0);
  const auto out = r.handle(advert_from("198.18.0.0", 100, r.config()), t0 + 1s);  // lower address
  CHECK(contains(out, ArmTimer{TimerId::master_down, t0 + 1s + r.master_down_interval()}));
}

TEST_CASE("preempt: a backup ignores a lower-priority master and takes over", "[router][preempt]") {
  Router r{v3_config(150)};
  (void)r.handle(Startup{}, t0);
  const TimePoint mdi_end = t0 + r.master_down_interval();
  // The lower master keeps advertising; every advert is discarded, so the original timer fires.
  for (auto t = t0 + 1s; t < mdi_end; t += 1s) {
    CHECK(r.handle(advert_from("198.18.0.2", 100, r.config()), t).empty());
  }
  const auto out = r.handle(expired(TimerId::master_down), mdi_end);
  CHECK(r.state() == State::master);
  CHECK(contains(out, Transition{State::backup, State::master, Reason::master_down}));
}

TEST_CASE("nopreempt: a backup follows a lower-priority master", "[router][preempt]") {
  auto c = v3_config(150);
  c.preempt = false;
  Router r{c};
  (void)r.handle(Startup{}, t0);
  for (int i = 1; i <= 10; ++i) {
    const TimePoint t = t0 + i * 1s;
    CHECK(contains(r.handle(advert_from("198.18.0.2", 100, c), t),
                   ArmTimer{TimerId::master_down, t + r.master_down_interval()}));
  }
  CHECK(r.handle(expired(TimerId::master_down), t0 + 4s).empty());  // stale
  CHECK(r.state() == State::backup);
}

TEST_CASE("preempt_delay: follow a lower master for the delay, then preempt", "[router][preempt]") {
  // keepalived man page: advert_int 1, priority 128 → 3.5 s normally; preempt_delay 2 → ~5.5 s.
  auto c = v3_config(128);
  c.preempt_delay = 2s;
  Router r{c};
  (void)r.handle(Startup{}, t0);
  const Duration mdi = r.master_down_interval();  // 3.5 s at priority 128
  CHECK(mdi == 3500ms);

  // The first lower-priority advert opens the window; adverts inside it are accepted.
  const TimePoint first = t0 + 100ms;
  CHECK(contains(r.handle(advert_from("198.18.0.2", 100, c), first), ArmTimer{TimerId::master_down, first + mdi}));
  CHECK(contains(r.handle(advert_from("198.18.0.2", 100, c), first + 1s),
                 ArmTimer{TimerId::master_down, first + 1s + mdi}));
  // From first + 2 s on, they are discarded and the last arming stands.
  CHECK(r.handle(advert_from("198.18.0.2", 100, c), first + 2s).empty());
  CHECK(r.handle(advert_from("198.18.0.2", 100, c), first + 3s).empty());
  (void)r.handle(expired(TimerId::master_down), first + 1s + mdi);
  CHECK(r.state() == State::master);  // ~5.6 s after the first lower advert
}

TEST_CASE("preempt_delay: a higher-priority master closes the window", "[router][preempt]") {
  auto c = v3_config(128);
  c.preempt_delay = 2s;
  Router r{c};
  (void)r.handle(Startup{}, t0);
  (void)r.handle(advert_from("198.18.0.2", 100, c), t0);        // window opens: t0 + 2 s
  (void)r.handle(advert_from("198.18.0.3", 200, c), t0 + 1s);   // a better master: window closed
  // A lower master seen again later gets a fresh window.
  CHECK_FALSE(r.handle(advert_from("198.18.0.2", 100, c), t0 + 5s).empty());
  CHECK_FALSE(r.handle(advert_from("198.18.0.2", 100, c), t0 + 6s).empty());
  CHECK(r.handle(advert_from("198.18.0.2", 100, c), t0 + 7s).empty());
}

TEST_CASE("higher_prio_send_advert answers once before stepping down", "[router][keepalived]") {
  auto c = v3_config(100);
  c.higher_prio_send_advert = true;
  Router r = master_at(c);
  const auto out = r.handle(advert_from("198.18.0.2", 150, c), t0 + 10s);
  CHECK(r.state() == State::backup);
  CHECK(contains(out, SendAdvert{100}));
  CHECK(position(out, SendAdvert{100}) < position(out, ReleaseAddresses{}));
}

TEST_CASE("a master answers a lower-priority advert unless lower_prio_no_advert", "[router][keepalived]") {
  SECTION("default: answer, so the other master steps down now") {
    Router r = master_at(v3_config(150));
    const auto out = r.handle(advert_from("198.18.0.2", 100, r.config()), t0 + 10s);
    CHECK(r.state() == State::master);
    CHECK(contains(out, SendAdvert{150}));
    CHECK(contains(out, LowerPriorityAdvert{ip("198.18.0.2"), 100}));
  }
  SECTION("lower_prio_no_advert: RFC behaviour, discard") {
    auto c = v3_config(150);
    c.lower_prio_no_advert = true;
    Router r = master_at(c);
    const auto out = r.handle(advert_from("198.18.0.2", 100, c), t0 + 10s);
    CHECK(count_of<SendAdvert>(out) == 0);
    CHECK(contains(out, LowerPriorityAdvert{ip("198.18.0.2"), 100}));
  }
}

TEST_CASE("two routers elect by exchanging adverts", "[router][script]") {
  // A tiny wire: whatever one router sends, the other receives at the same instant.
  auto ca = v3_config(150);
  auto cb = v3_config(100);
  cb.primary_address = ip("198.18.0.2");
  Router a{ca};
  Router b{cb};
  auto deliver = [](const std::vector<vrrp::Action>& sent, const vrrp::RouterConfig& from, Router& to, TimePoint t) {
    std::vector<vrrp::Action> out;
    for (const auto& action : sent) {
      if (const auto* s = std::get_if<SendAdvert>(&action)) {
        auto r = to.handle(advert_from(from.primary_address.to_string().c_str(), s->priority, from), t);
        out.insert(out.end(), r.begin(), r.end());
      }
    }
    return out;
  };
  (void)a.handle(Startup{}, t0);
  (void)b.handle(Startup{}, t0);
  // a (150) times out first: 3 s + 414 ms vs 3 s + 609 ms.
  const TimePoint ta = t0 + a.master_down_interval();
  const auto sent = a.handle(expired(TimerId::master_down), ta);
  CHECK(a.state() == State::master);
  (void)deliver(sent, ca, b, ta);
  CHECK(b.state() == State::backup);
  // b's own timer was re-armed, so its original expiry is stale.
  CHECK(b.handle(expired(TimerId::master_down), t0 + b.master_down_interval()).empty());
  CHECK(b.state() == State::backup);
}
