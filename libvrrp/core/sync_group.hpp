// DOC: SyncGroup — keepalived's vrrp_sync_group without I/O. Its member Routers (configured with
// `sync_group = true`) move together:
//
//   * Fault: while any member has its own fault, every member is in Fault (SyncFault).
//   * Backup: when a master member loses an election (or stalls), the other master members step
//     down too (SyncBackup).
//   * Master: a member whose Master_Down_Timer fires asks (WantMaster); the group lets its members
//     go master (SyncMaster) only once every member wants to or already is master — keepalived
//     "prefers backup state to avoid thrashing" (vrrp_sync_can_goto_master).
//   * Planned handover: a member whose successor has spoken does not release its addresses until
//     every member's handover is over (successor spoke, deadline, or aborted), so the group leaves
//     together, as the peer group arrives together.
//
// The group is a filter between the Routers and the daemon: feed it each member's actions, get
// back the actions to carry out (MemberAction) and events to feed to members (MemberEvent), whose
// actions come back through the group in turn. dispatch() runs that loop.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "libvrrp/core/actions.hpp"
#include "libvrrp/core/events.hpp"
#include "libvrrp/core/router.hpp"
#include "libvrrp/core/state.hpp"

namespace vrrp {

struct MemberAction {
  std::size_t member;
  Action action;
  friend bool operator==(const MemberAction&, const MemberAction&) = default;
};

struct MemberEvent {
  std::size_t member;
  Event event;
  friend bool operator==(const MemberEvent&, const MemberEvent&) = default;
};

// The group's own state changed (keepalived `GROUP "G" MASTER` notifies): fault if any member is,
// master if all are (Handover counts as master), initialize if all are, backup otherwise.
struct GroupTransition {
  State from;
  State to;
  friend bool operator==(const GroupTransition&, const GroupTransition&) = default;
};

using GroupOutput = std::variant<MemberAction, MemberEvent, GroupTransition>;

class SyncGroup {
 public:
  SyncGroup(std::string name, std::size_t member_count);

  // The actions Router `member` just returned, in order. Returns what to do instead.
  [[nodiscard]] std::vector<GroupOutput> process(std::size_t member, const std::vector<Action>& actions);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] State member_state(std::size_t member) const { return members_.at(member).state; }
  // Members whose ReleaseAddresses is being held until the group's handover is over.
  [[nodiscard]] std::size_t held_releases() const noexcept;

 private:
  struct Member {
    State state = State::initialize;
    bool own_fault = false;
    bool wants_master = false;
    bool release_held = false;
  };

  void on_transition(std::size_t member, const Transition& t, std::vector<GroupOutput>& out);
  void on_fault_status(std::size_t member, bool faulted, std::vector<GroupOutput>& out);
  void on_want_master(std::size_t member, bool wanted, std::vector<GroupOutput>& out);
  void release_held_if_done(std::vector<GroupOutput>& out);
  void update_state(std::vector<GroupOutput>& out);
  [[nodiscard]] bool any_fault() const noexcept;
  [[nodiscard]] bool any_handover() const noexcept;

  std::string name_;
  std::vector<Member> members_;
  State state_ = State::initialize;
};

// Runs `event` through members[member] and the group until no member event is left. Returns the
// MemberActions (to carry out in order) and GroupTransitions; no MemberEvent remains.
[[nodiscard]] std::vector<GroupOutput> dispatch(SyncGroup& group, std::span<Router> members, std::size_t member,
                                                const Event& event, TimePoint now);

}  // namespace vrrp
