// DOC: MISC_CHECK exit mapping.
#include "libhealth/core/misc_rules.hpp"

#include <cstring>

namespace health {

ProbeResult evaluate_misc_exit(const ChildExit& exit, bool dynamic, Duration timeout) {
  if (exit.timed_out) return ProbeResult::failure("script timed out after " + format_duration(timeout) + " (killed)");
  if (exit.signal) {
    const char* name = sigabbrev_np(*exit.signal);
    return ProbeResult::failure("script killed by signal " +
                                (name ? "SIG" + std::string(name) : std::to_string(*exit.signal)));
  }
  const int code = exit.exit_code.value_or(-1);
  if (code == 0) return ProbeResult::success("script exited 0");
  if (dynamic && code >= 2 && code <= 255) {
    ProbeResult r = ProbeResult::success("script exited " + std::to_string(code) + ": misc_dynamic weight " +
                                         std::to_string(code - 2));
    r.dynamic_weight = static_cast<std::uint32_t>(code - 2);
    return r;
  }
  return ProbeResult::failure("script exited " + std::to_string(code));
}

}  // namespace health
