// DOC: check_sink — the real servers' side of bench/health_vm.py, and its floor.
//
//   check_sink listen PORT OUT_FILE
//       Accepts TCP connections on 0.0.0.0:PORT (every address routed `local` answers) and closes
//       them at once. On SIGTERM/SIGINT it writes one line per accepted connection to OUT_FILE,
//       "LOCAL_ADDRESS MONOTONIC_SECONDS", and exits. The local address tells which real server
//       a checker probed; the times give each server's check intervals, whatever the checker.
//   check_sink connect PORT SECONDS ADDRESS...
//       The floor: connect to each ADDRESS:PORT in turn and close, as fast as one thread can, for
//       SECONDS. Prints connects/s and the thread's CPU per connect (the kernel charges the
//       handshake to the connecting task, so no checker can go below it).
//
// A plain epoll loop in C++ so that the sink's own cost stays small next to the checker's even
// under qemu's software emulation, where a Python accept loop would take a core of its own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_stop(int) { stop_requested = 1; }

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double thread_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

[[noreturn]] void fail(const char* what) {
  std::perror(what);
  std::exit(1);
}

sockaddr_in ipv4(const char* address, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
    std::fprintf(stderr, "check_sink: not an IPv4 address: %s\n", address);
    std::exit(2);
  }
  return sa;
}

int listen_mode(int port, const char* out_path) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) fail("socket");
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in any = ipv4("0.0.0.0", port);
  if (bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) fail("bind");
  if (listen(listener, 65535) != 0) fail("listen");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) != 0) fail("epoll_ctl");

  struct sigaction sa{};
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::printf("listening on port %d\n", port);
  std::fflush(stdout);

  std::vector<std::pair<uint32_t, double>> accepted;
  accepted.reserve(1 << 20);
  while (!stop_requested) {
    epoll_event ready{};
    int n = epoll_wait(ep, &ready, 1, 200);
    if (n <= 0) continue;  // timeout or EINTR (the stop signal): look at the flag again
    for (;;) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      int c = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (c < 0) break;  // EAGAIN: drained
      double now = monotonic_seconds();
      sockaddr_in local{};
      len = sizeof local;
      getsockname(c, reinterpret_cast<sockaddr*>(&local), &len);
      accepted.emplace_back(local.sin_addr.s_addr, now);
      close(c);
    }
  }
  FILE* out = std::fopen(out_path, "w");
  if (out == nullptr) fail(out_path);
  char text[INET_ADDRSTRLEN];
  for (const auto& [address, at] : accepted) {
    in_addr a{address};
    inet_ntop(AF_INET, &a, text, sizeof text);
    std::fprintf(out, "%s %.6f\n", text, at);
  }
  std::fclose(out);
  return 0;
}

int connect_mode(int port, double seconds, const std::vector<std::string>& addresses) {
  std::vector<sockaddr_in> targets;
  for (const auto& a : addresses) targets.push_back(ipv4(a.c_str(), port));
  long connects = 0, failures = 0;
  double cpu0 = thread_cpu_seconds(), t0 = monotonic_seconds(), t = t0;
  for (std::size_t i = 0; t - t0 < seconds; i = (i + 1) % targets.size()) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail("socket");
    // RST on close instead of TIME_WAIT: the loop would otherwise run out of ephemeral ports
    linger lg{1, 0};
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (connect(s, reinterpret_cast<const sockaddr*>(&targets[i]), sizeof targets[i]) == 0)
      ++connects;
    else
      ++failures;
    close(s);
    if ((connects + failures) % 64 == 0) t = monotonic_seconds();
  }
  double wall = monotonic_seconds() - t0, cpu = thread_cpu_seconds() - cpu0;
  std::printf("{\"connects\": %ld, \"failures\": %ld, \"seconds\": %.3f, \"per_second\": %.1f, "
              "\"cpu_us_per_connect\": %.1f}\n",
              connects, failures, wall, static_cast<double>(connects) / wall,
              connects ? cpu / static_cast<double>(connects) * 1e6 : 0.0);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "listen" && argc == 4) return listen_mode(std::atoi(argv[2]), argv[3]);
  if (mode == "connect" && argc >= 5)
    return connect_mode(std::atoi(argv[2]), std::atof(argv[3]), std::vector<std::string>(argv + 4, argv + argc));
  std::fprintf(stderr, "usage: check_sink listen PORT OUT_FILE | check_sink connect PORT SECONDS ADDRESS...\n");
  return 2;
}
