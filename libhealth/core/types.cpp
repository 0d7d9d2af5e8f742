// DOC: Formatting of the shared vocabulary (durations as operators read them in log lines).
#include "libhealth/core/types.hpp"

#include <cstdio>

namespace health {

std::string format_duration(Duration d) {
  const auto us = d.count();
  char buf[48];
  // Whole units print without decimals ("3 s", "250 ms"); others keep what matters ("1.5 s").
  if (us % 1'000'000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(us / 1'000'000));
  } else if (us >= 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.3g s", static_cast<double>(us) / 1e6);
  } else if (us % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(us / 1000));
  } else if (us >= 1000) {
    std::snprintf(buf, sizeof buf, "%.3g ms", static_cast<double>(us) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%lld µs", static_cast<long long>(us));
  }
  return buf;
}

std::string ProbeResult::text() const {
  if (connected && reason.empty()) return "connected in " + format_duration(latency);
  return reason;
}

}  // namespace health
