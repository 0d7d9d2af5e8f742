// DOC: Router — the VRRP state machine of one virtual router (one VRID in one address family),
// RFC 5798 §6.4 with RFC 3768 timers for v2, keepalived's extensions, and vigil's lossless
// planned handover. Events in, actions out; time is an argument:
//
//   Router r{config};
//   auto out = r.handle(Startup{}, now);            // → ArmTimer{master_down, now + MDI}, ...
//   out = r.handle(TimerExpired{TimerId::master_down}, later);   // → ClaimAddresses, SendAdvert...
//
// States: Initialize → Backup ⇄ Master, any running state → Fault → Backup, and
// Master → Handover → Initialize (stop) / Backup (demote).
//
// Handover. RFC 5798 §6.4.3 has a stopping master send priority 0 and leave; its backups then wait
// Skew_Time, during which nobody answers for the addresses (610 ms at 1 s adverts, vrrp-lab.md).
// Here the master sends priority 0 but keeps the addresses, repeats priority 0 every
// advert interval, and releases only when an advert with priority > 0 from another router arrives
// — the successor is master — or when handover_deadline() passes in silence. A demote that finds
// no successor keeps the addresses and returns to Master (releasing would only cause an outage
// until we re-elect ourselves); a stop releases.
//
// Stall awareness. When the advert timer fires, `now − previous advert` is compared with the
// Master_Down_Interval of the quickest peer (priority highest_other_priority, 254 by default); past
// it a peer may be master now. Stalled is reported; with timer_expired_backup the master sends
// priority 0 and becomes Backup instead of fighting the peer.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "libvrrp/core/actions.hpp"
#include "libvrrp/core/events.hpp"
#include "libvrrp/core/router_config.hpp"
#include "libvrrp/core/state.hpp"
#include "libvrrp/core/timers.hpp"

namespace vrrp {

class Router {
 public:
  explicit Router(RouterConfig config);

  [[nodiscard]] std::vector<Action> handle(const Event& event, TimePoint now);

  // The advert vrrp_io encodes for SendAdvert{priority}: our VRID, wire interval, VIPs, v2 auth.
  [[nodiscard]] Advert advert(std::uint8_t priority) const;

  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] const RouterConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::uint8_t effective_priority() const noexcept { return priority_; }
  // The interval we advertise (config rounded to the wire unit).
  [[nodiscard]] Duration advert_interval() const noexcept { return advert_interval_; }
  // RFC 5798 Master_Adver_Interval: the current master's interval (v3 backups adopt it).
  [[nodiscard]] Duration master_adver_interval() const noexcept { return master_adver_interval_; }
  [[nodiscard]] Duration master_down_interval() const noexcept;
  [[nodiscard]] bool holds_addresses() const noexcept { return holding_; }
  [[nodiscard]] bool demoted() const noexcept { return demoted_; }
  [[nodiscard]] bool wants_master() const noexcept { return want_master_; }
  // Source of the last advert we accepted as the master's, for status output.
  [[nodiscard]] const std::optional<vigil::IpAddress>& master_address() const noexcept { return master_address_; }

 private:
  using Actions = std::vector<Action>;

  void on(const Startup&, TimePoint now, Actions& out);
  void on(const Shutdown& e, TimePoint now, Actions& out);
  void on(const AdvertReceived& e, TimePoint now, Actions& out);
  void on(const TimerExpired& e, TimePoint now, Actions& out);
  void on(const PriorityChanged& e, TimePoint now, Actions& out);
  void on(const FaultChanged& e, TimePoint now, Actions& out);
  void on(const Demote&, TimePoint now, Actions& out);
  void on(const Promote&, TimePoint now, Actions& out);
  void on(const SyncMaster&, TimePoint now, Actions& out);
  void on(const SyncBackup&, TimePoint now, Actions& out);
  void on(const SyncFault& e, TimePoint now, Actions& out);

  void on_advert_backup(const Advert& a, const vigil::IpAddress& source, TimePoint now, Actions& out);
  void on_advert_master(const Advert& a, const vigil::IpAddress& source, TimePoint now, Actions& out);
  void on_advert_handover(const Advert& a, const vigil::IpAddress& source, TimePoint now, Actions& out);
  void on_master_down(TimePoint now, Actions& out);
  void on_advert_timer(TimePoint due, TimePoint now, Actions& out);
  void on_handover_deadline(TimePoint now, Actions& out);

  void enter(State to, Reason reason, TimePoint now, Actions& out);
  void start(Reason reason, TimePoint now, Actions& out);  // Initialize/Fault -> running
  void request_master(Reason reason, TimePoint now, Actions& out);
  void begin_handover(State target, Reason reason, TimePoint now, Actions& out);
  void update_fault(Reason reason, TimePoint now, Actions& out);
  [[nodiscard]] bool may_preempt(TimePoint now);
  [[nodiscard]] bool own_fault() const noexcept { return external_fault_ || priority_ == 0; }
  [[nodiscard]] bool faulted() const noexcept { return own_fault() || group_fault_; }
  [[nodiscard]] Duration stall_threshold() const noexcept;

  void send_advert(std::uint8_t priority, TimePoint now, Actions& out);
  void arm(TimerId id, TimePoint at, Actions& out);
  void cancel_all_timers(Actions& out);
  [[nodiscard]] bool armed(TimerId id) const noexcept;

  RouterConfig config_;
  Duration advert_interval_;
  State state_ = State::initialize;
  std::uint8_t priority_;
  Duration master_adver_interval_;
  std::optional<vigil::IpAddress> master_address_;

  bool holding_ = false;         // addresses claimed and not yet released
  bool external_fault_ = false;  // FaultChanged
  bool group_fault_ = false;     // SyncFault
  bool reported_own_fault_ = false;
  bool demoted_ = false;
  bool want_master_ = false;     // sync group: waiting for SyncMaster
  Reason want_master_reason_ = Reason::master_down;

  std::optional<TimePoint> preempt_at_;  // preempt_delay window, started by a lower-priority master
  std::optional<TimePoint> last_advert_sent_;

  struct Handover {
    TimePoint started;
    State target;  // initialize (stop) or backup (demote)
  };
  std::optional<Handover> handover_;

  std::array<std::optional<TimePoint>, k_timer_count> timers_{};  // when each armed timer is due
};

}  // namespace vrrp
