// DOC: SyncGroup bookkeeping. The group never talks to a Router directly: it watches the actions
// members report (Transition, FaultStatus, WantMaster, handover results) and answers with events
// for members and with the actions to carry out, holding back ReleaseAddresses during a group
// handover.
#include "libvrrp/core/sync_group.hpp"

#include <algorithm>
#include <deque>
#include <utility>

namespace vrrp {
namespace {

bool is_master(State s) noexcept { return visible_state(s) == State::master; }

// Constructed in place: moving a MemberEvent temporary into a GroupOutput makes g++ 12 report a
// bogus maybe-uninitialized on the Advert alternative of Event (seen with -fsanitize).
void tell(std::vector<GroupOutput>& out, std::size_t member, Event event) {
  out.emplace_back(std::in_place_type<MemberEvent>, member, std::move(event));
}

}  // namespace

SyncGroup::SyncGroup(std::string name, std::size_t member_count)
    : name_(std::move(name)), members_(member_count) {}

std::size_t SyncGroup::held_releases() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(members_.begin(), members_.end(), [](const Member& m) { return m.release_held; }));
}

std::vector<GroupOutput> SyncGroup::process(std::size_t member, const std::vector<Action>& actions) {
  std::vector<GroupOutput> out;
  if (member >= members_.size()) return out;
  bool successor_done = false;  // this batch ends a handover that had a successor (or timed out)
  for (const Action& action : actions) {
    if (const auto* t = std::get_if<Transition>(&action)) {
      out.push_back(MemberAction{member, action});
      on_transition(member, *t, out);
    } else if (const auto* f = std::get_if<FaultStatus>(&action)) {
      out.push_back(MemberAction{member, action});
      on_fault_status(member, f->faulted, out);
    } else if (const auto* w = std::get_if<WantMaster>(&action)) {
      out.push_back(MemberAction{member, action});
      on_want_master(member, w->wanted, out);
    } else if (std::holds_alternative<ReleaseAddresses>(action) && successor_done && any_handover()) {
      members_[member].release_held = true;  // leave together: wait for the other members
    } else {
      if (std::holds_alternative<HandoverDone>(action)) successor_done = true;
      if (const auto* timed_out = std::get_if<HandoverTimedOut>(&action)) successor_done = timed_out->released;
      out.push_back(MemberAction{member, action});
    }
  }
  release_held_if_done(out);
  update_state(out);
  return out;
}

void SyncGroup::on_transition(std::size_t member, const Transition& t, std::vector<GroupOutput>& out) {
  Member& m = members_[member];
  m.state = t.to;
  if (is_master(t.to)) m.release_held = false;  // holds its addresses again; a late release would hurt
  if (t.from == State::master && t.to == State::backup && t.reason != Reason::sync_group) {
    // keepalived vrrp_sync_backup: one member lost an election, the others follow it.
    for (std::size_t j = 0; j < members_.size(); ++j) {
      if (j != member && members_[j].state == State::master) tell(out, j, SyncBackup{});
    }
  }
}

void SyncGroup::on_fault_status(std::size_t member, bool faulted, std::vector<GroupOutput>& out) {
  const bool before = any_fault();
  members_[member].own_fault = faulted;
  const bool after = any_fault();
  if (before == after) return;
  // Every member, the faulty one included: "some member is faulted" is the group's fact, and the
  // member that cleared first must still wait for the others.
  for (std::size_t j = 0; j < members_.size(); ++j) tell(out, j, SyncFault{after});
}

void SyncGroup::on_want_master(std::size_t member, bool wanted, std::vector<GroupOutput>& out) {
  members_[member].wants_master = wanted;
  if (!wanted || any_fault()) return;
  const bool all_ready = std::all_of(members_.begin(), members_.end(),
                                     [](const Member& m) { return m.wants_master || is_master(m.state); });
  if (!all_ready) return;
  for (std::size_t j = 0; j < members_.size(); ++j) {
    if (!members_[j].wants_master) continue;
    members_[j].wants_master = false;
    tell(out, j, SyncMaster{});
  }
}

void SyncGroup::release_held_if_done(std::vector<GroupOutput>& out) {
  if (any_handover()) return;
  for (std::size_t j = 0; j < members_.size(); ++j) {
    if (!members_[j].release_held) continue;
    members_[j].release_held = false;
    out.push_back(MemberAction{j, ReleaseAddresses{}});
  }
}

void SyncGroup::update_state(std::vector<GroupOutput>& out) {
  State next = State::backup;
  if (any_fault() || std::any_of(members_.begin(), members_.end(),
                                 [](const Member& m) { return m.state == State::fault; })) {
    next = State::fault;
  } else if (std::all_of(members_.begin(), members_.end(), [](const Member& m) { return is_master(m.state); })) {
    next = State::master;
  } else if (std::all_of(members_.begin(), members_.end(),
                         [](const Member& m) { return m.state == State::initialize; })) {
    next = State::initialize;
  }
  if (next == state_) return;
  out.push_back(GroupTransition{state_, next});
  state_ = next;
}

bool SyncGroup::any_fault() const noexcept {
  return std::any_of(members_.begin(), members_.end(), [](const Member& m) { return m.own_fault; });
}

bool SyncGroup::any_handover() const noexcept {
  return std::any_of(members_.begin(), members_.end(), [](const Member& m) { return m.state == State::handover; });
}

std::vector<GroupOutput> dispatch(SyncGroup& group, std::span<Router> members, std::size_t member,
                                  const Event& event, TimePoint now) {
  std::vector<GroupOutput> result;
  std::deque<MemberEvent> pending;
  pending.push_back(MemberEvent{member, event});
  // Terminates: SyncMaster/SyncBackup only move members out of the state that triggered them,
  // and SyncFault is sent only when the group's fault flag flips.
  while (!pending.empty()) {
    const MemberEvent next = std::move(pending.front());
    pending.pop_front();
    if (next.member >= members.size()) continue;
    for (GroupOutput& o : group.process(next.member, members[next.member].handle(next.event, now))) {
      if (auto* e = std::get_if<MemberEvent>(&o)) {
        pending.push_back(std::move(*e));
      } else {
        result.push_back(std::move(o));
      }
    }
  }
  return result;
}

}  // namespace vrrp
