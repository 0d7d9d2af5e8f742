// DOC: RouterTimers — the Asio side of a Router's ArmTimer/CancelTimer actions: one steady_timer
// per TimerId (DESIGN.md). ArmTimer{id, at} re-arms that id's timer; expiry calls the handler with
// the id, which the owner turns into TimerExpired{id} at steady_clock::now(). The Router itself
// recognises stale expiries, so a cancel racing an expiry is harmless.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "libvrrp/core/events.hpp"
#include "libvrrp/core/timers.hpp"

namespace vrrp::io {

class RouterTimers {
 public:
  using Handler = std::function<void(TimerId)>;
  RouterTimers(boost::asio::io_context& io, Handler handler);
  ~RouterTimers();
  RouterTimers(const RouterTimers&) = delete;
  RouterTimers& operator=(const RouterTimers&) = delete;

  void arm(TimerId id, TimePoint at);
  void cancel(TimerId id);
  void cancel_all();

 private:
  static_assert(std::is_same_v<TimePoint, boost::asio::steady_timer::time_point>,
                "the core's TimePoint must be the steady clock Asio's timers use");
  std::array<boost::asio::steady_timer, k_timer_count> timers_;
  Handler handler_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vrrp::io
