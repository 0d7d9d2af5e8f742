// DOC: TcpConnector: non-blocking connects in an epoll instance of their own, one deadline timer,
// completions in bounded slices (see tcp_connector.hpp).
#include "libhealth/probes/tcp_connector.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "libhealth/probes/socket_util.hpp"

namespace health::detail {

class TcpConnector::Connect final : public Cancellable, public DeadlineNode {
 public:
  Connect(TcpConnector& owner, Duration timeout, ProbeCallback done, TimePoint now)
      : owner_(&owner), timeout_(timeout), started_(now), done_(std::move(done)) {}
  ~Connect() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Connect(const Connect&) = delete;
  Connect& operator=(const Connect&) = delete;

  void cancel() noexcept override {
    if (owner_ && self_) owner_->cancel(*this);
  }

  TcpConnector* owner_;  // null once the connector is gone
  int fd_ = -1;
  Duration timeout_;
  TimePoint started_;
  ProbeCallback done_;
  std::shared_ptr<Connect> self_;  // set while pending: the connector's reference
};

struct TcpConnector::Finished {
  std::shared_ptr<Connect> connect;
  ProbeResult result;

  void deliver() noexcept {
    if (!connect) return;
    const ProbeCallback done = std::move(connect->done_);
    connect.reset();
    try {
      if (done) done(std::move(result));
    } catch (...) {
      // The service's callback does its own catching; nothing may escape into io_context::run().
    }
  }
};

namespace {

int make_epoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}

std::string errno_text(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

error_code system_error_code(int err) { return error_code(err, asio::error::get_system_category()); }

}  // namespace

TcpConnector::TcpConnector(asio::io_context& io) : io_(io), watch_(io, make_epoll()), timer_(io) {}

TcpConnector::~TcpConnector() {
  alive_.reset();
  while (DeadlineNode* node = deadlines_.pop_expired(TimePoint::max())) {
    auto& c = static_cast<Connect&>(*node);
    c.owner_ = nullptr;
    if (c.fd_ >= 0) ::close(c.fd_);
    c.fd_ = -1;
    const auto drop = std::move(c.self_);  // may destroy c
  }
}

ProbeHandle TcpConnector::start(const CheckTarget& target, Duration timeout, ProbeCallback done, TimePoint now) {
  auto c = std::make_shared<Connect>(*this, timeout, std::move(done), now);
  const int fd = ::socket(target.ip.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    post_result(c, ProbeResult::failure(errno_text("socket", errno)));
    return ProbeHandle(std::move(c));
  }
  c->fd_ = fd;
  if (auto source = apply_source(fd, target); !source) {
    post_result(c, ProbeResult::failure(source.error().message));
    return ProbeHandle(std::move(c));
  }
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(target.ip.is_v4(), &target.ip, target.port, ss);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
    post_result(c, ProbeResult::failure(connect_error(system_error_code(errno))));
    return ProbeHandle(std::move(c));
  }
  // Also when connect() succeeded at once: the result still comes from the loop.
  epoll_event ev{};
  ev.events = EPOLLOUT | EPOLLONESHOT;
  ev.data.ptr = c.get();
  if (::epoll_ctl(watch_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    post_result(c, ProbeResult::failure(errno_text("epoll_ctl", errno)));
    return ProbeHandle(std::move(c));
  }
  c->self_ = c;
  deadlines_.add(*c, c->started_, timeout);
  arm(c->deadline());
  if (!watching_) wait();
  return ProbeHandle(std::move(c));
}

void TcpConnector::post_result(std::shared_ptr<Connect> c, ProbeResult result) {
  if (c->fd_ >= 0) ::close(c->fd_);
  c->fd_ = -1;
  asio::post(io_, [c = std::move(c), result = std::move(result)]() mutable {
    result.latency = std::chrono::duration_cast<Duration>(Clock::now() - c->started_);
    Finished{std::move(c), std::move(result)}.deliver();
  });
}

void TcpConnector::wait() {
  // `alive` too: a completion already queued when the connector goes still runs, with success.
  watch_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
                      if (ec == asio::error::operation_aborted || alive.expired()) return;
                      harvest();
                    });
  watching_ = true;
}

void TcpConnector::harvest() noexcept {
  watching_ = false;
  std::array<epoll_event, k_slice> events{};
  const int n = std::max(0, ::epoll_wait(watch_.native_handle(), events.data(), k_slice, 0));
  std::array<Finished, k_slice> finished;
  const auto now = n > 0 ? Clock::now() : TimePoint{};
  for (int i = 0; i < n; ++i) {
    const auto& ev = events[static_cast<std::size_t>(i)];
    auto& c = *static_cast<Connect*>(ev.data.ptr);
    // A failed connect always sets the socket's error (EPOLLERR); EPOLLOUT alone is a success.
    int err = 0;
    if ((ev.events & (EPOLLERR | EPOLLHUP)) != 0) {
      socklen_t len = sizeof err;
      if (::getsockopt(c.fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
    finish(c, err == 0 ? ProbeResult::connect_success() : ProbeResult::failure(connect_error(system_error_code(err))),
           finished[static_cast<std::size_t>(i)], now);
  }
  try {
    if (n == k_slice) {
      // Maybe more: the next slice after whatever the loop has queued meanwhile.
      asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired()) harvest();
      });
      watching_ = true;
    } else if (!deadlines_.empty()) {
      wait();
    }
  } catch (...) {
    // Out of memory for a handler: the deadlines still end every pending connect.
  }
  for (auto& f : finished) f.deliver();
}

void TcpConnector::arm(TimePoint deadline) {
  if (armed_for_ && *armed_for_ <= deadline) return;
  armed_for_ = deadline;
  timer_.expires_at(deadline);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
    if (ec || alive.expired()) return;  // re-armed, or the connector is gone
    armed_for_.reset();
    expire();
  });
}

void TcpConnector::expire() noexcept {
  std::array<Finished, k_slice> finished;
  const auto now = Clock::now();
  std::size_t count = 0;
  while (count < finished.size()) {
    DeadlineNode* node = deadlines_.pop_expired(now);
    if (!node) break;
    auto& c = static_cast<Connect&>(*node);
    finish(c, ProbeResult::failure("connect timeout after " + format_duration(c.timeout_)), finished[count++], now);
  }
  try {
    if (count == finished.size()) {
      asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired()) expire();
      });
    } else if (const auto next = deadlines_.earliest()) {
      arm(*next);
    }
  } catch (...) {
    // Out of memory for a handler: the next start re-arms the timer.
  }
  for (auto& f : finished) f.deliver();
}

void TcpConnector::finish(Connect& c, ProbeResult result, Finished& out, TimePoint now) noexcept {
  deadlines_.remove(c);
  if (c.fd_ >= 0) {
    if (result.ok) {
      const ::linger reset{1, 0};  // close with an RST: see the file comment of tcp_connector.hpp
      (void)::setsockopt(c.fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    }
    ::close(c.fd_);  // also leaves the connector's epoll set
    c.fd_ = -1;
  }
  result.latency = std::chrono::duration_cast<Duration>(now - c.started_);
  result.ended = now;
  out.connect = std::move(c.self_);
  out.result = std::move(result);
}

void TcpConnector::cancel(Connect& c) noexcept {
  Finished f;
  finish(c, ProbeResult::failure("cancelled during connect"), f, Clock::now());
  try {
    asio::post(io_, [f = std::move(f)]() mutable { f.deliver(); });
  } catch (...) {
    // Out of memory: the callback is dropped with the connect.
  }
}

}  // namespace health::detail
