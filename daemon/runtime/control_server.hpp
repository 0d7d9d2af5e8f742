// DOC: The control socket — a Unix stream socket, root only (mode 0600 in a 0700 directory,
// and the peer's uid checked with SO_PEERCRED). One JSON request per line, one JSON reply per
// line: {"command":"status"} → {"ok":true,...}. vigilctl is its client.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/result.hpp"

namespace vigild {

class ControlServer {
 public:
  using Reply = std::function<void(const nlohmann::json& reply)>;
  /// Handles one request; calls `reply` once, now or later (a reload parses off the loop).
  using Handler = std::function<void(const nlohmann::json& request, Reply reply)>;

  ControlServer(boost::asio::io_context& io, vigil::log::Logger& log, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  /// Binds the socket (replacing a stale one left by a crashed daemon) and starts accepting.
  vigil::Result<void> listen(const std::string& path);
  void close();

 private:
  void accept();
  void serve(std::shared_ptr<boost::asio::local::stream_protocol::socket> socket);

  boost::asio::io_context& io_;
  vigil::log::Logger& log_;
  Handler handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
};

/// The default socket path.
inline constexpr const char* k_default_control_socket = "/run/vigil/vigil.sock";

}  // namespace vigild
