// SyncGroup: members go master together, follow each other to Backup and Fault, and leave
// together on a planned stop. Driven through dispatch(), as the daemon would.
#include "vrrp_test_support.hpp"

#include "libvrrp/core/sync_group.hpp"

using namespace vrrp_test;
using vrrp::ClaimAddresses;
using vrrp::FaultChanged;
using vrrp::GroupOutput;
using vrrp::GroupTransition;
using vrrp::HandoverDone;
using vrrp::HandoverTimedOut;
using vrrp::MemberAction;
using vrrp::Reason;
using vrrp::ReleaseAddresses;
using vrrp::Router;
using vrrp::SendAdvert;
using vrrp::Shutdown;
using vrrp::Startup;
using vrrp::State;
using vrrp::SyncGroup;
using vrrp::TimerId;
using vrrp::Transition;
using vrrp::WantMaster;

namespace {

// VI_1 (VRID 51) and VI_2 (VRID 52), both priority 150, in group G.
struct Group {
  std::vector<Router> routers;
  SyncGroup group{"G", 2};

  Group() {
    for (const bool first_member : {true, false}) {
      auto c = v3_config(150);
      c.name = first_member ? "VI_1" : "VI_2";
      c.vrid = first_member ? 51 : 52;
      c.addresses = {ip(first_member ? "198.18.0.100" : "198.18.0.101")};
      c.sync_group = true;
      routers.emplace_back(c);
    }
  }

  std::vector<GroupOutput> send(std::size_t member, const vrrp::Event& e, TimePoint at) {
    return vrrp::dispatch(group, routers, member, e, at);
  }

  std::vector<GroupOutput> start_both(TimePoint at) {
    auto out = send(0, Startup{}, at);
    auto more = send(1, Startup{}, at);
    out.insert(out.end(), more.begin(), more.end());
    return out;
  }

  // Both members master: their Master_Down_Timers fired.
  void make_master(TimePoint at) {
    (void)start_both(at);
    const TimePoint up = at + routers[0].master_down_interval();
    (void)send(0, expired(TimerId::master_down), up);
    (void)send(1, expired(TimerId::master_down), up);
    REQUIRE(routers[0].state() == State::master);
    REQUIRE(routers[1].state() == State::master);
  }

  vrrp::AdvertReceived advert(std::size_t member, const char* source, std::uint8_t priority) const {
    return advert_from(source, priority, routers[member].config());
  }
};

// The actions for one member, in order.
std::vector<vrrp::Action> actions_of(const std::vector<GroupOutput>& out, std::size_t member) {
  std::vector<vrrp::Action> result;
  for (const auto& o : out) {
    if (const auto* m = std::get_if<MemberAction>(&o); m != nullptr && m->member == member) result.push_back(m->action);
  }
  return result;
}

bool has_group_transition(const std::vector<GroupOutput>& out, State from, State to) {
  return std::any_of(out.begin(), out.end(), [&](const GroupOutput& o) {
    const auto* g = std::get_if<GroupTransition>(&o);
    return g != nullptr && *g == GroupTransition{from, to};
  });
}

}  // namespace

TEST_CASE("sync group: members go master only together", "[sync]") {
  Group g;
  auto out = g.start_both(t0);
  CHECK(g.group.state() == State::backup);
  CHECK(has_group_transition(out, State::initialize, State::backup));

  const TimePoint up = t0 + g.routers[0].master_down_interval();
  out = g.send(0, expired(TimerId::master_down), up);
  CHECK(contains(actions_of(out, 0), WantMaster{true}));
  CHECK(g.routers[0].state() == State::backup);  // waits for VI_2
  CHECK(count_of<ClaimAddresses>(actions_of(out, 0)) == 0);

  out = g.send(1, expired(TimerId::master_down), up + 1ms);
  CHECK(g.routers[0].state() == State::master);
  CHECK(g.routers[1].state() == State::master);
  CHECK(contains(actions_of(out, 0), Transition{State::backup, State::master, Reason::master_down}));
  CHECK(contains(actions_of(out, 1), ClaimAddresses{}));
  CHECK(contains(actions_of(out, 0), ClaimAddresses{}));
  CHECK(has_group_transition(out, State::backup, State::master));
}

TEST_CASE("sync group: a member that hears its master again withdraws", "[sync]") {
  Group g;
  (void)g.start_both(t0);
  const TimePoint up = t0 + g.routers[0].master_down_interval();
  (void)g.send(0, expired(TimerId::master_down), up);
  auto out = g.send(0, g.advert(0, "198.18.0.2", 200), up + 10ms);
  CHECK(contains(actions_of(out, 0), WantMaster{false}));
  out = g.send(1, expired(TimerId::master_down), up + 20ms);
  CHECK(g.routers[0].state() == State::backup);
  CHECK(g.routers[1].state() == State::backup);  // VI_1 still has a master: no thrashing
  CHECK(g.routers[1].wants_master());
}

TEST_CASE("sync group: one member loses an election, the other follows to Backup", "[sync]") {
  Group g;
  g.make_master(t0);
  const auto out = g.send(0, g.advert(0, "198.18.0.2", 200), t0 + 10s);
  CHECK(g.routers[0].state() == State::backup);
  CHECK(g.routers[1].state() == State::backup);
  CHECK(contains(actions_of(out, 1), Transition{State::master, State::backup, Reason::sync_group}));
  CHECK(contains(actions_of(out, 1), ReleaseAddresses{}));
  CHECK(count_of<SendAdvert>(actions_of(out, 1)) == 0);  // keepalived sends no priority 0 here
  CHECK(has_group_transition(out, State::master, State::backup));
}

TEST_CASE("sync group: a fault in one member faults all until it clears", "[sync]") {
  Group g;
  g.make_master(t0);
  auto out = g.send(1, FaultChanged{true}, t0 + 10s);
  CHECK(g.routers[0].state() == State::fault);
  CHECK(g.routers[1].state() == State::fault);
  CHECK(contains(actions_of(out, 0), Transition{State::master, State::fault, Reason::sync_group}));
  CHECK(contains(actions_of(out, 0), SendAdvert{0}));
  CHECK(contains(actions_of(out, 0), ReleaseAddresses{}));
  CHECK(g.group.state() == State::fault);

  SECTION("clearing it brings both back to Backup") {
    out = g.send(1, FaultChanged{false}, t0 + 20s);
    CHECK(g.routers[0].state() == State::backup);
    CHECK(g.routers[1].state() == State::backup);
    CHECK(has_group_transition(out, State::fault, State::backup));
  }
  SECTION("two faulted members: both must clear") {
    (void)g.send(0, FaultChanged{true}, t0 + 11s);
    (void)g.send(1, FaultChanged{false}, t0 + 20s);
    CHECK(g.routers[0].state() == State::fault);
    CHECK(g.routers[1].state() == State::fault);
    (void)g.send(0, FaultChanged{false}, t0 + 30s);
    CHECK(g.routers[0].state() == State::backup);
    CHECK(g.routers[1].state() == State::backup);
  }
}

TEST_CASE("sync group handover: addresses are released when every successor has spoken", "[sync][handover]") {
  Group g;
  g.make_master(t0);
  const TimePoint stop = t0 + 10s;
  (void)g.send(0, Shutdown{true}, stop);
  (void)g.send(1, Shutdown{true}, stop);
  CHECK(g.routers[0].state() == State::handover);
  CHECK(g.routers[1].state() == State::handover);

  // VI_1's successor speaks first: VI_1 is done but keeps its address until VI_2's does too.
  auto out = g.send(0, g.advert(0, "198.18.0.2", 100), stop + 600ms);
  CHECK(contains(actions_of(out, 0), HandoverDone{ip("198.18.0.2"), 600ms}));
  CHECK(count_of<ReleaseAddresses>(actions_of(out, 0)) == 0);
  CHECK(g.group.held_releases() == 1);

  out = g.send(1, g.advert(1, "198.18.0.2", 100), stop + 610ms);
  CHECK(contains(actions_of(out, 0), ReleaseAddresses{}));
  CHECK(contains(actions_of(out, 1), ReleaseAddresses{}));
  CHECK(g.group.held_releases() == 0);
  CHECK(g.group.state() == State::initialize);
}

TEST_CASE("sync group handover: a member's deadline ends the group's wait", "[sync][handover]") {
  Group g;
  g.make_master(t0);
  const TimePoint stop = t0 + 10s;
  (void)g.send(0, Shutdown{true}, stop);
  (void)g.send(1, Shutdown{true}, stop);
  (void)g.send(0, g.advert(0, "198.18.0.2", 100), stop + 600ms);
  CHECK(g.group.held_releases() == 1);
  const auto out = g.send(1, expired(TimerId::handover_deadline), stop + vrrp::handover_deadline(1s));
  CHECK(contains(actions_of(out, 1), HandoverTimedOut{vrrp::handover_deadline(1s), true}));
  CHECK(contains(actions_of(out, 0), ReleaseAddresses{}));
  CHECK(contains(actions_of(out, 1), ReleaseAddresses{}));
}

TEST_CASE("sync group handover: a member that faults releases at once and unblocks the others",
          "[sync][handover]") {
  Group g;
  g.make_master(t0);
  const TimePoint stop = t0 + 10s;
  (void)g.send(0, Shutdown{true}, stop);
  (void)g.send(1, Shutdown{true}, stop);
  (void)g.send(0, g.advert(0, "198.18.0.2", 100), stop + 600ms);
  const auto out = g.send(1, FaultChanged{true}, stop + 700ms);
  CHECK(contains(actions_of(out, 1), ReleaseAddresses{}));
  CHECK(contains(actions_of(out, 0), ReleaseAddresses{}));
  CHECK(g.group.held_releases() == 0);
}

TEST_CASE("sync group: the address owner asks too, and waits for the others", "[sync]") {
  Group g;
  auto owner = g.routers[0].config();
  owner.priority = 255;
  g.routers[0] = Router{owner};
  auto out = g.send(0, Startup{}, t0);
  CHECK(g.routers[0].state() == State::backup);
  CHECK(contains(actions_of(out, 0), WantMaster{true}));
  (void)g.send(1, Startup{}, t0);
  out = g.send(1, expired(TimerId::master_down), t0 + g.routers[1].master_down_interval());
  CHECK(g.routers[0].state() == State::master);
  CHECK(g.routers[1].state() == State::master);
  CHECK(contains(actions_of(out, 0), Transition{State::backup, State::master, Reason::address_owner}));
}

TEST_CASE("dispatch ignores an event for a member the group does not have", "[sync]") {
  Group g;
  CHECK(g.send(7, Startup{}, t0).empty());
}
