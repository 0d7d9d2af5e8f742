// DOC: RTNLGRP_LINK notifications parsed with libmnl.
#include "libvrrp/io/link_monitor.hpp"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vrrp::io {
namespace {

struct LinkEvent {
  std::string name;
  bool up = false;
  bool valid = false;
};

int attr_cb(const nlattr* attr, void* data) {
  auto* ev = static_cast<LinkEvent*>(data);
  if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
    ev->name = mnl_attr_get_str(attr);
  }
  return MNL_CB_OK;
}

struct Batch {
  std::vector<LinkEvent> events;
  std::uint64_t malformed = 0;
};

int message_cb(const nlmsghdr* nlh, void* data) {
  auto* batch = static_cast<Batch*>(data);
  if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) return MNL_CB_OK;
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ifinfomsg))) {
    ++batch->malformed;
    return MNL_CB_OK;
  }
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  LinkEvent ev;
  if (mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, &ev) < 0 || ev.name.empty()) {
    ++batch->malformed;
    return MNL_CB_OK;
  }
  const unsigned flags = ifi->ifi_flags;
  ev.up = nlh->nlmsg_type == RTM_NEWLINK && (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
  ev.valid = true;
  batch->events.push_back(std::move(ev));
  return MNL_CB_OK;
}

}  // namespace

vigil::Result<std::unique_ptr<LinkMonitor>> LinkMonitor::open(boost::asio::io_context& io) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return vigil::make_error(std::string("netlink socket: ") + std::strerror(errno), errno);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {  // NOLINT
    const int e = errno;
    ::close(fd);
    return vigil::make_error(std::string("bind RTMGRP_LINK: ") + std::strerror(e), e);
  }
  return std::unique_ptr<LinkMonitor>(new LinkMonitor(io, fd));
}

LinkMonitor::LinkMonitor(boost::asio::io_context& io, int fd) : descriptor_(io, fd), buffer_(65536) {}

LinkMonitor::~LinkMonitor() {
  *alive_ = false;
  boost::system::error_code ignored;
  descriptor_.close(ignored);
}

void LinkMonitor::start(Handler handler) {
  handler_ = std::move(handler);
  wait();
}

void LinkMonitor::wait() {
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
                           const auto still = alive.lock();
                           if (ec || !still || !*still) return;
                           drain();
                           if (*still) wait();
                         });
}

void LinkMonitor::drain() {
  const std::shared_ptr<bool> alive = alive_;
  for (int n = 0; n < 64; ++n) {
    const ssize_t got = ::recv(descriptor_.native_handle(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (got < 0) {
      // ENOBUFS: notifications were lost; the next ones carry full state, so carry on.
      if (errno == ENOBUFS) continue;
      return;
    }
    Batch batch;
    if (mnl_cb_run(buffer_.data(), static_cast<std::size_t>(got), 0, 0, message_cb, &batch) < 0) ++malformed_;
    malformed_ += batch.malformed;
    for (const auto& ev : batch.events) {
      try {
        on_link(ev.name, ev.up);
      } catch (const std::exception&) {
        ++malformed_;  // never let an exception reach Asio
      }
      if (!*alive) return;
    }
  }
}

void LinkMonitor::on_link(const std::string& name, bool up) {
  const auto it = known_.find(name);
  if (it != known_.end() && it->second == up) return;
  known_[name] = up;
  if (handler_) handler_(name, up);
}

}  // namespace vrrp::io
