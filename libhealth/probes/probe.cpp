// DOC: ProbeContext and the dispatch from a ProbeSpec to its probe.
#include "libhealth/probes/probe.hpp"
#include "common/overloaded.hpp"

#include <random>

#include "libhealth/probes/beast.hpp"
#include "libhealth/probes/probes.hpp"
#include "libhealth/probes/tcp_connector.hpp"
#include "common/process/credentials.hpp"

namespace health {

namespace {
using vigil::Overloaded;

std::unique_ptr<asio::ssl::context> make_tls_context(const std::optional<TlsClientFiles>& files) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3);
  // Not verified, as keepalived does not verify: see http_probe.cpp.
  tls->set_verify_mode(asio::ssl::verify_none);
  if (files) {
    // Startup boundary: a missing or unreadable file throws, and the daemon refuses to start.
    if (files->password) {
      const std::string password = *files->password;
      tls->set_password_callback([password](std::size_t, asio::ssl::context::password_purpose) { return password; });
    }
    if (files->certificate) tls->use_certificate_chain_file(*files->certificate);
    if (files->key) tls->use_private_key_file(*files->key, asio::ssl::context::pem);
  }
  return tls;
}
}  // namespace

ProbeContext::ProbeContext(asio::io_context& io, ProbeOptions options)
    : io_(io),
      options_(std::move(options)),
      // With the SSL block's files the context is made now, so a bad certificate or key is an
      // error at start. Without, it waits for the first SSL_GET: a context's OpenSSL tables
      // are a few hundred KB (heaptrack) that a daemon without TLS checks need not carry.
      tls_(options_.tls_client ? make_tls_context(options_.tls_client) : nullptr),
      users_(std::make_unique<vigil::process::UserCache>()),
      random_state_(std::random_device{}()) {}

ProbeContext::~ProbeContext() = default;

asio::ssl::context& ProbeContext::tls() {
  if (!tls_) tls_ = make_tls_context(std::nullopt);
  return *tls_;
}

detail::TcpConnector& ProbeContext::tcp() {
  if (!tcp_) tcp_ = std::make_unique<detail::TcpConnector>(io_);
  return *tcp_;
}

std::uint16_t ProbeContext::random_u16() noexcept {
  // splitmix64: DNS IDs and ICMP identifiers need to be unpredictable per probe, not secret.
  random_state_ += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = random_state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<std::uint16_t>((z ^ (z >> 31)) & 0xffff);
}

ProbeHandle start_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done) {
  return start_probe(context, spec, std::move(done), Clock::now());
}

ProbeHandle start_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done, TimePoint now) {
  return std::visit(Overloaded{
                        [&](const TcpSpec&) { return detail::start_tcp_probe(context, spec, std::move(done), now); },
                        [&](const HttpSpec&) { return detail::start_http_probe(context, spec, std::move(done)); },
                        [&](const MiscSpec&) { return detail::start_misc_probe(context, spec, std::move(done)); },
                        [&](const UdpSpec&) { return detail::start_udp_probe(context, spec, std::move(done)); },
                        [&](const DnsSpec&) { return detail::start_dns_probe(context, spec, std::move(done)); },
                        [&](const PingSpec&) { return detail::start_ping_probe(context, spec, std::move(done)); },
                        [&](const SmtpSpec&) { return detail::start_smtp_probe(context, spec, std::move(done)); },
                    },
                    spec.spec);
}

}  // namespace health
