#include "daemon/runtime/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

namespace vigild {

void SystemdNotifier::ready() const { sd_notify(0, "READY=1"); }
void SystemdNotifier::reloading() const { sd_notify(0, "RELOADING=1"); }
void SystemdNotifier::stopping() const { sd_notify(0, "STOPPING=1"); }
void SystemdNotifier::status(const std::string& text) {
  if (text == last_status_) return;
  last_status_ = text;
  sd_notifyf(0, "STATUS=%s", text.c_str());
}
void SystemdNotifier::watchdog() const { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(static_cast<std::int64_t>(usec / 2));
}

}  // namespace vigild
