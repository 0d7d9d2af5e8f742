// DOC: The Prometheus endpoint, served from the daemon's own loop (not prometheus-cpp's
// threaded exposer): Beast reads one request per connection, the samples are collected from
// the subsystems at scrape time and rendered with prometheus-cpp's text serializer. Off by
// default; `vigil_metrics_listen 127.0.0.1:9650` turns it on. Bounded: small request buffer,
// a deadline per connection, a cap on concurrent connections.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "common/result.hpp"
#include "daemon/runtime/subsystem.hpp"

namespace vigild {

/// Renders samples in the Prometheus text exposition format (version 0.0.4).
[[nodiscard]] std::string render_prometheus(const std::vector<MetricSample>& samples);

class MetricsServer {
 public:
  using Collect = std::function<std::vector<MetricSample>()>;
  MetricsServer(boost::asio::io_context& io, vigil::log::Logger& log, Collect collect);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// "127.0.0.1:9650", "[::1]:9650".
  vigil::Result<void> listen(const std::string& address);
  void close();
  [[nodiscard]] std::uint16_t port() const;

 private:
  void accept();

  boost::asio::io_context& io_;
  vigil::log::Logger& log_;
  Collect collect_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::size_t connections_ = 0;
};

}  // namespace vigild
