// DOC: UDP_CHECK: send the payload on a connected UDP socket and wait up to connect_timeout.
// Connecting the socket is what makes an ICMP port unreachable visible: the kernel reports it as
// ECONNREFUSED on the next receive, which means down. Silence means up unless require_reply.
#include <algorithm>
#include <vector>

#include "libhealth/core/udp_rules.hpp"
#include "libhealth/probes/operation.hpp"
#include "libhealth/probes/probes.hpp"
#include "libhealth/probes/socket_util.hpp"

namespace health::detail {

namespace {

class UdpProbe final : public Operation {
 public:
  UdpProbe(ProbeContext& context, const ProbeSpec& spec)
      : Operation(context, spec.timeout), target_(spec.target), udp_(std::get<UdpSpec>(spec.spec)),
        socket_(context.io()) {}

  asio::awaitable<ProbeResult> run() {
    if (auto opened = open_for(socket_, target_); !opened) co_return ProbeResult::failure(opened.error().message);
    error_code ec;
    socket_.connect({to_asio(target_.ip), target_.port}, ec);
    if (ec) co_return ProbeResult::failure(connect_error(ec));
    arm_deadline();
    co_await socket_.async_send(asio::buffer(udp_.payload), ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("UDP send");
    if (ec == asio::error::connection_refused) co_return ProbeResult::failure("port unreachable (ICMP)");
    if (ec) co_return ProbeResult::failure("UDP send failed: " + ec.message());

    // One byte more than the longest acceptable reply, so an oversized one is seen as such.
    std::vector<std::uint8_t> reply(std::clamp<std::size_t>(udp_.max_reply_length + 1u, 1u, 65536u));
    const std::size_t n = co_await socket_.async_receive(asio::buffer(reply), ec_token(ec));
    if (cancelled()) co_return interrupted("UDP reply");
    if (timed_out()) co_return evaluate_udp_silence(udp_, timeout_);
    if (ec == asio::error::connection_refused) co_return ProbeResult::failure("port unreachable (ICMP)");
    if (ec) co_return ProbeResult::failure("UDP receive failed: " + ec.message());
    co_return evaluate_udp_reply(udp_, std::span<const std::uint8_t>(reply.data(), n));
  }

 private:
  void abort() noexcept override {
    error_code ignored;
    socket_.close(ignored);
  }

  CheckTarget target_;
  UdpSpec udp_;
  asio::ip::udp::socket socket_;
};

}  // namespace

ProbeHandle start_udp_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done) {
  return launch(std::make_shared<UdpProbe>(context, spec), std::move(done));
}

}  // namespace health::detail
