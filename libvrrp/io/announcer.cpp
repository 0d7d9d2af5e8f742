// DOC: The AF_PACKET send path of gratuitous ARP / unsolicited NA, with interval spacing.
#include "libvrrp/io/announcer.hpp"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vrrp::io {

vigil::Result<std::unique_ptr<Announcer>> Announcer::open(boost::asio::io_context& io) {
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int e = errno;
    return vigil::make_error(std::string("socket(AF_PACKET): ") + std::strerror(e) +
                                 (e == EPERM ? " (needs CAP_NET_RAW)" : ""),
                             e);
  }
  return std::unique_ptr<Announcer>(new Announcer(io, fd));
}

Announcer::Announcer(boost::asio::io_context& io, int fd) : fd_(fd), timer_(io) {}

Announcer::~Announcer() {
  *alive_ = false;
  ::close(fd_);
}

void Announcer::announce(const std::vector<AnnounceTarget>& targets, unsigned repeat,
                         std::chrono::microseconds garp_interval, std::chrono::microseconds gna_interval) {
  for (unsigned round = 0; round < repeat; ++round) {
    for (const auto& t : targets) {
      queue_.push_back(Pending{t.ifindex, announcement_frame(t.mac, t.address),
                               t.address.is_v4() ? garp_interval : gna_interval});
    }
  }
  pump();
}

bool Announcer::send(const Pending& p) {
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = p.ifindex;
  to.sll_halen = ETH_ALEN;
  std::memcpy(to.sll_addr, p.frame.data(), ETH_ALEN);  // the frame's destination MAC
  std::uint16_t type = 0;
  std::memcpy(&type, p.frame.data() + 12, sizeof type);  // already network order
  to.sll_protocol = type;
  const ssize_t n = ::sendto(fd_, p.frame.data(), p.frame.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to),  // NOLINT
                             sizeof to);
  if (n < 0) {
    ++errors_;
    return false;
  }
  ++sent_;
  return true;
}

void Announcer::pump() {
  if (waiting_) return;  // the timer will continue the queue
  while (!queue_.empty()) {
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    send(p);
    if (p.gap.count() > 0 && !queue_.empty()) {
      waiting_ = true;
      timer_.expires_after(p.gap);
      timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        const auto still = alive.lock();
        if (ec || !still || !*still) return;
        waiting_ = false;
        pump();
      });
      return;
    }
  }
}

}  // namespace vrrp::io
