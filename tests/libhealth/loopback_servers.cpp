// DOC: Loopback servers for the probe tests (see loopback_servers.hpp).
#include "loopback_servers.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/read_until.hpp>

#include <catch2/catch.hpp>

namespace vigil_test {

namespace http = boost::beast::http;
using boost::system::error_code;
using health::ec_token;

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    // Short slices, so a condition outside the loop (a file, /proc) is noticed promptly too.
    io.run_one_for(std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(5)));
  }
  return true;
}

health::ProbeResult run_probe(asio::io_context& io, health::ProbeContext& context, const health::ProbeSpec& spec) {
  std::optional<health::ProbeResult> result;
  auto handle = health::start_probe(context, spec, [&](health::ProbeResult r) { result = std::move(r); });
  REQUIRE(run_until(io, [&] { return result.has_value(); }));
  return *result;
}

health::ProbeSpec tcp_spec(const std::string& ip, std::uint16_t port, std::chrono::milliseconds timeout) {
  health::ProbeSpec spec;
  spec.target.ip = *vigil::IpAddress::parse(ip);
  spec.target.port = port;
  spec.timeout = timeout;
  spec.spec = health::TcpSpec{};
  return spec;
}

// ---------------------------------------------------------------------------------------------

TcpServer::TcpServer(asio::io_context& io, const std::string& address, std::uint16_t port)
    : acceptor_(io, tcp::endpoint(asio::ip::make_address(address), port)), port_(acceptor_.local_endpoint().port()) {
  struct Loop {
    tcp::acceptor* acceptor;
    std::shared_ptr<std::size_t> count;
    std::shared_ptr<std::map<std::string, std::size_t>> by_source;
    // The peer comes from accept() itself: TCP_CHECK resets its connection at once, and
    // getpeername() on a reset socket fails (ENOTCONN).
    std::shared_ptr<tcp::endpoint> peer = std::make_shared<tcp::endpoint>();
    void operator()() const {
      acceptor->async_accept(*peer, [self = *this](const error_code& ec, tcp::socket socket) {
        if (ec) return;  // closed
        ++*self.count;
        ++(*self.by_source)[self.peer->address().to_string()];
        error_code ignored;
        socket.close(ignored);
        self();
      });
    }
  };
  Loop{&acceptor_, accepted_, by_source_}();
}

void TcpServer::close() {
  error_code ignored;
  acceptor_.close(ignored);
}

std::uint16_t closed_tcp_port(asio::io_context& io) {
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();  // closed when `probe` goes
}

std::uint16_t closed_udp_port(asio::io_context& io) {
  udp::socket probe(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}

TcpBlackhole::TcpBlackhole(asio::io_context& io) : acceptor_(io), filler_(io) {
  const tcp::endpoint any(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(any.protocol());
  acceptor_.bind(any);
  acceptor_.listen(0);  // one slot; the filler takes it and is never accepted
  port_ = acceptor_.local_endpoint().port();
  filler_.connect(tcp::endpoint(any.address(), port_));
}

// ---------------------------------------------------------------------------------------------

SelfSigned make_self_signed(const std::string& common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  REQUIRE(key);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);

  const auto to_string = [](BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
  };
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  SelfSigned out{to_string(cert_bio), to_string(key_bio)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// ---------------------------------------------------------------------------------------------

namespace {

std::string response_for(const std::string& path) {
  if (path == "/ok") return "HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
  if (path == "/error") return "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops";
  if (path == "/wrong") return "HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\ngoodbye";
  if (path == "/slow") return "HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\npartial";
  if (path == "/big") return "HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(100000, 'x');
  if (path == "/eof") return "HTTP/1.0 200 OK\r\n\r\nhello world";
  if (path == "/chunked") {
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  }
  return "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
}

template <class Stream>
asio::awaitable<void> serve(Stream& stream, std::shared_ptr<HttpSeen> seen) {
  boost::beast::flat_buffer buffer;
  http::request<http::string_body> request;
  error_code ec;
  co_await http::async_read(stream, buffer, request, ec_token(ec));
  if (ec) co_return;
  ++seen->requests;
  seen->host = std::string(request[http::field::host]);
  seen->user_agent = std::string(request[http::field::user_agent]);
  seen->connection = std::string(request[http::field::connection]);
  seen->version = request.version() == 11 ? "1.1" : "1.0";
  const std::string path(request.target());
  const std::string response = response_for(path);
  co_await asio::async_write(stream, asio::buffer(response), ec_token(ec));
  if (path == "/slow") {
    asio::steady_timer never(co_await asio::this_coro::executor, std::chrono::hours(1));
    co_await never.async_wait(ec_token(ec));
  }
  // No TLS close_notify: the client must cope with a plain close (stream_truncated).
}

asio::awaitable<void> serve_plain(tcp::socket socket, std::shared_ptr<HttpSeen> seen) {
  co_await serve(socket, std::move(seen));
}

asio::awaitable<void> serve_tls(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                std::shared_ptr<HttpSeen> seen) {
  asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
  error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server, ec_token(ec));
  if (ec) co_return;
  const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
  seen->sni = sni ? sni : "";
  co_await serve(stream, std::move(seen));
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const std::string& address, const SelfSigned* tls)
    : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address(address), 0)),
      port_(acceptor_.local_endpoint().port()) {
  if (tls) {
    tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->use_certificate_chain(asio::buffer(tls->certificate_pem));
    tls_->use_private_key(asio::buffer(tls->key_pem), asio::ssl::context::pem);
  }
  accept();
}

void HttpServer::accept() {
  acceptor_.async_accept([this, seen = seen_, tls = tls_](const error_code& ec, tcp::socket socket) {
    if (ec) return;  // the server is gone
    if (tls) {
      asio::co_spawn(io_, serve_tls(std::move(socket), tls, seen), asio::detached);
    } else {
      asio::co_spawn(io_, serve_plain(std::move(socket), seen), asio::detached);
    }
    accept();
  });
}

// ---------------------------------------------------------------------------------------------

namespace {

asio::awaitable<void> talk_smtp(tcp::socket socket, std::string greeting, std::shared_ptr<std::string> helo) {
  error_code ec;
  co_await asio::async_write(socket, asio::buffer(greeting), ec_token(ec));
  std::string buffer;
  for (;;) {
    const std::size_t n = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n", ec_token(ec));
    if (ec) co_return;
    const std::string line = buffer.substr(0, n - 2);
    buffer.erase(0, n);
    std::string reply = "500 what\r\n";
    if (line.rfind("HELO ", 0) == 0) {
      *helo = line.substr(5);
      reply = "250 pleased to meet you\r\n";
    } else if (line == "QUIT") {
      reply = "221 bye\r\n";
    }
    co_await asio::async_write(socket, asio::buffer(reply), ec_token(ec));
    if (ec || line == "QUIT") co_return;
  }
}

}  // namespace

SmtpServer::SmtpServer(asio::io_context& io, std::string greeting)
    : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      port_(acceptor_.local_endpoint().port()), greeting_(std::move(greeting)) {
  accept();
}

void SmtpServer::accept() {
  acceptor_.async_accept([this, helo = helo_](const error_code& ec, tcp::socket socket) {
    if (ec) return;
    asio::co_spawn(io_, talk_smtp(std::move(socket), greeting_, helo), asio::detached);
    accept();
  });
}

// ---------------------------------------------------------------------------------------------

namespace {

asio::awaitable<void> answer_dns(udp::socket& socket, std::uint8_t rcode, bool wrong_id_first,
                                 std::shared_ptr<std::vector<std::uint8_t>> last) {
  std::vector<std::uint8_t> buf(4096);
  for (;;) {
    udp::endpoint from;
    error_code ec;
    const std::size_t n = co_await socket.async_receive_from(asio::buffer(buf), from, ec_token(ec));
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) co_return;
    if (ec || n < 12) continue;
    last->assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<std::uint8_t> reply(*last);
    reply[2] = static_cast<std::uint8_t>(reply[2] | 0x80);           // QR
    reply[3] = static_cast<std::uint8_t>(0x80 | (rcode & 0x0f));     // RA + RCODE
    if (wrong_id_first) {
      auto stray = reply;
      stray[1] = static_cast<std::uint8_t>(stray[1] + 1);
      co_await socket.async_send_to(asio::buffer(stray), from, ec_token(ec));
    }
    co_await socket.async_send_to(asio::buffer(reply), from, ec_token(ec));
  }
}

asio::awaitable<void> answer_udp(udp::socket& socket, std::vector<std::uint8_t> reply) {
  std::vector<std::uint8_t> buf(65536);
  for (;;) {
    udp::endpoint from;
    error_code ec;
    co_await socket.async_receive_from(asio::buffer(buf), from, ec_token(ec));
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) co_return;
    if (ec || reply.empty()) continue;
    co_await socket.async_send_to(asio::buffer(reply), from, ec_token(ec));
  }
}

}  // namespace

DnsServer::DnsServer(asio::io_context& io, std::uint8_t rcode, bool wrong_id_first)
    : socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), port_(socket_.local_endpoint().port()) {
  asio::co_spawn(io, answer_dns(socket_, rcode, wrong_id_first, last_query_), asio::detached);
}

UdpServer::UdpServer(asio::io_context& io, std::vector<std::uint8_t> reply)
    : socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), port_(socket_.local_endpoint().port()) {
  asio::co_spawn(io, answer_udp(socket_, std::move(reply)), asio::detached);
}

}  // namespace vigil_test
