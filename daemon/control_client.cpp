#include "daemon/control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include "common/json_text.hpp"

namespace vigild {

vigil::Result<nlohmann::json> control_request(const std::string& socket_path, const nlohmann::json& request) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof addr.sun_path) return vigil::make_error("socket path too long: " + socket_path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return vigil::make_error(std::string("socket: ") + std::strerror(errno), errno);
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    return vigil::make_error(what + ": " + std::strerror(err), err);
  };
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)  // NOLINT: sockaddr API
    return fail("cannot connect to " + socket_path + " (is vigild running? are you root?)");
  const std::string line = vigil::json_text(request) + "\n";
  int send_error = 0;
  for (std::size_t sent = 0; sent < line.size();) {
    const auto n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      // vigild may have answered and hung up before reading (a refused client): read that answer.
      send_error = errno;
      break;
    }
    if (n < 0) return fail("send");
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[65536];
  while (reply.find('\n') == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 30'000);
    if (ready == 0) {
      ::close(fd);
      return vigil::make_error("no reply from vigild within 30 s");
    }
    if (ready < 0) return fail("poll");
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == ECONNRESET) break;  // hung up; what it sent before is in `reply`
    if (n < 0) return fail("recv");
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (reply.empty())
    return vigil::make_error("vigild closed the connection without a reply" +
                             (send_error != 0 ? std::string(" (send: ") + std::strerror(send_error) + ")" : std::string()));
  auto json = nlohmann::json::parse(reply, nullptr, false);
  if (json.is_discarded()) return vigil::make_error("vigild sent a reply that is not JSON");
  return json;
}

}  // namespace vigild
