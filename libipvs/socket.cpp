// DOC: Generic-netlink I/O for IPVS: open + family lookup, batched apply, sequential dumps
// (design notes in socket.hpp).
#include "libipvs/socket.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

extern char** environ;  // NOLINT: posix_spawnp needs the environment

namespace ipvs {

namespace {

using vigil::make_error;
using vigil::Result;

// Main socket: netlink_dump caps its skbs at SKB_WITH_OVERHEAD(32768) for a reader with large
// buffers, so a 32 KiB slot holds any datagram the kernel sends (MSG_TRUNC is checked anyway).
constexpr std::size_t k_main_slot_bytes = 32768;
constexpr std::size_t k_main_slots = 64;
// Dest-dump socket: one page per slot. NLMSG_GOODSIZE (the smallest dump skb) is a page minus
// overhead, so every datagram still fits, and the kernel allocates page-sized dump skbs.
constexpr std::size_t k_dest_slots = 8;
// netlink_sendmsg refuses (EMSGSIZE) a buffer larger than the socket's send buffer; batches are
// cut at message boundaries below this, or below half the send buffer when that is smaller.
constexpr std::size_t k_max_send = 64 * 1024;

// netlink_rcv_skb sends no ACK when a handler returns -EINTR: it takes that for "a dump was
// started". IPVS returns it from DEL_DAEMON when the sync thread had not run yet (kthread_stop
// gives -EINTR; seen in the VM tests), and the request would otherwise wait for the timeout.
constexpr std::string_view no_ack_note = "no ACK: netlink does not acknowledge a command that fails with EINTR";

vigil::Error errno_error(const std::string& what, int err) { return vigil::Error{what + ": " + errno_text(err), err}; }

void set_buffer(int fd, int force_opt, int opt, int bytes) {
  // FORCE ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN, which IPVS needs anyway.
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) != 0)
    (void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
}

// `modprobe ip_vs`, as moby does. Normally not needed: CTRL_CMD_GETFAMILY autoloads the module
// itself (request_module("net-pf-16-proto-16-family-IPVS"); checked on Debian's 6.1 in the VM
// tests). This is the fallback for a kernel whose lookup did not (CONFIG_MODULES off, or the
// usermode helper path unset). Returns a short note for the error message.
std::string run_modprobe() {
  pid_t pid = 0;
  char arg0[] = "modprobe";
  char arg1[] = "ip_vs";
  char* argv[] = {arg0, arg1, nullptr};
  const int err = posix_spawnp(&pid, "modprobe", nullptr, nullptr, argv, environ);
  if (err != 0) return "modprobe ip_vs could not run: " + errno_text(err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "modprobe ip_vs: waitpid: " + errno_text(errno);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "modprobe ip_vs succeeded";
  return "modprobe ip_vs failed (status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
}

struct Closer {
  void operator()(mnl_socket* nl) const noexcept {
    if (nl != nullptr) mnl_socket_close(nl);
  }
};

}  // namespace

struct Socket::Channel {
  std::unique_ptr<mnl_socket, Closer> nl;
  std::size_t slot_bytes = 0;
  std::size_t slots = 0;
  std::size_t max_send = k_max_send;
  // Not a vector: its zero-fill would make every page of the 2 MB resident at once; left
  // uninitialised, a page costs memory only once a reply has been received into it.
  std::unique_ptr<std::uint8_t[]> data;
  std::vector<iovec> iov;
  std::vector<mmsghdr> headers;

  [[nodiscard]] int fd() const noexcept { return mnl_socket_get_fd(nl.get()); }

  static Result<std::unique_ptr<Channel>> open(const SocketOptions& options, std::size_t slot_bytes,
                                               std::size_t slots) {
    auto c = std::make_unique<Channel>();
    c->nl.reset(mnl_socket_open(NETLINK_GENERIC));
    if (!c->nl) return errno_error("IPVS: cannot open a generic netlink socket", errno);
    if (mnl_socket_bind(c->nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
      return errno_error("IPVS: cannot bind the netlink socket", errno);
    const int fd = c->fd();
    set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.buffer_bytes);
    set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, options.buffer_bytes);
    int sndbuf = 0;
    socklen_t len = sizeof sndbuf;
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == 0 && sndbuf > 0)
      c->max_send = std::clamp<std::size_t>(static_cast<std::size_t>(sndbuf) / 2, 1024, k_max_send);
    const int on = 1;
    // Small ACKs (the request header only, not the whole request) and the kernel's error texts.
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    const auto ms = options.receive_timeout.count();
    const timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
      return errno_error("IPVS: cannot set the receive timeout", errno);
    c->slot_bytes = slot_bytes;
    c->slots = slots;
    c->data = std::make_unique_for_overwrite<std::uint8_t[]>(slot_bytes * slots);
    c->iov.resize(slots);
    c->headers.resize(slots);
    return c;
  }
};

Socket::Socket(std::unique_ptr<Channel> main, std::unique_ptr<Channel> dests, const SocketOptions& options)
    : main_(std::move(main)), dests_(std::move(dests)), options_(options) {}
Socket::Socket(Socket&&) noexcept = default;
Socket& Socket::operator=(Socket&&) noexcept = default;
Socket::~Socket() = default;

int Socket::fd() const noexcept { return main_ ? main_->fd() : -1; }

Result<Socket> Socket::open(const SocketOptions& options) {
  auto main = Channel::open(options, k_main_slot_bytes, k_main_slots);
  if (!main) return main.error();
  const long page = sysconf(_SC_PAGESIZE);
  auto dests = Channel::open(options, page > 0 ? static_cast<std::size_t>(page) : 4096, k_dest_slots);
  if (!dests) return dests.error();
  Socket socket(std::move(main).value(), std::move(dests).value(), options);
  if (auto resolved = socket.resolve_family(); !resolved) return resolved.error();
  return socket;
}

Result<void> Socket::resolve_family() {
  auto lookup = [this]() -> Result<std::uint16_t> {
    auto replies = transact(*main_, Request::get_family(IPVS_GENL_NAME));
    if (!replies) return replies.error();
    for (const auto& m : *replies) {
      if (const auto* f = std::get_if<FamilyMsg>(&m)) return f->id;
    }
    return make_error("nlctrl answered without a family id", EPROTO);
  };
  auto id = lookup();
  std::string note;
  if (!id && id.error().code == ENOENT && options_.load_module) {
    note = run_modprobe();
    id = lookup();
  }
  if (!id) {
    if (id.error().code == ENOENT)
      return make_error("IPVS not available in this kernel: generic netlink family \"IPVS\" not found" +
                            (note.empty() ? std::string() : " (" + note + ")"),
                        ENOENT);
    return make_error("IPVS: family lookup failed: " + id.error().message, id.error().code);
  }
  family_id_ = *id;
  return {};
}

Result<void> Socket::send_bytes(Channel& channel, std::span<const std::uint8_t> bytes) {
  for (;;) {
    const ssize_t n = mnl_socket_sendto(channel.nl.get(), bytes.data(), bytes.size());
    if (n == static_cast<ssize_t>(bytes.size())) return {};
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("netlink send", errno);
    return make_error("netlink send: short write", EIO);
  }
}

Result<std::vector<Message>> Socket::receive(Channel& c, Family dest_family, bool wait) {
  for (std::size_t i = 0; i < c.slots; ++i) {
    c.iov[i] = iovec{c.data.get() + i * c.slot_bytes, c.slot_bytes};
    c.headers[i] = mmsghdr{};
    c.headers[i].msg_hdr.msg_iov = &c.iov[i];
    c.headers[i].msg_hdr.msg_iovlen = 1;
  }
  int n = -1;
  do {
    // MSG_WAITFORONE: block (up to SO_RCVTIMEO) for the first datagram, then take what is queued.
    n = recvmmsg(c.fd(), c.headers.data(), static_cast<unsigned>(c.slots), wait ? MSG_WAITFORONE : MSG_DONTWAIT,
                 nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return make_error("no netlink reply within " + std::to_string(options_.receive_timeout.count()) + " ms",
                        ETIMEDOUT);
    return errno_error("netlink receive", errno);
  }
  std::vector<Message> out;
  for (int i = 0; i < n; ++i) {
    const auto& h = c.headers[static_cast<std::size_t>(i)];
    if ((h.msg_hdr.msg_flags & MSG_TRUNC) != 0) return make_error("netlink reply truncated", EMSGSIZE);
    const std::span<const std::uint8_t> datagram(c.data.get() + static_cast<std::size_t>(i) * c.slot_bytes, h.msg_len);
    auto parsed = parse_messages(datagram, family_id_, dest_family, counters_);
    if (!parsed) return vigil::Error{"IPVS reply: " + parsed.error().message, EPROTO};
    for (auto& m : *parsed) out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<Message>> Socket::transact(Channel& channel, const Request& request, Family dest_family) {
  std::vector<Message> replies;
  auto done = transact_each(channel, request, dest_family, [&replies](Message&& m) { replies.push_back(std::move(m)); });
  if (!done) return done.error();
  return replies;
}

Result<void> Socket::transact_each(Channel& channel, const Request& request, Family dest_family,
                                   const std::function<void(Message&&)>& each) {
  const std::uint32_t seq = next_seq_++;
  tx_.clear();
  request.encode_into(tx_, family_id_, seq);
  // A NOOP barrier in the same send fences a non-dump request (see no_ack_note). Not for dumps:
  // a dump continues after the first part, so the barrier's ACK would overtake its NLMSG_DONE.
  const bool fenced = !request.is_dump();
  const std::uint32_t barrier = fenced ? next_seq_++ : 0;
  if (fenced) Request::barrier().encode_into(tx_, family_id_, barrier);
  if (auto sent = send_bytes(channel, tx_); !sent) return sent.error();
  for (;;) {
    auto batch = receive(channel, dest_family);
    if (!batch) return batch.error();
    for (auto& m : *batch) {
      if (fenced && seq_of(m) == barrier) return vigil::Error{errno_text(EINTR) + " (" + std::string(no_ack_note) + ")", EINTR};
      if (seq_of(m) != seq) continue;  // a late reply to an earlier, abandoned request
      if (const auto* ack = std::get_if<AckMsg>(&m)) {
        if (ack->error != 0)
          return vigil::Error{errno_text(ack->error) + (ack->message.empty() ? "" : " (" + ack->message + ")"),
                              ack->error};
        if (!request.is_dump()) return {};
        continue;
      }
      if (const auto* done = std::get_if<DoneMsg>(&m)) {
        if (done->error != 0) return vigil::Error{errno_text(done->error), done->error};
        return {};
      }
      each(std::move(m));
    }
  }
}

Result<void> Socket::execute(const Request& request) {
  auto replies = transact(*main_, request);
  if (!replies) return replies.error();
  return {};
}

Result<Info> Socket::info() {
  auto replies = transact(*main_, Request::get_info());
  if (!replies) return vigil::Error{"IPVS get info: " + replies.error().message, replies.error().code};
  for (const auto& m : *replies) {
    if (const auto* i = std::get_if<InfoMsg>(&m)) return Info{i->version, i->conn_table_size};
  }
  return make_error("IPVS get info: no reply", EPROTO);
}

Result<Timeouts> Socket::timeouts() {
  auto replies = transact(*main_, Request::get_timeouts());
  if (!replies) return vigil::Error{"IPVS get timeouts: " + replies.error().message, replies.error().code};
  for (const auto& m : *replies) {
    if (const auto* t = std::get_if<TimeoutsMsg>(&m)) return t->timeouts;
  }
  return make_error("IPVS get timeouts: no reply", EPROTO);
}

Result<std::vector<SyncDaemon>> Socket::daemons() {
  auto replies = transact(*main_, Request::dump_daemons());
  if (!replies) return vigil::Error{"IPVS dump sync daemons: " + replies.error().message, replies.error().code};
  std::vector<SyncDaemon> out;
  for (const auto& m : *replies) {
    if (const auto* d = std::get_if<DaemonMsg>(&m)) out.push_back(d->daemon);
  }
  return out;
}

Result<std::vector<Dest>> Socket::dests(const ServiceKey& service) {
  auto replies = transact(*dests_, Request::dump_dests(service), service.family());
  if (!replies)
    return vigil::Error{"IPVS dump dests of " + service.to_string() + ": " + replies.error().message,
                        replies.error().code};
  std::vector<Dest> out;
  for (auto& m : *replies) {
    if (auto* d = std::get_if<DestMsg>(&m)) out.push_back(std::move(d->dest));
  }
  return out;
}

Result<void> Socket::each_service(const std::function<void(Service&&)>& each) {
  auto dumped = transact_each(*main_, Request::dump_services(), Family::v4, [&each](Message&& m) {
    if (auto* s = std::get_if<ServiceMsg>(&m)) each(std::move(s->service));
  });
  if (!dumped) return vigil::Error{"IPVS dump services: " + dumped.error().message, dumped.error().code};
  return {};
}

Result<std::vector<Service>> Socket::services_once() {
  std::vector<Service> out;
  if (auto dumped = each_service([&out](Service&& s) { out.push_back(std::move(s)); }); !dumped) return dumped.error();
  return out;
}

Result<std::optional<Service>> Socket::service(const ServiceKey& key) {
  auto replies = transact(*main_, Request::get_service(key));
  if (!replies) {
    if (replies.error().code == ESRCH) return std::optional<Service>{};
    return vigil::Error{"IPVS get service " + key.to_string() + ": " + replies.error().message, replies.error().code};
  }
  for (auto& m : *replies) {
    if (auto* s = std::get_if<ServiceMsg>(&m)) return std::optional<Service>{std::move(s->service)};
  }
  return make_error("IPVS get service " + key.to_string() + ": no reply", EPROTO);
}

Result<Table> Socket::dump() {
  // Two service dumps; a service seen by only one is checked on its own (see above). Both go
  // straight into the table (the second's copy wins): no list of services is held besides it.
  Table table;
  std::vector<ServiceKey> first;
  std::vector<ServiceKey> second;
  for (auto* seen : {&first, &second}) {
    auto dumped = each_service([&](Service&& s) {
      seen->push_back(s.key);
      table.put(std::move(s));
    });
    if (!dumped) return dumped.error();
    std::sort(seen->begin(), seen->end());
  }
  std::vector<ServiceKey> in_one;
  std::set_symmetric_difference(first.begin(), first.end(), second.begin(), second.end(), std::back_inserter(in_one));
  for (const auto& key : in_one) {
    auto one = service(key);
    if (!one) return one.error();
    if (*one)
      table.put(std::move(**one));
    else
      table.services.erase(key);
  }
  for (auto& [key, entry] : table.services) {
    auto dests = this->dests(key);
    if (!dests) return dests.error();
    entry.dests.reserve(dests->size());
    for (auto& d : *dests) entry.dests.insert_or_assign(d.key, std::move(d));
  }
  return table;
}

ApplyReport Socket::apply(const Plan& plan) {
  ApplyReport report;
  const std::size_t window = std::max<std::size_t>(options_.window, 1);
  for (std::size_t begin = 0; begin < plan.operations.size(); begin += window)
    apply_window(plan, begin, std::min(begin + window, plan.operations.size()), report);
  return report;
}

void Socket::apply_window(const Plan& plan, std::size_t begin, std::size_t end, ApplyReport& report) {
  const std::size_t count = end - begin;
  const std::uint32_t seq_base = next_seq_;
  next_seq_ += static_cast<std::uint32_t>(count);
  report.attempted += count;
  std::vector<bool> answered(count, false);
  std::size_t pending = count;

  auto fail = [&](std::size_t i, vigil::Error error) {
    if (answered[i]) return;
    answered[i] = true;
    --pending;
    report.failures.push_back(OpFailure{begin + i, std::move(error)});
  };
  auto fail_rest = [&](int err, std::string_view why) {
    for (std::size_t i = 0; i < count; ++i) fail(i, operation_error(plan.operations[begin + i], err, why));
  };

  // Encode the window, closed by a NOOP barrier; send whenever the buffer would exceed max_send
  // (cut at message boundaries). When the barrier's ACK is in, every operation of the window has
  // been answered, except one the kernel did not acknowledge (see no_ack_note).
  std::vector<std::uint32_t> barriers{next_seq_++};
  std::size_t sent_upto = 0;  // operations [0, sent_upto) of this window are on their way
  tx_.clear();
  std::size_t in_buffer_from = 0;
  auto flush = [&](std::size_t upto) {
    if (tx_.empty()) return;
    if (auto sent = send_bytes(*main_, tx_); !sent) {
      for (std::size_t j = in_buffer_from; j < upto; ++j)
        fail(j, operation_error(plan.operations[begin + j], sent.error().code, "not sent"));
    }
    tx_.clear();
    in_buffer_from = upto;
  };
  for (std::size_t i = 0; i < count; ++i) {
    const Request request = Request::from(plan.operations[begin + i]);
    if (!tx_.empty() && tx_.size() + request.encoded_size() > main_->max_send) flush(i);
    request.encode_into(tx_, family_id_, seq_base + static_cast<std::uint32_t>(i));
    sent_upto = i + 1;
  }
  Request::barrier().encode_into(tx_, family_id_, barriers.front());
  flush(sent_upto);

  bool barrier_seen = false;
  int unanswered_errno = EINTR;
  std::string_view unanswered_why = no_ack_note;
  auto handle = [&](const std::vector<Message>& batch) {
    for (const auto& m : batch) {
      const auto* ack = std::get_if<AckMsg>(&m);
      if (ack == nullptr) continue;
      if (std::find(barriers.begin(), barriers.end(), ack->seq) != barriers.end()) {
        barrier_seen = true;
        continue;
      }
      const std::size_t i = ack->seq - seq_base;  // unsigned: also right across a wrap
      if (i >= count || answered[i]) continue;
      if (ack->error == 0) {
        answered[i] = true;
        --pending;
      } else {
        fail(i, operation_error(plan.operations[begin + i], ack->error, ack->message));
      }
    }
  };
  constexpr std::string_view k_lost = "ACK lost; state unknown until the next dump";
  bool drained = false;
  while (pending > 0 && !barrier_seen) {
    auto batch = receive(*main_, Family::v4, true);
    if (batch) {
      handle(*batch);
      continue;
    }
    const int err = batch.error().code;
    if (err == ENOBUFS && !drained) {
      // The kernel dropped replies (receive buffer full): the first barrier may be lost too.
      // Take what survived, then send another barrier: once either barrier's ACK is in, every
      // surviving ACK of this window has been read; the missing ones were dropped.
      drained = true;
      unanswered_errno = ENOBUFS;
      unanswered_why = k_lost;
      for (auto more = receive(*main_, Family::v4, false); more; more = receive(*main_, Family::v4, false))
        handle(*more);
      barriers.push_back(next_seq_++);
      tx_.clear();
      Request::barrier().encode_into(tx_, family_id_, barriers.back());
      if (send_bytes(*main_, tx_)) continue;
    }
    fail_rest(err, err == ENOBUFS ? k_lost : std::string_view(batch.error().message));
    break;
  }
  if (barrier_seen) fail_rest(unanswered_errno, unanswered_why);
  std::sort(report.failures.begin(), report.failures.end(),
            [](const OpFailure& a, const OpFailure& b) { return a.index < b.index; });
}

}  // namespace ipvs
