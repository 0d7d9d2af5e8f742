// DOC: Internal base of every probe: the deadline and cancellation that all of them share.
//
// A probe is a coroutine member of an Operation subclass. The deadline is a steady_timer armed
// for the probe's timeout; when it fires it records `timed_out` and calls abort(), which closes
// the probe's sockets (or kills its process group) so that the pending operation completes with
// an error the coroutine then reports as a timeout. cancel() does the same for a reload.
// launch() co_spawns the coroutine and delivers its one result; no exception leaves it.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "libhealth/probes/probe.hpp"

namespace health::detail {

class Operation : public Cancellable, public std::enable_shared_from_this<Operation> {
 public:
  Operation(ProbeContext& context, Duration timeout);
  ~Operation() override = default;
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

  void cancel() noexcept override;
  [[nodiscard]] ProbeContext& context() noexcept { return context_; }
  [[nodiscard]] Duration elapsed() const noexcept;
  /// Called once the coroutine is over: stops the deadline, releases what abort() would.
  void finish() noexcept;

 protected:
  void arm_deadline();
  void arm_deadline(Duration timeout);
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }
  [[nodiscard]] bool cancelled() const noexcept { return cancelled_; }
  /// The result for an operation interrupted by the deadline or by cancel(); `stage` says what
  /// was being waited for ("connect", "TLS handshake", "HTTP response").
  [[nodiscard]] ProbeResult interrupted(const std::string& stage) const;
  /// Close sockets / kill children. Must be idempotent and must not throw.
  virtual void abort() noexcept = 0;

  Duration timeout_;

 private:
  ProbeContext& context_;
  asio::steady_timer deadline_;
  Clock::time_point started_;
  bool timed_out_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
};

[[nodiscard]] std::string describe_exception(const std::exception_ptr& e);

/// Starts `op->run()` (an asio::awaitable<ProbeResult>) and calls `done` with its result.
template <class Op>
ProbeHandle launch(std::shared_ptr<Op> op, ProbeCallback done) {
  auto& io = op->context().io();
  asio::co_spawn(io, op->run(), [op, done = std::move(done)](std::exception_ptr e, ProbeResult result) {
    op->finish();
    if (e) result = ProbeResult::failure("internal error: " + describe_exception(e));
    result.latency = op->elapsed();
    try {
      done(std::move(result));
    } catch (...) {
      // The service's callback does its own catching; nothing may escape into io_context::run().
    }
  });
  return ProbeHandle(std::move(op));
}

}  // namespace health::detail
