// DOC: Announcer — sends gratuitous ARPs and unsolicited neighbour advertisements (frames.hpp) over
// one AF_PACKET socket (protocol 0: it sends, it never receives). A burst is `repeat` rounds over
// the addresses; keepalived's vrrp_garp_interval / vrrp_gna_interval space the frames of one
// interface apart (0 = back to back), which a queue and one steady_timer carry out without ever
// blocking the loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "libvrrp/io/frames.hpp"

namespace vrrp::io {

struct AnnounceTarget {
  int ifindex = 0;
  MacAddress mac{};
  vigil::IpAddress address;
};

class Announcer {
 public:
  static vigil::Result<std::unique_ptr<Announcer>> open(boost::asio::io_context& io);
  ~Announcer();
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

  // `repeat` rounds over `targets`; IPv4 frames are `garp_interval` apart, IPv6 `gna_interval`.
  void announce(const std::vector<AnnounceTarget>& targets, unsigned repeat, std::chrono::microseconds garp_interval,
                std::chrono::microseconds gna_interval);

  [[nodiscard]] std::uint64_t frames_sent() const noexcept { return sent_; }
  [[nodiscard]] std::uint64_t send_errors() const noexcept { return errors_; }

 private:
  struct Pending {
    int ifindex;
    std::vector<std::uint8_t> frame;
    std::chrono::microseconds gap;  // wait this long after sending it
  };
  Announcer(boost::asio::io_context& io, int fd);
  void pump();
  bool send(const Pending& p);

  int fd_;
  boost::asio::steady_timer timer_;
  std::deque<Pending> queue_;
  bool waiting_ = false;
  std::uint64_t sent_ = 0;
  std::uint64_t errors_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vrrp::io
