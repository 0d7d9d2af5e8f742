// DOC: One steady_timer per TimerId; expiry handlers are guarded by an alive token so a Router
// removed by a reload never sees a late expiry.
#include "libvrrp/io/router_timers.hpp"

namespace vrrp::io {
namespace {

template <std::size_t... I>
std::array<boost::asio::steady_timer, sizeof...(I)> make_timers(boost::asio::io_context& io, std::index_sequence<I...>) {
  return {((void)I, boost::asio::steady_timer(io))...};
}

}  // namespace

RouterTimers::RouterTimers(boost::asio::io_context& io, Handler handler)
    : timers_(make_timers(io, std::make_index_sequence<k_timer_count>{})), handler_(std::move(handler)) {}

RouterTimers::~RouterTimers() {
  *alive_ = false;
  cancel_all();
}

void RouterTimers::arm(TimerId id, TimePoint at) {
  auto& timer = timers_[static_cast<std::size_t>(id)];
  timer.expires_at(at);
  timer.async_wait([this, id, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    const auto still = alive.lock();
    if (ec || !still || !*still) return;
    handler_(id);
  });
}

void RouterTimers::cancel(TimerId id) { timers_[static_cast<std::size_t>(id)].cancel(); }

void RouterTimers::cancel_all() {
  for (auto& t : timers_) t.cancel();
}

}  // namespace vrrp::io
