// DOC: vrrp::Service — VRRP for real: every vrrp_instance of a conf::Config as a Router driven by
// raw sockets, timers, rtnetlink and tracking, on one io_context.
//
//   Service svc{io, log, script_runner};      // runner may be null: no track scripts or notify
//   svc.start(config);                         // sockets, leftover-VIP cleanup, Startup
//   svc.plan_reload(next);                     // "~ VI_1 priority 100 -> 110", "+ VI_2", "- VI_3"
//   svc.reload(next);                          // unchanged instances are not touched
//   svc.shutdown(true, done);                  // lossless handover, then done()
//
// Per instance: one Router (libvrrp/core), one RouterTimers, the socket of its (interface, family)
// shared with the other instances there (adverts dispatched by VRID), its VIPs in the
// AddressTable, tracking (link monitor, script trackers) turned into PriorityChanged/FaultChanged.
// Sync groups route members' actions through vrrp::SyncGroup. Actions are carried out in the
// order the Router returned them (actions.hpp).
//
// Reload: an instance whose spec is unchanged keeps its Router, timers and addresses — a master
// stays master with no extra election. Priority, tracking and notify changes are applied in place;
// other Router settings (VIPs, advert_int, preempt, ...) rebuild the Router in the state the old
// one was in (a master is re-entered at once, claiming new VIPs and advertising the new settings,
// without a transition). A new VRID, interface, family, version or sync group is a different
// virtual router: the old one stops (priority 0, release) and the new one starts as backup.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.hpp"
#include "common/result.hpp"
#include "common/script_runner.hpp"
#include "conf/model.hpp"
#include "libvrrp/service/status.hpp"

namespace vrrp {

class Service {
 public:
  // `script_runner` runs vrrp_script checks and notify scripts; null disables both (logged once).
  Service(boost::asio::io_context& io, vigil::log::Logger& log, vigil::ScriptRunner* script_runner);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Opens sockets and netlink, removes VIPs a crashed predecessor left (every instance starts as
  // backup), starts every instance. An error leaves nothing running.
  vigil::Result<void> start(const conf::Config& config);

  [[nodiscard]] std::vector<std::string> plan_reload(const conf::Config& next) const;
  vigil::Result<void> reload(const conf::Config& next);

  // Planned stop. lossless: masters hand over (keep VIPs until the successor's first advert,
  // bounded); a sync group leaves together. Calling it again with lossless=false cuts a handover
  // short. done() runs (posted on the loop) once every instance has stopped.
  void shutdown(bool lossless, std::function<void()> done);

  vigil::Result<void> demote(std::string_view instance);
  vigil::Result<void> promote(std::string_view instance);
  vigil::Result<void> send_garp(std::string_view instance);

  [[nodiscard]] ServiceStatus status() const;

  // Called after every state transition (e.g. to refresh systemd's STATUS= line).
  void on_transition(std::function<void()> callback);

  struct Impl;  // service_impl.hpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vrrp
