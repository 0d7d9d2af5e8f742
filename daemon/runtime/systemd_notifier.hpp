// DOC: sd_notify for Type=notify units: READY/RELOADING/STOPPING/STATUS, and WATCHDOG=1 sent
// from the event loop itself, so a stalled loop stops the keepalives and systemd restarts us.
// Outside systemd ($NOTIFY_SOCKET unset) every call is a cheap no-op.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace vigild {

class SystemdNotifier {
 public:
  void ready() const;
  void reloading() const;
  void stopping() const;
  /// Sends STATUS= only when the text changed (the daemon refreshes it after every change of any
  /// subsystem; systemd needs one datagram per new text).
  void status(const std::string& text);
  void watchdog() const;
  /// The interval at which to send WATCHDOG=1 (half of WatchdogSec=), if the unit asks for it.
  [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() const;

 private:
  std::string last_status_;
};

}  // namespace vigild
