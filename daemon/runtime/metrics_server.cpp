#include "daemon/runtime/metrics_server.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <memory>

namespace vigild {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::string render_prometheus(const std::vector<MetricSample>& samples) {
  // Group samples by name into families, keeping first-seen order.
  std::vector<prometheus::MetricFamily> families;
  std::map<std::string, std::size_t> index;
  for (const auto& s : samples) {
    auto [it, fresh] = index.emplace(s.name, families.size());
    if (fresh) {
      prometheus::MetricFamily f;
      f.name = s.name;
      f.help = s.help;
      f.type = s.type == MetricSample::Type::counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
      families.push_back(std::move(f));
    }
    prometheus::ClientMetric m;
    for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
    if (s.type == MetricSample::Type::counter) m.counter.value = s.value;
    else m.gauge.value = s.value;
    families[it->second].metric.push_back(std::move(m));
  }
  return prometheus::TextSerializer().Serialize(families);
}

namespace {

constexpr std::size_t k_max_connections = 16;
constexpr auto k_connection_deadline = std::chrono::seconds(5);

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(tcp::socket s, MetricsServer::Collect c, std::size_t& count)
      : socket(std::move(s)), deadline(socket.get_executor()), collect(std::move(c)), connections(count) {
    ++connections;
  }
  ~Connection() { --connections; }

  void start() {
    deadline.expires_after(k_connection_deadline);
    deadline.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) {
        boost::system::error_code ignored;
        self->socket.close(ignored);
      }
    });
    parser.body_limit(4096);
    parser.header_limit(8192);
    http::async_read(socket, buffer, parser, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
      if (ec) return;
      self->respond();
    });
  }

  void respond() {
    const auto& req = parser.get();
    response.version(req.version());
    response.keep_alive(false);
    response.set(http::field::server, "vigild");
    const auto target = std::string(req.target());
    if (req.method() != http::verb::get) {
      response.result(http::status::method_not_allowed);
      response.body() = "only GET\n";
    } else if (target == "/metrics" || target.rfind("/metrics?", 0) == 0) {
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      try {
        response.body() = render_prometheus(collect());
      } catch (const std::exception& e) {
        response.result(http::status::internal_server_error);
        response.body() = std::string("error: ") + e.what() + "\n";
      }
    } else {
      response.result(http::status::not_found);
      response.body() = "see /metrics\n";
    }
    response.prepare_payload();
    http::async_write(socket, response, [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
      boost::system::error_code ignored;
      self->socket.shutdown(tcp::socket::shutdown_both, ignored);
      self->deadline.cancel();
    });
  }

  tcp::socket socket;
  asio::steady_timer deadline;
  MetricsServer::Collect collect;
  std::size_t& connections;
  boost::beast::flat_buffer buffer{8192};
  http::request_parser<http::string_body> parser;
  http::response<http::string_body> response;
};

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, vigil::log::Logger& log, Collect collect)
    : io_(io), log_(log), collect_(std::move(collect)), acceptor_(io) {}

MetricsServer::~MetricsServer() { close(); }

vigil::Result<void> MetricsServer::listen(const std::string& address) {
  std::string host = address;
  std::string port = "9650";
  if (const auto colon = address.rfind(':'); colon != std::string::npos && address.find(']') < colon) {
    host = address.substr(1, address.find(']') - 1);
    port = address.substr(colon + 1);
  } else if (colon != std::string::npos && address.find(':') == colon) {
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (ec) return vigil::make_error("metrics listen address '" + address + "': " + ec.message());
  unsigned long port_number = 0;
  try {
    port_number = std::stoul(port);
  } catch (...) {
    port_number = 70000;
  }
  if (port_number > 65535) return vigil::make_error("metrics listen port '" + port + "' is not a port");
  const tcp::endpoint ep(ip, static_cast<std::uint16_t>(port_number));
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(16, ec);
  if (ec) {
    acceptor_.close();
    return vigil::make_error("metrics endpoint " + address + ": " + ec.message(), ec.value());
  }
  accept();
  return {};
}

std::uint16_t MetricsServer::port() const {
  boost::system::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void MetricsServer::close() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void MetricsServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (connections_ >= k_max_connections) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Connection>(std::move(socket), collect_, connections_)->start();
      }
    }
    accept();
  });
}

}  // namespace vigild
