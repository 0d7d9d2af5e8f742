// DOC: TCP_CHECK: connect to connect_ip:connect_port (from bindto/bind_port if given) within
// connect_timeout, then close. Refused, unreachable and timed-out connects read differently.
#include "libhealth/probes/probes.hpp"

#include "libhealth/probes/operation.hpp"
#include "libhealth/probes/socket_util.hpp"

namespace health::detail {

namespace {

class TcpProbe final : public Operation {
 public:
  TcpProbe(ProbeContext& context, const ProbeSpec& spec)
      : Operation(context, spec.timeout), target_(spec.target), socket_(context.io()) {}

  asio::awaitable<ProbeResult> run() {
    if (auto opened = open_for(socket_, target_); !opened) co_return ProbeResult::failure(opened.error().message);
    arm_deadline();
    error_code ec;
    co_await socket_.async_connect({to_asio(target_.ip), target_.port}, ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("connect");
    if (ec) co_return ProbeResult::failure(connect_error(ec));
    co_return ProbeResult::success("connected in " + format_duration(elapsed()));
  }

 private:
  void abort() noexcept override {
    error_code ignored;
    socket_.close(ignored);
  }

  CheckTarget target_;
  asio::ip::tcp::socket socket_;
};

}  // namespace

ProbeHandle start_tcp_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done) {
  return launch(std::make_shared<TcpProbe>(context, spec), std::move(done));
}

}  // namespace health::detail
