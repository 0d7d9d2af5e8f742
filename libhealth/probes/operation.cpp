// DOC: Operation: deadline, cancellation and the shared "interrupted" wording.
#include "libhealth/probes/operation.hpp"

namespace health {

namespace detail {

Operation::Operation(ProbeContext& context, Duration timeout)
    : timeout_(timeout), context_(context), deadline_(context.io()), started_(Clock::now()) {}

void Operation::cancel() noexcept {
  if (finished_ || cancelled_) return;
  cancelled_ = true;
  abort();
}

Duration Operation::elapsed() const noexcept {
  return std::chrono::duration_cast<Duration>(Clock::now() - started_);
}

void Operation::finish() noexcept {
  finished_ = true;
  error_code ignored;
  deadline_.cancel(ignored);
  abort();
}

void Operation::arm_deadline() { arm_deadline(timeout_); }

void Operation::arm_deadline(Duration timeout) {
  deadline_.expires_after(timeout);
  // A weak reference: the deadline alone must not keep a finished probe alive.
  deadline_.async_wait([weak = weak_from_this()](const error_code& ec) {
    if (ec) return;
    if (const auto self = weak.lock(); self && !self->finished_) {
      self->timed_out_ = true;
      self->abort();
    }
  });
}

ProbeResult Operation::interrupted(const std::string& stage) const {
  if (cancelled_) return ProbeResult::failure("cancelled during " + stage);
  return ProbeResult::failure(stage + " timeout after " + format_duration(timeout_));
}

std::string describe_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace detail
}  // namespace health
