#include "daemon/runtime/control_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <istream>
#include "common/json_text.hpp"

namespace vigild {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

ControlServer::ControlServer(asio::io_context& io, vigil::log::Logger& log, Handler handler)
    : io_(io), log_(log), handler_(std::move(handler)), acceptor_(io) {}

ControlServer::~ControlServer() { close(); }

vigil::Result<void> ControlServer::listen(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return vigil::make_error("control socket directory " + dir + ": " + std::strerror(errno), errno);
  }
  ::unlink(path.c_str());  // a stale socket from a previous run
  boost::system::error_code ec;
  const mode_t old_umask = ::umask(0177);  // the socket is created 0600 (0777 & ~umask): root only
  acceptor_.open(local(), ec);
  if (!ec) acceptor_.bind(local::endpoint(path), ec);
  ::umask(old_umask);
  if (!ec) acceptor_.listen(16, ec);
  if (ec) {
    acceptor_.close();
    return vigil::make_error("control socket " + path + ": " + ec.message(), ec.value());
  }
  path_ = path;
  accept();
  return {};
}

void ControlServer::close() {
  if (!acceptor_.is_open()) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  if (!path_.empty()) ::unlink(path_.c_str());
}

void ControlServer::accept() {
  auto socket = std::make_shared<local::socket>(io_);
  acceptor_.async_accept(*socket, [this, socket](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) serve(socket);
    accept();
  });
}

void ControlServer::serve(std::shared_ptr<local::socket> socket) {
  // Root only: the file mode already says so; the peer's credentials make sure of it.
  ucred cred{};
  socklen_t len = sizeof cred;
  const bool refused =
      ::getsockopt(socket->native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0;
  if (refused) log_.warning("control socket: refused a client that is not root", {{"UID", std::to_string(cred.uid)}});
  auto buffer = std::make_shared<asio::streambuf>(64 * 1024);  // bounded: a request is a short line
  asio::async_read_until(*socket, *buffer, '\n', [this, socket, buffer, refused](const boost::system::error_code& ec, std::size_t) {
    auto send = [socket](const nlohmann::json& reply) {
      auto out = std::make_shared<std::string>(vigil::json_text(reply) + "\n");
      asio::async_write(*socket, asio::buffer(*out), [socket, out](const boost::system::error_code&, std::size_t) {});
    };
    // A refused client gets a reply that says why (after its request, so that its send does not
    // fail first), and nothing else: a bare close would reach vigilctl as an empty, "not JSON" reply.
    if (refused) return send({{"ok", false}, {"error", "permission denied: vigild's control socket serves root only"}});
    if (ec) return send({{"ok", false}, {"error", "bad request: " + ec.message()}});
    std::istream in(buffer.get());
    std::string line;
    std::getline(in, line);
    const auto request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object()) return send({{"ok", false}, {"error", "bad request: not a JSON object"}});
    try {
      handler_(request, send);
    } catch (const std::exception& e) {  // never let a bad request take the loop down
      send({{"ok", false}, {"error", std::string("internal error: ") + e.what()}});
    }
  });
}

}  // namespace vigild
