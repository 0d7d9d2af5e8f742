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
// recvmsg after its first part. dump() therefore sends one GET_SERVICE dump and then one
// GET_DEST dump per service, each as one sendmsg + one recvmmsg (which picks up the last part
// and the NLMSG_DONE the kernel queues while the first part is read): 2 system calls per service.
//
// Blocking with a receive timeout (SO_RCVTIMEO). fd() is exposed for a later event-loop
// integration. No exception leaves this class: every failure is a Result.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "libipvs/kernel.hpp"
#include "libipvs/reply_parser.hpp"
#include "libipvs/request.hpp"

struct mnl_socket;

namespace ipvs {

struct SocketOptions {
  std::chrono::milliseconds receive_timeout{5000};
  std::size_t window = 256;           // operations per batched send
  int buffer_bytes = 4 << 20;         // SO_RCVBUF(FORCE) / SO_SNDBUF(FORCE)
  bool load_module = true;            // run `modprobe ip_vs` when the family is not registered
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

  [[nodiscard]] int fd() const noexcept;
  [[nodiscard]] std::uint16_t family_id() const noexcept { return family_id_; }

  [[nodiscard]] vigil::Result<Table> dump() override;
  [[nodiscard]] ApplyReport apply(const Plan& plan) override;

  /// One request, waiting for its ACK (flush, timeouts, sync daemon start/stop, ...).
  [[nodiscard]] vigil::Result<void> execute(const Request& request);
  [[nodiscard]] vigil::Result<Info> info();
  [[nodiscard]] vigil::Result<Timeouts> timeouts();
  [[nodiscard]] vigil::Result<std::vector<SyncDaemon>> daemons();
  /// Dests of one service (one GET_DEST dump).
  [[nodiscard]] vigil::Result<std::vector<Dest>> dests(const ServiceKey& service);

 private:
  struct Closer {
    void operator()(mnl_socket* nl) const noexcept;
  };
  struct Buffers;  // recvmmsg slots, allocated once

  Socket(mnl_socket* nl, const SocketOptions& options);
  [[nodiscard]] vigil::Result<void> resolve_family();
  [[nodiscard]] vigil::Result<void> send_bytes(std::span<const std::uint8_t> bytes);
  /// One recvmmsg: every message of every datagram that arrived, parsed.
  [[nodiscard]] vigil::Result<std::vector<Message>> receive(Family dest_family);
  /// Sends one request and returns its replies up to its ACK (or NLMSG_DONE for a dump).
  [[nodiscard]] vigil::Result<std::vector<Message>> transact(const Request& request, Family dest_family = Family::v4);
  void apply_window(const Plan& plan, std::size_t begin, std::size_t end, ApplyReport& report);

  std::unique_ptr<mnl_socket, Closer> nl_;
  std::unique_ptr<Buffers> buffers_;
  SocketOptions options_;
  std::uint16_t family_id_ = 0;
  std::uint32_t next_seq_ = 1;
  std::vector<std::uint8_t> tx_;
};

}  // namespace ipvs
