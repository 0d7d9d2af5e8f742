// DOC: Servers the probe tests start on loopback (127.0.0.1 / ::1), on the test's own io_context,
// so a probe and the server it talks to run on one thread and a test needs no sleeps: it runs
// the loop until the awaited result arrives, with a bounded deadline (run_until).
//
// "Blackholed" TCP is a listener with backlog 0 whose one queue slot is taken by a connection
// nobody accepts: Linux then drops further SYNs (tcp_conn_request: accept queue full), so a
// connect neither succeeds nor is refused and the probe's deadline fires — a connect timeout on
// loopback without root, netfilter or a non-routable address.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libhealth/probes/beast.hpp"
#include "libhealth/probes/probe.hpp"

namespace vigil_test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

/// Runs the loop until done() or the limit; false when the limit passed first. done() is
/// re-evaluated after every handler and at least every 5 ms.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(10));

/// Runs one probe to completion (bounded by 10 s of loop time).
health::ProbeResult run_probe(asio::io_context& io, health::ProbeContext& context, const health::ProbeSpec& spec);

health::ProbeSpec tcp_spec(const std::string& ip, std::uint16_t port,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

/// Accepts connections and closes them at once; counts them.
class TcpServer {
 public:
  explicit TcpServer(asio::io_context& io, const std::string& address = "127.0.0.1", std::uint16_t port = 0);
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::size_t accepted() const { return *accepted_; }
  /// Connections per source address.
  [[nodiscard]] const std::map<std::string, std::size_t>& by_source() const { return *by_source_; }
  void close();

 private:
  tcp::acceptor acceptor_;
  std::uint16_t port_;
  std::shared_ptr<std::size_t> accepted_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<std::map<std::string, std::size_t>> by_source_ = std::make_shared<std::map<std::string, std::size_t>>();
};

/// A port with nothing listening: connects are refused.
std::uint16_t closed_tcp_port(asio::io_context& io);
std::uint16_t closed_udp_port(asio::io_context& io);

/// A listener whose accept queue is full: connects time out (see the file comment).
class TcpBlackhole {
 public:
  explicit TcpBlackhole(asio::io_context& io);
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  tcp::acceptor acceptor_;
  tcp::socket filler_;
  std::uint16_t port_;
};

/// Self-signed certificate and key (EC P-256), PEM.
struct SelfSigned {
  std::string certificate_pem;
  std::string key_pem;
};
SelfSigned make_self_signed(const std::string& common_name);

/// What the HTTP server saw of the last request.
struct HttpSeen {
  int requests = 0;
  std::string host;
  std::string user_agent;
  std::string connection;
  std::string version;
  std::string sni;
};

/// HTTP (or HTTPS with `tls`) server with fixed routes:
///   /ok 200 "hello world" · /error 500 · /wrong 200 "goodbye" · /slow header + 7 of 1000 bytes, then
///   silence · /big 200 with 100 000 bytes · /eof 200 "hello world" delimited by closing the
///   connection · /chunked 200 "hello world" in chunks (HTTP/1.1)
class HttpServer {
 public:
  HttpServer(asio::io_context& io, const std::string& address = "127.0.0.1", const SelfSigned* tls = nullptr);
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const HttpSeen& seen() const { return *seen_; }

 private:
  void accept();
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::shared_ptr<HttpSeen> seen_ = std::make_shared<HttpSeen>();
};

/// Answers DNS queries with the configured RCODE (echoing the question, no answers); optionally
/// sends a reply with a wrong ID first, which the probe must ignore.
class DnsServer {
 public:
  DnsServer(asio::io_context& io, std::uint8_t rcode, bool wrong_id_first = false);
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::vector<std::uint8_t>& last_query() const { return *last_query_; }

 private:
  udp::socket socket_;
  std::uint16_t port_;
  std::shared_ptr<std::vector<std::uint8_t>> last_query_ = std::make_shared<std::vector<std::uint8_t>>();
};

/// A minimal SMTP server: sends `greeting`, answers HELO with 250 (recording the name), QUIT with 221.
class SmtpServer {
 public:
  SmtpServer(asio::io_context& io, std::string greeting);
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& helo() const { return *helo_; }

 private:
  void accept();
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_;
  std::string greeting_;
  std::shared_ptr<std::string> helo_ = std::make_shared<std::string>();
};

/// Answers every datagram with `reply` (or stays silent when it is empty).
class UdpServer {
 public:
  UdpServer(asio::io_context& io, std::vector<std::uint8_t> reply);
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  udp::socket socket_;
  std::uint16_t port_;
};

}  // namespace vigil_test
