#include "common/realtime.hpp"

#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace vigil {

std::string apply_realtime(const RealtimeSettings& settings, bool& ok) {
  ok = true;
  std::string out;
  auto note = [&](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (settings.priority) {
    // The limit first: once real-time, a spin before setrlimit would be unguarded.
    const rlimit lim{settings.rttime_limit_us, settings.rttime_limit_us};
    if (::setrlimit(RLIMIT_RTTIME, &lim) != 0) {
      ok = false;
      note(std::string("RLIMIT_RTTIME: ") + std::strerror(errno));
    }
    sched_param p{};
    p.sched_priority = *settings.priority;
    if (::sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &p) != 0) {
      ok = false;
      note(std::string("SCHED_RR priority ") + std::to_string(*settings.priority) + ": " + std::strerror(errno) +
           " (needs CAP_SYS_NICE or RLIMIT_RTPRIO; under systemd use CPUSchedulingPolicy=rr)");
    } else {
      note("SCHED_RR priority " + std::to_string(*settings.priority) + ", RLIMIT_RTTIME " +
           std::to_string(settings.rttime_limit_us / 1000) + " ms");
    }
  }
  if (settings.lock_memory) {
    if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
      ok = false;
      note(std::string("mlockall: ") + std::strerror(errno) + " (raise LimitMEMLOCK=)");
    } else {
      note("memory locked");
    }
  }
  return out;
}

void drop_realtime_for_this_thread() noexcept {
  if (::sched_getscheduler(0) == SCHED_OTHER) return;
  sched_param p{};
  p.sched_priority = 0;
  (void)::sched_setscheduler(0, SCHED_OTHER, &p);
}

std::string current_scheduling() {
  const int policy = ::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
  sched_param p{};
  (void)::sched_getparam(0, &p);
  switch (policy) {
    case SCHED_RR: return "SCHED_RR " + std::to_string(p.sched_priority);
    case SCHED_FIFO: return "SCHED_FIFO " + std::to_string(p.sched_priority);
    case SCHED_OTHER: return "SCHED_OTHER";
    default: return "policy " + std::to_string(policy);
  }
}

}  // namespace vigil
