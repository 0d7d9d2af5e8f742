// DOC: Vocabulary shared by every part of libhealth: time as data, a check's health, and what one
// probe run reports.
//
// The core never reads a clock: callers pass `now` in, as libvrrp's Router does, so the tracking
// rules are tested with plain TimePoint values. Durations are microseconds end to end, the
// resolution of keepalived's <TIMER> and of conf::Duration.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace health {

using Clock = std::chrono::steady_clock;  // the type only; health_core never calls now()
using TimePoint = Clock::time_point;
using Duration = std::chrono::microseconds;

enum class Health : std::uint8_t { down, up };

[[nodiscard]] constexpr std::string_view to_string(Health h) noexcept { return h == Health::up ? "up" : "down"; }

/// What one run of a probe found. text() is written for an operator's log ("connection refused",
/// "HTTP status 500 not in 200-299"), on success too ("connected in 0.4 ms").
struct ProbeResult {
  bool ok = false;
  std::string reason;
  std::optional<std::uint32_t> dynamic_weight;  // MISC_CHECK with misc_dynamic: exit code − 2
  Duration latency{0};
  /// When the probe ended, if the probe read the clock anyway (the service then needs no read of
  /// its own: in a VM without a TSC clocksource every clock read is a system call).
  std::optional<TimePoint> ended;
  /// A plain connect that succeeded (TCP_CHECK): `reason` stays empty and text() reads
  /// "connected in <latency>", formatted only when a log line or transition needs it — most
  /// results change nothing and are never read.
  bool connected = false;

  [[nodiscard]] std::string text() const;

  [[nodiscard]] static ProbeResult success(std::string why, Duration took = Duration{0}) {
    return ProbeResult{true, std::move(why), std::nullopt, took, std::nullopt};
  }
  [[nodiscard]] static ProbeResult connect_success() {
    ProbeResult r;
    r.ok = true;
    r.connected = true;
    return r;
  }
  [[nodiscard]] static ProbeResult failure(std::string why, Duration took = Duration{0}) {
    return ProbeResult{false, std::move(why), std::nullopt, took, std::nullopt};
  }
};

/// "3 s", "250 ms", "1.5 s", "800 µs": how durations appear in reasons and log lines.
[[nodiscard]] std::string format_duration(Duration d);

}  // namespace health
