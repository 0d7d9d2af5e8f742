// DOC: DNS_CHECK: one query of the configured type and name, sent over UDP to the real server
// (connect_ip:connect_port), judged as keepalived does: a response with our ID and RCODE NOERROR
// is up, another RCODE is down, anything else is ignored until the deadline.
//
// c-ares encodes the query (ares_create_query). Its resolver machinery — server rotation,
// retries, search lists, resolv.conf — is exactly what a health check must not use: the question
// is "does this server answer", so the socket is ours, on the loop, with the probe's deadline.
#include <ares.h>

#include <cstring>
#include <vector>

#include "libhealth/core/dns_rules.hpp"
#include "libhealth/probes/operation.hpp"
#include "libhealth/probes/probes.hpp"
#include "libhealth/probes/socket_util.hpp"

namespace health::detail {

namespace {

constexpr int k_class_in = 1;  // RFC 1035 §3.2.4

vigil::Result<std::vector<std::uint8_t>> encode_query(const DnsSpec& dns, std::uint16_t id) {
  unsigned char* buf = nullptr;
  int len = 0;
  const int status = ares_create_query(dns.name.c_str(), k_class_in, dns.qtype, id, 1 /* RD */, &buf, &len, 0);
  if (status != ARES_SUCCESS) {
    return vigil::make_error("cannot encode DNS query for '" + dns.name + "': " + ares_strerror(status));
  }
  std::vector<std::uint8_t> out(buf, buf + len);
  ares_free_string(buf);
  return out;
}

class DnsProbe final : public Operation {
 public:
  DnsProbe(ProbeContext& context, const ProbeSpec& spec)
      : Operation(context, spec.timeout), target_(spec.target), dns_(std::get<DnsSpec>(spec.spec)),
        socket_(context.io()) {}

  asio::awaitable<ProbeResult> run() {
    const std::uint16_t id = context().random_u16();
    auto query = encode_query(dns_, id);
    if (!query) co_return ProbeResult::failure(query.error().message);
    if (auto opened = open_for(socket_, target_); !opened) co_return ProbeResult::failure(opened.error().message);
    error_code ec;
    socket_.connect({to_asio(target_.ip), target_.port}, ec);
    if (ec) co_return ProbeResult::failure(connect_error(ec));
    arm_deadline();
    co_await socket_.async_send(asio::buffer(*query), ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("DNS query");
    if (ec) co_return ProbeResult::failure("DNS send failed: " + ec.message());

    std::vector<std::uint8_t> reply(4096);
    for (;;) {
      const std::size_t n = co_await socket_.async_receive(asio::buffer(reply), ec_token(ec));
      if (timed_out() || cancelled()) co_return interrupted("DNS reply");
      if (ec == asio::error::connection_refused) co_return ProbeResult::failure("port unreachable (ICMP): no DNS server");
      if (ec) co_return ProbeResult::failure("DNS receive failed: " + ec.message());
      const DnsVerdict verdict = evaluate_dns_reply(std::span<const std::uint8_t>(reply.data(), n), id);
      if (verdict.kind == DnsReplyKind::answer) co_return verdict.result;
    }
  }

 private:
  void abort() noexcept override {
    error_code ignored;
    socket_.close(ignored);
  }

  CheckTarget target_;
  DnsSpec dns_;
  asio::ip::udp::socket socket_;
};

}  // namespace

ProbeHandle start_dns_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done) {
  return launch(std::make_shared<DnsProbe>(context, spec), std::move(done));
}

}  // namespace health::detail
