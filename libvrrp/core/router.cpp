// DOC: The Router state machine. One handler per event; advert handling switches on the state and
// follows RFC 5798 §6.4.2 (Backup) and §6.4.3 (Master) in order. Every state change goes through
// enter(), which releases what the new state must not hold, cancels every timer, then performs
// the new state's entry actions — so no timer outlives the state that armed it.
#include "libvrrp/core/router.hpp"

#include <algorithm>
#include <utility>

namespace vrrp {
namespace {

using std::chrono::duration_cast;

constexpr std::uint8_t k_owner_priority = 255;
constexpr std::uint8_t k_quickest_peer_priority = 254;  // keepalived's timer_expired_backup default

std::size_t index(TimerId id) noexcept { return static_cast<std::size_t>(id); }

bool same_addresses(std::vector<vigil::IpAddress> a, std::vector<vigil::IpAddress> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

Duration since(TimePoint earlier, TimePoint now) noexcept { return duration_cast<Duration>(now - earlier); }

}  // namespace

Router::Router(RouterConfig config)
    : config_(std::move(config)),
      advert_interval_(wire_interval(config_.version, config_.advert_interval)),
      priority_(config_.priority),
      master_adver_interval_(advert_interval_) {
  config_.down_timer_adverts = std::max(1U, config_.down_timer_adverts);
}

std::vector<Action> Router::handle(const Event& event, TimePoint now) {
  Actions out;
  std::visit([&](const auto& e) { on(e, now, out); }, event);
  return out;
}

Advert Router::advert(std::uint8_t priority) const {
  Advert a;
  a.version = config_.version;
  a.vrid = config_.vrid;
  a.priority = priority;
  a.max_advert_int = duration_cast<std::chrono::milliseconds>(advert_interval_);
  a.addresses = config_.addresses;
  if (config_.version == 2) {
    a.auth_type = config_.auth.type;
    a.auth_data = config_.auth.password;
  }
  return a;
}

Duration Router::master_down_interval() const noexcept {
  return vrrp::master_down_interval(priority_, master_adver_interval_, config_.down_timer_adverts);
}

// ---- events -------------------------------------------------------------------------------

void Router::on(const Startup&, TimePoint now, Actions& out) {
  if (state_ != State::initialize) return;  // already running
  if (faulted()) {
    const Reason why = priority_ == 0 ? Reason::priority_zero : external_fault_ ? Reason::fault : Reason::sync_group;
    enter(State::fault, why, now, out);
    return;
  }
  start(Reason::startup, now, out);
}

void Router::on(const Shutdown& e, TimePoint now, Actions& out) {
  switch (state_) {
    case State::initialize:
      return;
    case State::backup:
    case State::fault:
      enter(State::initialize, Reason::shutdown, now, out);
      return;
    case State::master:
      if (e.lossless && config_.lossless_handover) {
        begin_handover(State::initialize, Reason::shutdown, now, out);
        return;
      }
      send_advert(0, now, out);  // §6.4.3: backups take over after Skew_Time only
      enter(State::initialize, Reason::shutdown, now, out);
      return;
    case State::handover:
      handover_->target = State::initialize;  // a demotion in progress becomes a stop
      if (!e.lossless) {
        out.push_back(HandoverAborted{since(handover_->started, now), Reason::shutdown});
        enter(State::initialize, Reason::shutdown, now, out);
      }
      return;
  }
}

void Router::on(const AdvertReceived& e, TimePoint now, Actions& out) {
  if (state_ == State::initialize || state_ == State::fault) return;  // not taking part
  const Advert& a = e.advert;
  if (e.source == config_.primary_address) {
    out.push_back(AdvertIgnored{IgnoreReason::own_address});
    return;
  }
  if (a.version != config_.version) {
    out.push_back(AdvertIgnored{IgnoreReason::version_mismatch});
    return;
  }
  if (a.version == 2 && a.max_advert_int != advert_interval_) {  // RFC 3768 §7.1
    out.push_back(AdvertIgnored{IgnoreReason::interval_mismatch});
    return;
  }
  // RFC 5798 §7.1 "MAY verify": keepalived logs and counts a mismatch but keeps the packet.
  if (!same_addresses(a.addresses, config_.addresses)) out.push_back(AddressListMismatch{e.source});

  switch (state_) {
    case State::backup: on_advert_backup(a, e.source, now, out); break;
    case State::master: on_advert_master(a, e.source, now, out); break;
    case State::handover: on_advert_handover(a, e.source, now, out); break;
    case State::initialize:
    case State::fault: break;
  }
}

void Router::on(const TimerExpired& e, TimePoint now, Actions& out) {
  auto& due = timers_[index(e.id)];
  if (!due || now < *due) return;  // cancelled or re-armed after this expiry was queued
  const TimePoint was_due = *due;
  due.reset();
  const GarpConfig& garp = config_.garp;
  switch (e.id) {
    case TimerId::master_down:
      on_master_down(now, out);
      break;
    case TimerId::advert:
      on_advert_timer(was_due, now, out);
      break;
    case TimerId::garp_delay:
      if (garp.master_repeat > 0) out.push_back(SendGratuitous{garp.master_repeat, GarpReason::master_delay});
      break;
    case TimerId::garp_refresh:
      if (garp.master_refresh_repeat > 0) out.push_back(SendGratuitous{garp.master_refresh_repeat, GarpReason::refresh});
      arm(TimerId::garp_refresh, now + garp.master_refresh, out);
      break;
    case TimerId::garp_lower_prio:
      out.push_back(SendGratuitous{garp.effective_lower_prio_repeat(), GarpReason::lower_priority_delay});
      break;
    case TimerId::handover_deadline:
      on_handover_deadline(now, out);
      break;
  }
}

void Router::on(const PriorityChanged& e, TimePoint now, Actions& out) {
  std::uint8_t p = e.effective_priority;
  // RFC 5798 §5.2.4: 255 is reserved for the address owner; weights cannot promote a non-owner.
  if (config_.priority != k_owner_priority && p == k_owner_priority) p = k_owner_priority - 1;
  if (p == priority_) return;
  priority_ = p;
  // New adverts carry the new priority; elections sort themselves out from there (a preempting
  // backup ignores our lower adverts and its Master_Down_Timer fires).
  update_fault(Reason::priority_zero, now, out);
}

void Router::on(const FaultChanged& e, TimePoint now, Actions& out) {
  external_fault_ = e.faulted;
  update_fault(Reason::fault, now, out);
}

void Router::on(const Demote&, TimePoint now, Actions& out) {
  demoted_ = true;  // from now on a backup that does not preempt
  if (state_ != State::master) return;
  if (config_.lossless_handover) {
    begin_handover(State::backup, Reason::demote, now, out);
    return;
  }
  send_advert(0, now, out);
  enter(State::backup, Reason::demote, now, out);
}

void Router::on(const Promote&, TimePoint now, Actions& out) {
  demoted_ = false;
  if (state_ == State::handover && handover_->target == State::backup) {
    out.push_back(HandoverAborted{since(handover_->started, now), Reason::promote});
    enter(State::master, Reason::promote, now, out);  // we never let go of the addresses
  }
}

void Router::on(const SyncMaster&, TimePoint now, Actions& out) {
  if (state_ != State::backup || !want_master_) return;  // heard a master since asking
  want_master_ = false;
  enter(State::master, want_master_reason_, now, out);
}

void Router::on(const SyncBackup&, TimePoint now, Actions& out) {
  // keepalived vrrp_sync_backup: follow a member that lost an election, without a priority-0
  // advert (the peer group's members are being moved to master by their own group).
  if (state_ == State::master) enter(State::backup, Reason::sync_group, now, out);
}

void Router::on(const SyncFault& e, TimePoint now, Actions& out) {
  group_fault_ = e.faulted;
  update_fault(Reason::sync_group, now, out);
}

// ---- RFC 5798 §6.4 -------------------------------------------------------------------------

void Router::on_advert_backup(const Advert& a, const vigil::IpAddress& source, TimePoint now, Actions& out) {
  if (a.priority == 0) {
    // §6.4.2: the master resigned. Take over after Skew_Time, so the highest priority wins.
    arm(TimerId::master_down, now + skew_time(priority_, master_adver_interval_), out);
    return;
  }
  if (a.priority < priority_ && may_preempt(now)) {
    // §6.4.2: discard. The Master_Down_Timer keeps running and we preempt when it fires.
    return;
  }
  if (a.priority >= priority_) preempt_at_.reset();
  // §6.4.2: accept the sender as master; v3 adopts its interval as Master_Adver_Interval.
  if (config_.version == 3) master_adver_interval_ = a.max_advert_int;
  master_address_ = source;
  if (want_master_) {
    want_master_ = false;
    out.push_back(WantMaster{false});
  }
  arm(TimerId::master_down, now + master_down_interval(), out);
}

void Router::on_advert_master(const Advert& a, const vigil::IpAddress& source, TimePoint now, Actions& out) {
  if (a.priority == 0) {
    // §6.4.3: a router resigned; assert ourselves at once so its backups do not take over.
    send_advert(priority_, now, out);
    arm(TimerId::advert, now + advert_interval_, out);
    return;
  }
  const bool better = a.priority > priority_ || (a.priority == priority_ && source > config_.primary_address);
  if (better) {
    // §6.4.3: step down. keepalived's higher_prio_send_advert answers once first so that the
    // winner, hearing a lower advert, re-sends its GARPs (garp_lower_prio_*).
    if (config_.higher_prio_send_advert) send_advert(priority_, now, out);
    if (config_.version == 3) master_adver_interval_ = a.max_advert_int;
    master_address_ = source;
    enter(State::backup, Reason::higher_priority, now, out);
    return;
  }
  // Two masters and we win. The RFC discards; keepalived answers (unless lower_prio_no_advert)
  // so the other steps down now, and re-announces the addresses so the network forgets the loser.
  out.push_back(LowerPriorityAdvert{source, a.priority});
  if (!config_.lower_prio_no_advert) send_advert(priority_, now, out);
  const unsigned repeat = config_.garp.effective_lower_prio_repeat();
  // One burst per lower_prio_delay window: a flood of lower adverts must not become a GARP flood.
  if (repeat > 0 && !armed(TimerId::garp_lower_prio)) {
    out.push_back(SendGratuitous{repeat, GarpReason::lower_priority});
    const auto delay = config_.garp.effective_lower_prio_delay();
    if (delay.count() > 0) arm(TimerId::garp_lower_prio, now + delay, out);
  }
}

void Router::on_advert_handover(const Advert& a, const vigil::IpAddress& source, TimePoint now, Actions& out) {
  // Only a master sends adverts with priority > 0, so the first one is the successor's.
  if (a.priority == 0) return;
  out.push_back(HandoverDone{source, since(handover_->started, now)});
  if (config_.version == 3) master_adver_interval_ = a.max_advert_int;
  master_address_ = source;
  enter(handover_->target, Reason::successor, now, out);
}

void Router::on_master_down(TimePoint now, Actions& out) {
  if (state_ == State::backup) request_master(Reason::master_down, now, out);  // §6.4.2
}

void Router::on_advert_timer(TimePoint due, TimePoint now, Actions& out) {
  if (state_ != State::master && state_ != State::handover) return;
  if (last_advert_sent_) {
    const Duration silence = since(*last_advert_sent_, now);
    if (silence > stall_threshold()) {
      const bool step_down = config_.timer_expired_backup && state_ == State::master;
      out.push_back(Stalled{since(due, now), silence, step_down});
      if (step_down) {
        send_advert(0, now, out);  // if no peer took over after all, one does within Skew_Time
        enter(State::backup, Reason::stalled, now, out);
        return;
      }
    }
  }
  // §6.4.3: send an advert and reset the Adver_Timer. Handover keeps repeating priority 0.
  send_advert(state_ == State::handover ? 0 : priority_, now, out);
  arm(TimerId::advert, now + advert_interval_, out);
}

void Router::on_handover_deadline(TimePoint now, Actions& out) {
  if (state_ != State::handover) return;
  const Duration elapsed = since(handover_->started, now);
  if (handover_->target == State::initialize) {
    out.push_back(HandoverTimedOut{elapsed, true});
    enter(State::initialize, Reason::no_successor, now, out);
  } else {
    out.push_back(HandoverTimedOut{elapsed, false});
    enter(State::master, Reason::no_successor, now, out);
  }
}

// ---- transitions ---------------------------------------------------------------------------

void Router::enter(State to, Reason reason, TimePoint now, Actions& out) {
  const State from = state_;
  out.push_back(Transition{from, to, reason});
  state_ = to;

  const bool keeps_addresses = to == State::master || to == State::handover;
  if (holding_ && !keeps_addresses) {
    out.push_back(ReleaseAddresses{});
    holding_ = false;
  }
  cancel_all_timers(out);
  if (to != State::handover) handover_.reset();
  if (want_master_ && to != State::backup) {
    want_master_ = false;
    out.push_back(WantMaster{false});
  }

  const GarpConfig& garp = config_.garp;
  switch (to) {
    case State::master:
      // §6.4.1/§6.4.2: send an advert, announce the addresses, start the Adver_Timer.
      master_adver_interval_ = advert_interval_;
      master_address_ = config_.primary_address;
      if (!holding_) {
        out.push_back(ClaimAddresses{});
        holding_ = true;
      }
      // The announcement goes out before the advert: a master handing over to us releases the
      // addresses as soon as our advert reaches it, so hosts must already have learned our MAC,
      // or their packets in flight to the old master's MAC are lost (same instant for §6.4.1).
      if (garp.master_repeat > 0) out.push_back(SendGratuitous{garp.master_repeat, GarpReason::became_master});
      send_advert(priority_, now, out);
      arm(TimerId::advert, now + advert_interval_, out);
      if (garp.master_delay.count() > 0) arm(TimerId::garp_delay, now + garp.master_delay, out);
      if (garp.master_refresh.count() > 0) arm(TimerId::garp_refresh, now + garp.master_refresh, out);
      break;
    case State::backup:
      // §6.4.1: Master_Down_Timer = Master_Down_Interval.
      preempt_at_.reset();
      arm(TimerId::master_down, now + master_down_interval(), out);
      break;
    case State::handover: {
      // §6.4.3 asks a stopping master for one priority-0 advert; we repeat it until a successor
      // answers (a lost one would otherwise cost the backups a full Master_Down_Interval).
      send_advert(0, now, out);
      arm(TimerId::advert, now + advert_interval_, out);
      const Duration deadline = handover_deadline(advert_interval_, config_.down_timer_adverts);
      arm(TimerId::handover_deadline, now + deadline, out);
      out.push_back(HandoverWaiting{deadline});
      break;
    }
    case State::initialize:
    case State::fault:
      break;
  }
  if (visible_state(from) != visible_state(to)) out.push_back(Notify{visible_state(to)});
}

void Router::start(Reason reason, TimePoint now, Actions& out) {
  master_adver_interval_ = advert_interval_;
  if (priority_ == k_owner_priority && !config_.sync_group) {
    enter(State::master, Reason::address_owner, now, out);  // §6.4.1: the owner takes over at once
    return;
  }
  enter(State::backup, reason, now, out);
  if (priority_ == k_owner_priority) request_master(Reason::address_owner, now, out);
}

void Router::request_master(Reason reason, TimePoint now, Actions& out) {
  if (!config_.sync_group) {
    enter(State::master, reason, now, out);
    return;
  }
  // keepalived vrrp_sync_can_goto_master: a member goes master only with the whole group, so
  // it asks and stays Backup until SyncMaster (or until a master is heard again).
  want_master_reason_ = reason;
  if (!want_master_) {
    want_master_ = true;
    out.push_back(WantMaster{true});
  }
}

void Router::begin_handover(State target, Reason reason, TimePoint now, Actions& out) {
  handover_ = Handover{now, target};
  enter(State::handover, reason, now, out);
}

void Router::update_fault(Reason reason, TimePoint now, Actions& out) {
  if (own_fault() != reported_own_fault_) {
    reported_own_fault_ = own_fault();
    out.push_back(FaultStatus{reported_own_fault_});
  }
  if (state_ == State::initialize) return;  // Startup looks at faulted()
  if (faulted() && state_ != State::fault) {
    if (state_ == State::master) send_advert(0, now, out);  // let a backup take over after Skew_Time
    if (state_ == State::handover) out.push_back(HandoverAborted{since(handover_->started, now), reason});
    enter(State::fault, reason, now, out);
  } else if (!faulted() && state_ == State::fault) {
    start(Reason::fault_cleared, now, out);
  }
}

bool Router::may_preempt(TimePoint now) {
  if (!config_.preempt || demoted_) return false;
  if (config_.preempt_delay.count() <= 0) return true;
  // keepalived preempt_delay: the window opens at the first lower-priority advert since we
  // became backup; until it closes we keep following that master.
  if (!preempt_at_) preempt_at_ = now + config_.preempt_delay;
  return now >= *preempt_at_;
}

Duration Router::stall_threshold() const noexcept {
  return vrrp::master_down_interval(config_.highest_other_priority.value_or(k_quickest_peer_priority),
                                    advert_interval_, config_.down_timer_adverts);
}

// ---- action helpers ------------------------------------------------------------------------

void Router::send_advert(std::uint8_t priority, TimePoint now, Actions& out) {
  out.push_back(SendAdvert{priority});
  last_advert_sent_ = now;
}

void Router::arm(TimerId id, TimePoint at, Actions& out) {
  timers_[index(id)] = at;
  out.push_back(ArmTimer{id, at});
}

void Router::cancel_all_timers(Actions& out) {
  for (std::size_t i = 0; i < timers_.size(); ++i) {
    if (!timers_[i]) continue;
    timers_[i].reset();
    out.push_back(CancelTimer{static_cast<TimerId>(i)});
  }
}

bool Router::armed(TimerId id) const noexcept { return timers_[index(id)].has_value(); }

}  // namespace vrrp
