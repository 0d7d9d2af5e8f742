// DOC: Events into Routers, actions out of them. deliver() runs an event through an instance's
// Router — or through its sync group, which may turn it into events for the other members — and
// carries out every action in the order returned (actions.hpp). Packets arrive here after the
// receive checks; tracking changes arrive as PriorityChanged / FaultChanged.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <cctype>
#include <deque>
#include <iomanip>
#include <sstream>
#include <type_traits>

#include "libvrrp/service/service_impl.hpp"

namespace vrrp {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// keepalived's state words for notify arguments and the FIFO.
std::string notify_word(State s) {
  switch (visible_state(s)) {
    case State::master: return "MASTER";
    case State::backup: return "BACKUP";
    case State::fault: return "FAULT";
    case State::initialize:
    case State::handover: return "STOP";
  }
  return "STOP";
}

std::string seconds_text(Duration d) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(d < std::chrono::seconds(10) ? 2 : 1)
    << static_cast<double>(d.count()) / 1e6 << " s";
  return o.str();
}

std::string ms_text(Duration d) {
  std::ostringstream o;
  const double ms = static_cast<double>(d.count()) / 1e3;
  o << std::fixed << std::setprecision(ms < 10 ? 1 : 0) << ms << " ms";
  return o.str();
}

template <class>
inline constexpr bool k_always_false = false;

}  // namespace

std::vector<vigil::log::Field> Service::Impl::fields(const Instance& inst) const {
  return {{"VRRP_INSTANCE", inst.name()},
          {"VRID", std::to_string(inst.spec.router.vrid)},
          {"STATE", upper(to_string(inst.router->state()))},
          {"PRIORITY", std::to_string(inst.router->effective_priority())}};
}

void Service::Impl::say(vigil::log::Level level, const Instance& inst, std::string_view message) {
  if (!log.enabled(level)) return;
  const auto f = fields(inst);
  log.log(level, message, std::span<const vigil::log::Field>(f));
}

void Service::Impl::deliver(Instance& inst, const Event& event) {
  const TimePoint now = Clock::now();
  if (inst.group == nullptr) {
    for (const Action& a : inst.router->handle(event, now)) execute(inst, a, now);
  } else {
    // vrrp::dispatch() with our own member lookup: members live in separate Instances.
    Group& g = *inst.group;
    std::deque<MemberEvent> pending;
    pending.push_back(MemberEvent{inst.member, event});
    while (!pending.empty()) {
      const MemberEvent next = std::move(pending.front());
      pending.pop_front();
      if (next.member >= g.members.size()) continue;
      Instance& m = *g.members[next.member];
      for (GroupOutput& o : g.core->process(next.member, m.router->handle(next.event, now))) {
        if (auto* e = std::get_if<MemberEvent>(&o)) {
          pending.push_back(std::move(*e));
        } else if (auto* a = std::get_if<MemberAction>(&o)) {
          if (a->member < g.members.size()) execute(*g.members[a->member], a->action, now);
        } else if (auto* t = std::get_if<GroupTransition>(&o)) {
          log.info("[" + g.name + "] group " + std::string(to_string(t->from)) + " -> " + std::string(to_string(t->to)),
                   {{"VRRP_GROUP", g.name}, {"STATE", upper(to_string(t->to))}});
          if (visible_state(t->from) != visible_state(t->to)) group_notify(g, t->to);
        }
      }
    }
  }
  check_stopped();
}

void Service::Impl::on_timer(Instance& inst, TimerId id) {
  if (id == TimerId::advert && inst.advert_due) {
    const TimePoint now = Clock::now();
    if (now >= *inst.advert_due) {  // else a stale expiry: the timer was re-armed since
      const auto late = std::chrono::duration_cast<std::chrono::microseconds>(now - *inst.advert_due);
      inst.advert_due.reset();
      if (late > k_advert_late_tolerance) ++inst.counters.adverts_late;
      inst.counters.max_advert_lateness_us =
          std::max(inst.counters.max_advert_lateness_us, static_cast<std::uint64_t>(late.count()));
    }
  }
  deliver(inst, TimerExpired{id});
}

void Service::Impl::fire_overdue_advert(Instance& inst) {
  // After a stall, epoll reports the socket and the timer together and Asio runs the socket's
  // handler first. Had the loop run on time, the advert timer would have fired before these
  // packets were read: keep that order, so that the Router measures its silence before a reply
  // to a queued advert hides the stall (and a master answers queued adverts as the master it
  // still is, or steps down first with timer_expired_backup).
  if (inst.advert_due && *inst.advert_due <= Clock::now()) on_timer(inst, TimerId::advert);
}

void Service::Impl::execute(Instance& inst, const Action& action, TimePoint now) {
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, SendAdvert>) {
          send_advert(inst, a.priority);
        } else if constexpr (std::is_same_v<T, ArmTimer>) {
          if (a.id == TimerId::advert) inst.advert_due = a.at;
          inst.timers->arm(a.id, a.at);
        } else if constexpr (std::is_same_v<T, CancelTimer>) {
          if (a.id == TimerId::advert) inst.advert_due.reset();
          inst.timers->cancel(a.id);
        } else if constexpr (std::is_same_v<T, ClaimAddresses>) {
          claim(inst);
        } else if constexpr (std::is_same_v<T, ReleaseAddresses>) {
          release(inst, inst.vips);
        } else if constexpr (std::is_same_v<T, SendGratuitous>) {
          gratuitous(inst, a.repeat);
        } else if constexpr (std::is_same_v<T, Notify>) {
          notify(inst, a.state);
        } else if constexpr (std::is_same_v<T, Transition>) {
          ++inst.counters.transitions;
          if (a.to == State::master) ++inst.counters.became_master;
          auto f = fields(inst);
          f.push_back({"REASON", std::string(to_string(a.reason))});
          log.log(vigil::log::Level::info, transition_line(inst.name(), inst.spec.router.family, a), std::span<const vigil::log::Field>(f));
          if (transition_callback) boost::asio::post(io, [cb = transition_callback, alive = std::weak_ptr<bool>(alive)] {
              if (const auto still = alive.lock(); still && *still) cb();
            });
        } else if constexpr (std::is_same_v<T, HandoverWaiting>) {
          say(vigil::log::Level::info, inst, "handing over " + inst.name() + ": waiting for a successor (up to " + seconds_text(a.deadline) + ")");
        } else if constexpr (std::is_same_v<T, HandoverDone>) {
          inst.last_handover_ms = static_cast<double>(a.elapsed.count()) / 1e3;
          say(vigil::log::Level::info, inst, inst.name() + ": successor " + a.successor.to_string() + " took over after " + ms_text(a.elapsed));
        } else if constexpr (std::is_same_v<T, HandoverTimedOut>) {
          say(vigil::log::Level::warning, inst, inst.name() + ": no successor after " + seconds_text(a.elapsed) +
                          (a.released ? ", released (no backup answered)" : ", kept the addresses (demote cancelled)"));
        } else if constexpr (std::is_same_v<T, HandoverAborted>) {
          say(vigil::log::Level::info, inst, inst.name() + ": handover aborted after " + ms_text(a.elapsed) + " (" +
                       std::string(to_string(a.reason)) + ")");
        } else if constexpr (std::is_same_v<T, Stalled>) {
          // keepalived's "thread timer expired": every stall is counted, and logged once with what
          // was measured — instances that stalled together (the whole loop did) share one line;
          // the Router already stepped down if timer_expired_backup asked for it.
          ++inst.counters.stalls;
          std::uint64_t suppressed = 0;
          if (stall_log.allow(now, suppressed)) {
            say(vigil::log::Level::warning, inst, inst.name() + ": advert timer fired " + ms_text(a.lateness) + " late, " + ms_text(a.silence) +
                            " since our previous advert: a backup may have taken over" +
                            (a.stepped_down ? "; stepping down (timer_expired_backup)" : "") +
                            (suppressed ? " (" + std::to_string(suppressed) + " other stalled instance(s) not logged)" : ""));
          }
        } else if constexpr (std::is_same_v<T, AdvertIgnored>) {
          io::DropReason r = io::DropReason::own_address;
          if (a.reason == IgnoreReason::version_mismatch) r = io::DropReason::version_mismatch;
          if (a.reason == IgnoreReason::interval_mismatch) r = io::DropReason::interval_mismatch;
          count_drop(inst, r, to_string(a.reason));
        } else if constexpr (std::is_same_v<T, AddressListMismatch>) {
          ++inst.counters.address_list_mismatch;
          std::uint64_t suppressed = 0;
          if (log.enabled(vigil::log::Level::debug) && inst.peer_log.allow(now, suppressed)) {
            say(vigil::log::Level::debug, inst, inst.name() + ": advert from " + a.source.to_string() + " lists other addresses than ours" +
                          (suppressed ? " (" + std::to_string(suppressed) + " similar not logged)" : ""));
          }
        } else if constexpr (std::is_same_v<T, LowerPriorityAdvert>) {
          ++inst.counters.lower_priority_adverts;
          std::uint64_t suppressed = 0;
          if (inst.peer_log.allow(now, suppressed)) {
            say(vigil::log::Level::info, inst, inst.name() + ": master heard a lower-priority advert (" + std::to_string(a.priority) + ") from " +
                         a.source.to_string() + ": two masters, asserting" +
                         (suppressed ? " (" + std::to_string(suppressed) + " similar not logged)" : ""));
          }
        } else if constexpr (std::is_same_v<T, FaultStatus> || std::is_same_v<T, WantMaster>) {
          // Sync-group bookkeeping; SyncGroup consumed it already.
        } else {
          static_assert(k_always_false<T>, "every Action must be carried out");
        }
      },
      action);
}

void Service::Impl::send_advert(Instance& inst, std::uint8_t priority) {
  auto it = sockets.find(inst.key);
  if (it == sockets.end()) return;
  const InstanceSpec& spec = inst.spec;
  const Advert advert = advert_for(inst.router->config(), priority);
  EncodeContext ctx;
  ctx.family = spec.router.family;
  ctx.source = spec.router.primary_address;
  ctx.v3_ipv4_checksum = spec.v3_ipv4_checksum;
  auto send_to = [&](const vigil::IpAddress& destination, std::uint8_t ttl) {
    ctx.destination = destination;
    const auto bytes = encode(advert, ctx);
    if (auto r = it->second.socket->send(bytes, ctx.source, destination, ttl); !r) {
      ++inst.counters.send_errors;
      std::uint64_t suppressed = 0;
      if (inst.peer_log.allow(Clock::now(), suppressed)) say(vigil::log::Level::warning, inst, inst.name() + ": " + r.error().message);
    }
  };
  if (spec.unicast) {
    for (const auto& peer : spec.receive.peers) send_to(peer.address, spec.unicast_ttl);
  } else {
    send_to(spec.multicast_group, 255);
  }
  ++inst.counters.adverts_sent;
}

void Service::Impl::claim(Instance& inst) {
  std::size_t added = 0;
  for (const auto& vip : inst.vips) {
    auto r = addresses->add(vip);
    if (!r) {
      say(vigil::log::Level::error, inst, inst.name() + ": cannot add " + r.error().message);
    } else if (*r) {
      ++added;
    }
  }
  say(vigil::log::Level::debug, inst, inst.name() + ": added " + std::to_string(added) + " of " + std::to_string(inst.vips.size()) + " address(es)");
}

void Service::Impl::release(Instance& inst, const std::vector<io::VipSpec>& vips) {
  for (const auto& vip : vips) {
    if (auto r = addresses->remove(vip); !r) say(vigil::log::Level::error, inst, inst.name() + ": cannot remove " + r.error().message);
  }
  say(vigil::log::Level::debug, inst, inst.name() + ": released " + std::to_string(vips.size()) + " address(es)");
}

void Service::Impl::gratuitous(Instance& inst, unsigned repeat) {
  if (repeat == 0 || inst.announce.empty()) return;
  ++inst.counters.gratuitous_bursts;
  announcer->announce(inst.announce, repeat, inst.spec.garp_interval, inst.spec.gna_interval);
}

void Service::Impl::notify(Instance& inst, State state) {
  if (runner == nullptr) return;
  const NotifySpec& n = inst.spec.notify;
  const std::optional<vigil::ScriptSpec>* specific = nullptr;
  switch (visible_state(state)) {
    case State::master: specific = &n.master; break;
    case State::backup: specific = &n.backup; break;
    case State::fault: specific = &n.fault; break;
    case State::initialize:
    case State::handover: specific = &n.stop; break;
  }
  const std::string name = inst.name();
  auto report = [this, name, alive = std::weak_ptr<bool>(alive)](const vigil::ScriptOutcome& o) {
    const auto still = alive.lock();
    if (!still || !*still || o.success()) return;
    log.warning(name + ": notify script failed" + (o.error.empty() ? "" : ": " + o.error) +
                    " (status " + std::to_string(o.code) + ")",
                {{"VRRP_INSTANCE", name}});
  };
  if (specific != nullptr && *specific) runner->run(**specific, report);
  if (n.any) {
    vigil::ScriptSpec spec = *n.any;
    // keepalived appends: INSTANCE|GROUP name state priority
    spec.extra_args = {"INSTANCE", name, notify_word(state), std::to_string(inst.router->effective_priority())};
    runner->run(spec, report);
  }
}

void Service::Impl::group_notify(Group& group, State state) {
  if (runner == nullptr) return;
  const NotifySpec& n = group.notify;
  const std::optional<vigil::ScriptSpec>* specific = nullptr;
  switch (visible_state(state)) {
    case State::master: specific = &n.master; break;
    case State::backup: specific = &n.backup; break;
    case State::fault: specific = &n.fault; break;
    case State::initialize:
    case State::handover: specific = &n.stop; break;
  }
  auto ignore = [](const vigil::ScriptOutcome&) {};
  if (specific != nullptr && *specific) runner->run(**specific, ignore);
  if (n.any) {
    vigil::ScriptSpec spec = *n.any;
    spec.extra_args = {"GROUP", group.name, notify_word(state), "0"};
    runner->run(spec, ignore);
  }
}

// ---- receive -------------------------------------------------------------------------------

void Service::Impl::on_packet(const SocketKey& key, const io::InboundPacket& packet) {
  auto it = sockets.find(key);
  if (it == sockets.end()) return;
  SharedSocket& shared = it->second;
  const auto vrid = io::peek_vrid(packet.message);
  Instance* inst = vrid ? shared.by_vrid[*vrid] : nullptr;
  if (inst == nullptr) {
    const auto reason = vrid ? io::DropReason::unknown_vrid : io::DropReason::too_short;
    on_socket_error(key, reason,
                    vrid ? "VRID " + std::to_string(*vrid) + " from " + packet.source.to_string() + " is not ours"
                         : "runt packet from " + packet.source.to_string());
    return;
  }
  io::Verdict verdict = io::check_advert(packet, inst->spec.receive);
  if (verdict.drop) {
    count_drop(*inst, *verdict.drop, verdict.detail);
    return;
  }
  ++inst->counters.adverts_received;
  fire_overdue_advert(*inst);
  deliver(*inst, AdvertReceived{std::move(verdict.advert), packet.source});
}

void Service::Impl::on_socket_error(const SocketKey& key, io::DropReason reason, std::string_view detail) {
  auto it = sockets.find(key);
  if (it == sockets.end()) return;
  SharedSocket& shared = it->second;
  ++shared.drops[static_cast<std::size_t>(reason)];
  std::uint64_t suppressed = 0;
  if (!log.enabled(vigil::log::Level::debug) || !shared.log_limit.allow(Clock::now(), suppressed)) return;
  log.debug("vrrp " + key.interface + "/" + std::string(vigil::to_string(key.family)) + ": dropped advert (" +
                std::string(io::to_string(reason)) + "): " + std::string(detail) +
                (suppressed ? " (" + std::to_string(suppressed) + " drops not logged)" : ""),
            {{"INTERFACE", key.interface}, {"DROP_REASON", std::string(io::to_string(reason))}});
}

void Service::Impl::count_drop(Instance& inst, io::DropReason reason, std::string_view detail) {
  ++inst.counters.drops[static_cast<std::size_t>(reason)];
  std::uint64_t suppressed = 0;
  // Checked before formatting anything: a flood costs a counter increment per packet.
  if (!log.enabled(vigil::log::Level::debug) || !inst.drop_log.allow(Clock::now(), suppressed)) return;
  auto f = fields(inst);
  f.push_back({"DROP_REASON", std::string(io::to_string(reason))});
  log.log(vigil::log::Level::debug,
          inst.name() + ": dropped advert (" + std::string(io::to_string(reason)) + "): " + std::string(detail) +
              (suppressed ? " (" + std::to_string(suppressed) + " drops not logged)" : ""),
          std::span<const vigil::log::Field>(f));
}

// ---- tracking ------------------------------------------------------------------------------

void Service::Impl::on_link(const std::string& name, bool up) {
  link_state[name] = up;
  log.info("vrrp: link " + name + (up ? " up" : " down"), {{"INTERFACE", name}});
  for (const auto& inst : instances) {
    const InstanceSpec& s = inst->spec;
    const bool tracked = s.interface == name || std::any_of(s.track_links.begin(), s.track_links.end(),
                                                            [&](const TrackedLink& t) { return t.name == name; });
    if (tracked) retrack(*inst);
  }
}

void Service::Impl::on_script(const std::string& name, bool good) {
  script_state[name] = good;
  log.info("vrrp_script " + name + (good ? " succeeded" : " failed"), {{"VRRP_SCRIPT", name}});
  for (const auto& inst : instances) {
    const auto& ts = inst->spec.track_scripts;
    if (std::any_of(ts.begin(), ts.end(), [&](const TrackedScript& t) { return t.name == name; })) retrack(*inst);
  }
}

void Service::Impl::retrack(Instance& inst) {
  const TrackingResult next = evaluate_tracking(inst.spec, link_state, script_state);
  const TrackingResult before = inst.tracking;
  inst.tracking = next;
  if (next.priority != inst.router->effective_priority()) deliver(inst, PriorityChanged{next.priority});
  if (next.faulted != before.faulted) {
    if (next.faulted) {
      say(vigil::log::Level::warning, inst, inst.name() + ": fault: " + next.fault_reason);
    } else {
      say(vigil::log::Level::info, inst, inst.name() + ": fault cleared");
    }
    deliver(inst, FaultChanged{next.faulted});
  }
}

}  // namespace vrrp
