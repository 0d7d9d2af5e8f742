// DOC: TcpConnector — TCP_CHECK's connects, with as few system calls and loop wake-ups per check
// as a non-blocking connect allows.
//
// Per check: socket(SOCK_NONBLOCK | SOCK_CLOEXEC), the source options if any, connect(), one
// epoll_ctl(ADD) with EPOLLOUT | EPOLLONESHOT into an epoll instance of the connector's own, then
// on success setsockopt(SO_LINGER) and close(); on failure getsockopt(SO_ERROR) and close(). A
// connect that fails sets the socket's error, which epoll reports as EPOLLERR, so a success
// (EPOLLOUT alone) needs no getsockopt. (tcp::socket::async_connect costs an ioctl(FIONBIO), an
// epoll_ctl(MOD) to add EPOLLOUT, a poll() and a getsockopt besides, and a handler per socket.)
//
// The connector's epoll descriptor sits in the loop's reactor as one descriptor: one wake-up
// reports every connect that finished meanwhile. They are taken at most k_slice at a time; when
// more are waiting, the next slice is posted behind whatever the loop already has queued, so a
// VRRP timer that expired meanwhile runs between two slices instead of after all of them.
//
// Deadlines: one steady_timer for all pending connects, over DeadlineQueues (a FIFO per timeout
// value), instead of a timer per connect.
//
// Closing a connected check socket resets it (SO_LINGER {1, 0}), as HAProxy does for its health
// checks: a TCP_CHECK sends nothing, so nothing is lost, and the close costs one RST instead of
// a FIN exchange, and leaves no TIME_WAIT behind — with a fixed bind_port the next round's bind
// then never waits for the last one's TIME_WAIT. keepalived (check/layer4.c) sets SO_LINGER
// {1, 5} instead and closes with a FIN, so the server sees a clean close after an accept; with
// vigil it sees a reset.
//
// Results reach the callback on the loop, never inline in start(); the wording is the other
// probes': "connection refused", "connect timeout after 3 s", "cancelled during connect".
#pragma once

#include <memory>
#include <optional>

#include "libhealth/core/deadline_queues.hpp"
#include "libhealth/probes/probe.hpp"

namespace health::detail {

class TcpConnector {
 public:
  explicit TcpConnector(asio::io_context& io);
  /// Closes the sockets of connects still pending; their callbacks never run.
  ~TcpConnector();
  TcpConnector(const TcpConnector&) = delete;
  TcpConnector& operator=(const TcpConnector&) = delete;

  /// Starts a connect to the target (with its source options) bounded by `timeout`; `now` is the
  /// caller's reading of the clock. Results carry the time they were taken (ProbeResult::ended):
  /// one clock read per start and one per slice of completions.
  [[nodiscard]] ProbeHandle start(const CheckTarget& target, Duration timeout, ProbeCallback done,
                                  TimePoint now = Clock::now());

  [[nodiscard]] std::size_t pending() const noexcept { return deadlines_.size(); }

  /// Completions handled per loop turn at most.
  static constexpr int k_slice = 16;

 private:
  class Connect;
  struct Finished;

  void wait();
  void harvest() noexcept;
  void arm(TimePoint deadline);
  void expire() noexcept;
  void finish(Connect& c, ProbeResult result, Finished& out, TimePoint now) noexcept;
  void cancel(Connect& c) noexcept;
  void post_result(std::shared_ptr<Connect> c, ProbeResult result);

  asio::io_context& io_;
  asio::posix::stream_descriptor watch_;  // the connector's epoll instance
  asio::steady_timer timer_;
  std::optional<TimePoint> armed_for_;
  bool watching_ = false;  // an async_wait on watch_, or the next slice, is pending
  DeadlineQueues deadlines_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers hold a weak reference
};

}  // namespace health::detail
