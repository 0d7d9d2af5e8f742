// DOC: Helpers that let Router tests read like scripts: config builders, adverts from a peer, and
// questions about an action list ("does it contain ArmTimer{master_down, t}?").
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "libvrrp/core/actions.hpp"
#include "libvrrp/core/router.hpp"

namespace vrrp_test {

using namespace std::chrono_literals;
using vrrp::Action;
using vrrp::Duration;
using vrrp::TimePoint;

inline vigil::IpAddress ip(const char* text) { return *vigil::IpAddress::parse(text); }

inline const TimePoint t0{};  // the injected clock starts at the epoch

// VRRPv3, IPv4, VRID 51, priority 100, 1 s, us = 198.18.0.1, VIP 198.18.0.100. GARP timers off so
// that tests about elections see only election actions (GARP has its own tests).
inline vrrp::RouterConfig v3_config(std::uint8_t priority = 100, std::chrono::milliseconds interval = 1s) {
  vrrp::RouterConfig c;
  c.name = "VI_1";
  c.vrid = 51;
  c.version = 3;
  c.priority = priority;
  c.advert_interval = interval;
  c.primary_address = ip("198.18.0.1");
  c.addresses = {ip("198.18.0.100")};
  c.garp.master_delay = 0ms;
  return c;
}

inline vrrp::RouterConfig v2_config(std::uint8_t priority = 100) {
  auto c = v3_config(priority);
  c.version = 2;
  return c;
}

// An advert from a peer of the same virtual router.
inline vrrp::AdvertReceived advert_from(const char* source, std::uint8_t priority, const vrrp::RouterConfig& c,
                                        std::optional<std::chrono::milliseconds> interval = std::nullopt) {
  vrrp::Advert a;
  a.version = c.version;
  a.vrid = c.vrid;
  a.priority = priority;
  a.max_advert_int = interval.value_or(c.advert_interval);
  a.addresses = c.addresses;
  return vrrp::AdvertReceived{a, ip(source)};
}

inline vrrp::TimerExpired expired(vrrp::TimerId id) { return vrrp::TimerExpired{id}; }

template <class T>
bool contains(const std::vector<Action>& actions, const T& wanted) {
  return std::any_of(actions.begin(), actions.end(), [&](const Action& a) {
    const auto* p = std::get_if<T>(&a);
    return p != nullptr && *p == wanted;
  });
}

template <class T>
std::size_t count_of(const std::vector<Action>& actions) {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(), [](const Action& a) { return std::holds_alternative<T>(a); }));
}

template <class T>
std::optional<T> first(const std::vector<Action>& actions) {
  for (const Action& a : actions) {
    if (const auto* p = std::get_if<T>(&a)) return *p;
  }
  return std::nullopt;
}

// When the last ArmTimer for `id` in `actions` is due.
inline std::optional<TimePoint> armed_at(const std::vector<Action>& actions, vrrp::TimerId id) {
  std::optional<TimePoint> at;
  for (const Action& a : actions) {
    if (const auto* p = std::get_if<vrrp::ArmTimer>(&a); p != nullptr && p->id == id) at = p->at;
  }
  return at;
}

// Index of the first action equal to `wanted`, or npos; for order checks.
template <class T>
std::size_t position(const std::vector<Action>& actions, const T& wanted) {
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (const auto* p = std::get_if<T>(&actions[i]); p != nullptr && *p == wanted) return i;
  }
  return std::string::npos;
}

// A backup that has accepted `master` at `at` (so its Master_Down_Timer runs from there).
inline vrrp::Router backup_following(const vrrp::RouterConfig& c, const char* master, std::uint8_t master_priority,
                                     TimePoint at = t0) {
  vrrp::Router r{c};
  (void)r.handle(vrrp::Startup{}, at);
  (void)r.handle(advert_from(master, master_priority, c), at);
  return r;
}

// A router that became master at `at` by waiting out its Master_Down_Interval from t0.
inline vrrp::Router master_at(const vrrp::RouterConfig& c, TimePoint* became = nullptr) {
  vrrp::Router r{c};
  (void)r.handle(vrrp::Startup{}, t0);
  const TimePoint at = t0 + r.master_down_interval();
  (void)r.handle(expired(vrrp::TimerId::master_down), at);
  if (became != nullptr) *became = at;
  return r;
}

}  // namespace vrrp_test

namespace Catch {
template <>
struct StringMaker<vrrp::Action> {
  static std::string convert(const vrrp::Action& a) { return vrrp::to_string(a); }
};
}  // namespace Catch
