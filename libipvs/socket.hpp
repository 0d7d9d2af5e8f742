// DOC: ipvs::Socket — the one place that talks to the kernel: a generic-netlink socket (RAII
// over libmnl's mnl_socket) with the "IPVS" family resolved once, implementing Kernel.
//
// Pipelining. netlink requests are processed synchronously inside sendmsg(), so "many requests
// in flight" buys fewer system calls rather than hidden latency: apply() encodes a window of
// operations (256 by default) into one buffer, sends it with one sendmsg, and collects the ACKs
// with recvmmsg, matching them to operations by sequence number. keepalived and moby/ipvs pay a
// send + a blocking receive per operation. The receive buffer is raised (SO_RCVBUFFORCE, 4 MiB)
// so a window's ACKs fit; NETLINK_CAP_ACK keeps each ACK small. If ACKs are lost anyway
// (ENOBUFS), a NOOP barrier tells when the survivors have all arrived, and the operations
// without an ACK are reported as unknown — the next dump shows their real state.
//
// Dumps cannot be pipelined on one socket: a netlink socket runs one dump at a time
// (netlink_dump_start returns EBUSY while one is in progress) and a dump only completes in the
// recvmsg after its first part. dump() therefore sends the GET_SERVICE dump and then one
// GET_DEST dump per service, each as one sendmsg + one recvmmsg (which picks up the last part
// and the NLMSG_DONE the kernel queues while the first part is read): 2 system calls per service.
//
// A service dump can skip services. ip_vs_genl_dump_services resumes each part (~100 services
// per 32 KiB) by an index into the *global* service hash table, shared by every network
// namespace, so a service added or deleted anywhere — another namespace being torn down, a
// kube-proxy in the same one — between two parts shifts the index, and an entry is skipped or
// repeated (seen in the VM tests: 4 of 150 services missing while a neighbouring namespace was
// being destroyed). A skipped service of ours would make the diff re-add it (EEXIST). So dump()
// takes the service list twice and asks for each service seen in only one of the two with
// GET_SERVICE (a doit, no index): a service is missing from the result only if both dumps
// skipped it. The extra dump is cheap next to the per-service dest dumps.
//
// Two netlink sockets. netlink_dump sizes every dump skb by the largest buffer the reader ever
// passed to recvmsg (nlk->max_recvmsg_len, up to 32 KiB), and a dest dump costs two skbs (its
// part and the NLMSG_DONE). With 32 KiB receive slots that is two order-3 allocations for a
// 1 KiB answer; with page-sized slots the dest dumps took half the kernel time in the VM — but
// the service dump then comes in 8× more parts, and each part re-walks the hash table from the
// start (quadratic: 3.5 s instead of 0.6 s at 10,000 services under TCG). So the main socket
// (apply, service dumps, everything else) reads with 32 KiB slots, and a second one, used only
// for dest dumps, with page-sized slots.
//
// Blocking with a receive timeout (SO_RCVTIMEO). fd() is exposed for a later event-loop
// integration. No exception leaves this class: every failure is a Result.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "libipvs/kernel.hpp"
#include "libipvs/reply_parser.hpp"
#include "libipvs/request.hpp"

struct mnl_socket;

namespace ipvs {

struct SocketOptions {
  /// Per reply. Table changes answer in microseconds, but starting/stopping a sync daemon takes
  /// the rtnl lock and stops kernel threads: behind a busy rtnl (namespaces being torn down)
  /// that has taken over 5 s in the VM. A timed-out request is reported; its late reply is
  /// recognised by sequence number and dropped.
  std::chrono::milliseconds receive_timeout{5000};
  std::size_t window = 256;           // operations per batched send
  int buffer_bytes = 4 << 20;         // SO_RCVBUF(FORCE) / SO_SNDBUF(FORCE)
  bool load_module = true;            // fallback `modprobe ip_vs` if the family lookup (which
                                      // autoloads the module itself) still finds nothing
};

/// IPVS_CMD_GET_INFO.
struct Info {
  std::uint32_t version = 0;          // 0x010201 = 1.2.1
  std::uint32_t conn_table_size = 0;
};

class Socket final : public Kernel {
 public:
  /// Opens the socket in the caller's network namespace and resolves the IPVS family. Fails with
  /// "IPVS not available in this kernel: ..." when the family cannot be found even after modprobe.
  [[nodiscard]] static vigil::Result<Socket> open(const SocketOptions& options = {});

  Socket(Socket&&) noexcept;
  Socket& operator=(Socket&&) noexcept;
  ~Socket() override;

  /// The main socket (apply, service dumps). Dest dumps use a second one (see above).
  [[nodiscard]] int fd() const noexcept;
  [[nodiscard]] std::uint16_t family_id() const noexcept { return family_id_; }

  [[nodiscard]] vigil::Result<Table> dump() override;
  void set_counters(Counters counters) override { counters_ = counters; }
  [[nodiscard]] ApplyReport apply(const Plan& plan) override;
  [[nodiscard]] vigil::Result<void> control(const Request& request) override { return execute(request); }

  /// One request, waiting for its ACK (flush, timeouts, sync daemon start/stop, ...).
  [[nodiscard]] vigil::Result<void> execute(const Request& request);
  [[nodiscard]] vigil::Result<Info> info();
  [[nodiscard]] vigil::Result<Timeouts> timeouts();
  [[nodiscard]] vigil::Result<std::vector<SyncDaemon>> daemons();
  /// Dests of one service (one GET_DEST dump).
  [[nodiscard]] vigil::Result<std::vector<Dest>> dests(const ServiceKey& service);
  /// One service by key (GET_SERVICE doit); nullopt when the kernel has no such service.
  [[nodiscard]] vigil::Result<std::optional<Service>> service(const ServiceKey& key);
  /// One GET_SERVICE dump (services only, no dests; see the note above on skipped entries).
  [[nodiscard]] vigil::Result<std::vector<Service>> services_once();

 private:
  struct Channel;  // one netlink socket and its receive slots (socket.cpp)

  Socket(std::unique_ptr<Channel> main, std::unique_ptr<Channel> dests, const SocketOptions& options);
  [[nodiscard]] vigil::Result<void> resolve_family();
  [[nodiscard]] static vigil::Result<void> send_bytes(Channel& channel, std::span<const std::uint8_t> bytes);
  /// One recvmmsg: every message of every datagram that arrived, parsed. `wait`: block up to the
  /// receive timeout for the first datagram; otherwise only take what is already queued.
  [[nodiscard]] vigil::Result<std::vector<Message>> receive(Channel& channel, Family dest_family, bool wait = true);
  /// Sends one request and returns its replies up to its ACK (or NLMSG_DONE for a dump).
  [[nodiscard]] vigil::Result<std::vector<Message>> transact(Channel& channel, const Request& request,
                                                             Family dest_family = Family::v4);
  /// The same, handing each reply to `each` as it is parsed: a dump of 10,000 services is never
  /// a vector of messages as well as the table made from it.
  [[nodiscard]] vigil::Result<void> transact_each(Channel& channel, const Request& request, Family dest_family,
                                                  const std::function<void(Message&&)>& each);
  /// One GET_SERVICE dump, each service handed to `each` as it is parsed.
  [[nodiscard]] vigil::Result<void> each_service(const std::function<void(Service&&)>& each);
  void apply_window(const Plan& plan, std::size_t begin, std::size_t end, ApplyReport& report);

  std::unique_ptr<Channel> main_;
  std::unique_ptr<Channel> dests_;
  SocketOptions options_;
  std::uint16_t family_id_ = 0;
  std::uint32_t next_seq_ = 1;
  Counters counters_ = Counters::read;
  std::vector<std::uint8_t> tx_;
};

}  // namespace ipvs
