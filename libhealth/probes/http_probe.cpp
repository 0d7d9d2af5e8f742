// DOC: HTTP_GET and SSL_GET with Beast over Asio (OpenSSL for TLS).
//
// For each url, in order (all must pass, as in keepalived): connect, TLS handshake for SSL_GET
// (SNI when enable_sni/sni_name; the server certificate is NOT verified — keepalived does not
// verify it either, a health check asks "is it serving", and an expired certificate must not
// empty a pool), send GET with keepalived's headers (Host = virtualhost or address:port,
// User-Agent KeepAliveClient, "Connection: close" for 1.0C and 1.1), read the response header
// and judge the status. Only when a digest is configured is the body read, streamed through MD5
// in 16 KiB pieces up to ProbeOptions::http_body_cap, so memory stays flat whatever its size.
//
// One deadline of connect_timeout covers each url's whole exchange. keepalived re-arms its timer
// on every read, so a server that drips a byte a second keeps it waiting forever; a single
// deadline makes a slow body a failure, which is the point of a health check.
#include <array>
#include <limits>
#include <optional>

#include "libhealth/core/http_rules.hpp"
#include "libhealth/probes/beast.hpp"
#include "libhealth/probes/md5.hpp"
#include "libhealth/probes/operation.hpp"
#include "libhealth/probes/probes.hpp"
#include "libhealth/probes/socket_util.hpp"

namespace health::detail {

namespace {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t k_header_limit = 64 * 1024;

class HttpProbe final : public Operation {
 public:
  HttpProbe(ProbeContext& context, const ProbeSpec& spec)
      : Operation(context, spec.timeout), spec_(spec), http_(std::get<HttpSpec>(spec.spec)), socket_(context.io()) {}

  asio::awaitable<ProbeResult> run() {
    ProbeResult result = ProbeResult::failure("no url");
    for (const auto& url : http_.urls) {
      result = co_await check_url(url);
      if (!result.ok) co_return result;
    }
    if (http_.urls.size() > 1) result.reason = "all " + std::to_string(http_.urls.size()) + " urls ok";
    co_return result;
  }

 private:
  void abort() noexcept override {
    error_code ignored;
    socket_.close(ignored);
    if (tls_) tls_->lowest_layer().close(ignored);
  }

  asio::awaitable<ProbeResult> check_url(const HttpUrlSpec& url) {
    abort();  // the previous url's connection, if any
    tls_.reset();
    socket_ = tcp::socket(context().io());
    if (auto opened = open_for(socket_, spec_.target); !opened) co_return ProbeResult::failure(opened.error().message);
    arm_deadline();
    error_code ec;
    co_await socket_.async_connect({to_asio(spec_.target.ip), spec_.target.port}, ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("connect");
    if (ec) co_return ProbeResult::failure(connect_error(ec));
    if (!http_.tls) co_return co_await exchange(socket_, url);

    tls_.emplace(std::move(socket_), context().tls());
    if (const auto sni = http_sni(http_, url)) {
      // The macro expands to SSL_ctrl(); call that directly to keep its C cast out of our code.
      (void)SSL_ctrl(tls_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     const_cast<char*>(sni->c_str()));
    }
    co_await tls_->async_handshake(asio::ssl::stream_base::client, ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("TLS handshake");
    if (ec) co_return ProbeResult::failure("TLS handshake failed: " + ec.message());
    co_return co_await exchange(*tls_, url);
  }

  template <class Stream>
  asio::awaitable<ProbeResult> exchange(Stream& stream, const HttpUrlSpec& url) {
    http::request<http::empty_body> request{http::verb::get, url.path,
                                            http_.protocol == HttpProtocol::http11 ? 11 : 10};
    request.set(http::field::host, http_host(http_, url, spec_.target));
    request.set(http::field::user_agent, "KeepAliveClient");  // what keepalived sends; log filters rely on it
    if (http_.protocol != HttpProtocol::http10) request.set(http::field::connection, "close");

    error_code ec;
    co_await http::async_write(stream, request, ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("HTTP request");
    if (ec) co_return ProbeResult::failure("sending the request failed: " + ec.message());

    boost::beast::flat_buffer buffer(k_header_limit);
    http::response_parser<http::buffer_body> parser;
    // The cap matters only for a body we read (to digest it); a status check ignores the length.
    parser.body_limit(http_needs_body(url) ? context().options().http_body_cap
                                           : std::numeric_limits<std::uint64_t>::max());
    co_await http::async_read_header(stream, buffer, parser, ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("HTTP response");
    if (ec == http::error::body_limit) co_return body_too_large(url);
    if (ec) co_return ProbeResult::failure("reading the response failed: " + ec.message());
    const int status = static_cast<int>(parser.get().result_int());
    if (!http_needs_body(url) || !status_accepted(status, url.status_codes)) {
      co_return evaluate_http(url, status, std::nullopt);
    }

    Md5 md5;
    std::array<char, 16 * 1024> chunk;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      co_await http::async_read(stream, buffer, parser, ec_token(ec));
      md5.update(chunk.data(), chunk.size() - parser.get().body().size);
      if (ec == http::error::need_buffer) continue;
      if (ec == asio::ssl::error::stream_truncated) {
        // The server closed without close_notify: an ordinary end for a body delimited by EOF.
        ec = {};
        parser.put_eof(ec);
      }
      if (timed_out() || cancelled()) co_return interrupted("HTTP body");
      if (ec == http::error::body_limit) co_return body_too_large(url);
      if (ec) co_return ProbeResult::failure("reading the body failed: " + ec.message());
    }
    co_return evaluate_http(url, status, md5.hex_final());
  }

  ProbeResult body_too_large(const HttpUrlSpec& url) {
    return ProbeResult::failure("body of " + url.path + " larger than " +
                                std::to_string(context().options().http_body_cap) + " bytes");
  }

  ProbeSpec spec_;
  HttpSpec http_;
  tcp::socket socket_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_;
};

}  // namespace

ProbeHandle start_http_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done) {
  return launch(std::make_shared<HttpProbe>(context, spec), std::move(done));
}

}  // namespace health::detail
