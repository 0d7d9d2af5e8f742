// DOC: Real-time scheduling for the VRRP loop (keepalived's vrrp_rt_priority, vrrp_no_swap,
// vrrp_rlimit_rttime). On a busy host a normally scheduled daemon sends its adverts late and the
// backup takes over while the master is alive (keepalived #1955, #2066, #2469). SCHED_RR at a low
// real-time priority puts the loop ahead of ordinary work; RLIMIT_RTTIME is the guard that keeps
// a runaway loop from locking the host up (it must block at least every `rttime` of CPU, or it
// gets SIGXCPU, then SIGKILL). SCHED_RESET_ON_FORK keeps scripts and helper threads created
// afterwards at normal priority, and helper threads drop it explicitly in case vigild was
// started real-time by someone else (chrt, a unit without CPUSchedulingResetOnFork).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vigil {

struct RealtimeSettings {
  std::optional<std::uint8_t> priority;      // SCHED_RR priority 1..99; nullopt: leave as started
  std::uint64_t rttime_limit_us = 2'000'000;  // RLIMIT_RTTIME while real-time
  bool lock_memory = false;                  // mlockall(MCL_CURRENT | MCL_FUTURE)
};

/// Applies the settings to the calling (loop) thread and the process; returns one line per
/// thing done or refused ("SCHED_RR priority 1", "mlockall: Cannot allocate memory").
[[nodiscard]] std::string apply_realtime(const RealtimeSettings& settings, bool& ok);

/// Puts the calling thread back to SCHED_OTHER (worker and parser threads: their work must never
/// compete with the loop, and a long parse must not count against RLIMIT_RTTIME).
void drop_realtime_for_this_thread() noexcept;

/// "SCHED_RR 1", "SCHED_OTHER" — the calling thread's policy, for logs and tests.
[[nodiscard]] std::string current_scheduling();

}  // namespace vigil
