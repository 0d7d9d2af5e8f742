// DOC: The probe interface: start one probe of a ProbeSpec on the io_context, get exactly one
// ProbeResult back through a callback that runs on the loop (never inline in start_probe()), and
// cancel it if a reload removes the check. Every probe has a deadline (Boost 1.74 has no
// cancel_after) that, when it passes, closes the probe's sockets or kills its process group,
// which completes whatever the probe was waiting for: a steady_timer of its own (Operation), or
// for TCP_CHECK the TcpConnector's one timer over all its connects.
#pragma once

#include "common/process/credentials.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "libhealth/core/check.hpp"
#include "libhealth/core/types.hpp"
#include "libhealth/probes/asio.hpp"

namespace boost::asio::ssl {
class context;
}

namespace health {

struct TlsClientFiles {
  std::optional<std::string> certificate;  // PEM client certificate (root `SSL { certificate }`)
  std::optional<std::string> key;
  std::optional<std::string> password;
};

struct ProbeOptions {
  std::size_t http_body_cap = 4 * 1024 * 1024;  // bytes digested at most; larger bodies fail
  std::size_t misc_output_cap = 64 * 1024;      // script output read (and discarded) at most
  std::optional<TlsClientFiles> tls_client;
};

namespace detail {
/// What a running probe offers its handle.
class Cancellable {
 public:
  virtual ~Cancellable() = default;
  virtual void cancel() noexcept = 0;
};
class TcpConnector;
}  // namespace detail

/// Cancels a running probe; its callback still runs once, with a "cancelled" failure.
class ProbeHandle {
 public:
  ProbeHandle() = default;
  explicit ProbeHandle(std::shared_ptr<detail::Cancellable> op) : op_(std::move(op)) {}
  void cancel() noexcept {
    if (op_) op_->cancel();
  }

 private:
  std::shared_ptr<detail::Cancellable> op_;
};

using ProbeCallback = std::function<void(ProbeResult)>;

/// What the probes of one HealthChecker share: the loop, the options, the TLS client context,
/// resolved script users, a random source for DNS / ICMP identifiers and the TCP_CHECK connector.
class ProbeContext {
 public:
  ProbeContext(asio::io_context& io, ProbeOptions options);
  ~ProbeContext();
  ProbeContext(const ProbeContext&) = delete;
  ProbeContext& operator=(const ProbeContext&) = delete;

  [[nodiscard]] asio::io_context& io() noexcept { return io_; }
  [[nodiscard]] const ProbeOptions& options() const noexcept { return options_; }
  [[nodiscard]] asio::ssl::context& tls();  // created on first use
  [[nodiscard]] vigil::process::UserCache& users() noexcept { return *users_; }
  [[nodiscard]] std::uint16_t random_u16() noexcept;
  [[nodiscard]] detail::TcpConnector& tcp();  // created on first use

 private:
  asio::io_context& io_;
  ProbeOptions options_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::unique_ptr<vigil::process::UserCache> users_;
  std::uint64_t random_state_;
  std::unique_ptr<detail::TcpConnector> tcp_;
};

[[nodiscard]] ProbeHandle start_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done);
/// The same, with the time the caller already read (the start of a TCP_CHECK's connect).
[[nodiscard]] ProbeHandle start_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done, TimePoint now);

}  // namespace health
