// DOC: LinkMonitor — listens to rtnetlink RTNLGRP_LINK notifications (RTM_NEWLINK / RTM_DELLINK) and
// reports each interface whose usable state changes: up means administratively up with carrier
// (IFF_UP && IFF_RUNNING), the same test keepalived applies to track_interface. keepalived reacts
// to carrier loss within ~1 ms (vrrp-lab.md); a notification socket on the loop does the same.
// Parsing uses libmnl; a malformed message is counted and skipped, never trusted.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace vrrp::io {

class LinkMonitor {
 public:
  using Handler = std::function<void(const std::string& name, bool up)>;

  static vigil::Result<std::unique_ptr<LinkMonitor>> open(boost::asio::io_context& io);
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  // Calls `handler` whenever a link's usable state differs from the last one reported.
  void start(Handler handler);
  // Seeds the last known state (from interface_info at start), so only changes are reported.
  void seed(const std::string& name, bool up) { known_[name] = up; }

  [[nodiscard]] std::uint64_t malformed() const noexcept { return malformed_; }

 private:
  LinkMonitor(boost::asio::io_context& io, int fd);
  void wait();
  void drain();
  void on_link(const std::string& name, bool up);

  boost::asio::posix::stream_descriptor descriptor_;
  Handler handler_;
  std::map<std::string, bool> known_;
  std::vector<char> buffer_;
  std::uint64_t malformed_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vrrp::io
