// DOC: Kernel — what the daemon needs from an IPVS table: read it (dump) and change it
// (apply a Plan). Implemented by ipvs::Socket (generic netlink, the real kernel) and by
// ipvs::FakeKernel (in memory, with the kernel's rules) so the reconcile loop is tested without
// root.
//
// apply() never stops at the first failure and never throws: every operation is attempted (a
// failed service add makes its dest adds fail too, which is reported), and each failure comes
// back as a value naming the operation and the errno, e.g.
// "add dest 10.0.0.2:80 to TCP 10.0.0.10:80: No such process". The next dump shows what the
// kernel really holds, and the next diff repairs it.
#pragma once

#include "libipvs/request.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "libipvs/model.hpp"
#include "libipvs/plan.hpp"

namespace ipvs {

struct OpFailure {
  std::size_t index = 0;  // into Plan::operations
  vigil::Error error;     // message names the operation; code is the errno
};

struct ApplyReport {
  std::size_t attempted = 0;
  std::vector<OpFailure> failures;

  [[nodiscard]] bool ok() const noexcept { return failures.empty(); }
  [[nodiscard]] std::size_t succeeded() const noexcept { return attempted - failures.size(); }
  /// Ok, or the first failure (for callers that want a single Result).
  [[nodiscard]] vigil::Result<void> first_error() const;
  /// One line per failure.
  [[nodiscard]] std::string to_string() const;
};

class Kernel {
 public:
  Kernel() = default;
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  Kernel(Kernel&&) noexcept = default;
  Kernel& operator=(Kernel&&) noexcept = default;
  virtual ~Kernel() = default;

  [[nodiscard]] virtual vigil::Result<Table> dump() = 0;
  /// Whether later dumps carry the counters (Service/Dest::stats); they do until told otherwise.
  virtual void set_counters(Counters counters) = 0;
  [[nodiscard]] virtual ApplyReport apply(const Plan& plan) = 0;
  /// A request that is not a table change: flush, connection timeouts, sync daemon start/stop.
  [[nodiscard]] virtual vigil::Result<void> control(const Request& request) = 0;
};

/// Updates a cached copy of the kernel's table with the operations of `plan` that succeeded
/// (every one not in `report.failures`), so a health change can be diffed against the last dump
/// plus what was applied since, without a new dump. Counters of kept dests stay as dumped.
void record_applied(Table& cached, const Plan& plan, const ApplyReport& report);

/// "No such process" for ESRCH (glibc's strerrordesc_np: thread-safe, no locale).
[[nodiscard]] std::string errno_text(int errno_value);

/// "<describe(op)>: <errno text>" (+ " (<detail>)" when the kernel sent an extended-ack text).
[[nodiscard]] vigil::Error operation_error(const Operation& op, int errno_value, std::string_view detail = {});

}  // namespace ipvs
