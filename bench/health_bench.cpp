// DOC: health_bench — N TCP checks per delay_loop against loopback listeners, on one loop that
// also runs a stand-in for VRRP: a timer every 10 ms whose lateness is what an advert would see.
// Prints checks/s, loop-thread CPU µs per check (split into user and system time), probe-start
// lateness (p50/p99 from the scheduler's histogram) and advert-timer lateness (p50/p99/max).
//
//   health_bench [--checks N] [--delay-loop-ms D] [--seconds S] [--max-starts-per-turn K]
//                [--max-loop-share-pct P] [--blackhole] [--timeout-ms T] [--start-gather-us G]
//
// Run it under `chrt -f 10` on a shared machine: other processes' load otherwise dominates the
// timer lateness it reports (the daemon itself can run with vrrp_rt_priority).
//
// Each check binds a distinct 127.x.y.z source, so checks are distinct probes (not shared) and
// every source address has its own ephemeral-port space. The listener accepts and closes on its
// own thread, so its work is not counted against the checker's loop.
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "libhealth/probes/health_checker.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct Args {
  std::size_t checks = 10000;
  long delay_loop_ms = 1000;
  long seconds = 20;
  std::size_t max_starts_per_turn = 8;
  double max_loop_share = 0.6;
  bool blackhole = false;  // the listener never accepts: every probe waits for its deadline
  long timeout_ms = 2000;
  long start_gather_us = -1;  // the service's default
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--blackhole") a.blackhole = true;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--blackhole") {
      --i;  // a flag without a value
      continue;
    }
    const long value = std::atol(argv[i + 1]);
    if (key == "--checks") a.checks = static_cast<std::size_t>(value);
    if (key == "--delay-loop-ms") a.delay_loop_ms = value;
    if (key == "--seconds") a.seconds = value;
    if (key == "--max-starts-per-turn") a.max_starts_per_turn = static_cast<std::size_t>(value);
    if (key == "--max-loop-share-pct") a.max_loop_share = static_cast<double>(value) / 100.0;
    if (key == "--timeout-ms") a.timeout_ms = value;
    if (key == "--start-gather-us") a.start_gather_us = value;
  }
  return a;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// The loop thread's user and system time (RUSAGE_THREAD, tick-sampled: split the total by it).
std::pair<double, double> thread_user_sys_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_THREAD, &ru);
  const auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return {secs(ru.ru_utime), secs(ru.ru_stime)};
}

/// Blocking accept-and-close on its own thread; or, as a blackhole, a full accept queue that
/// makes every further SYN disappear (connects time out).
class Listener {
 public:
  explicit Listener(bool blackhole) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 || ::listen(fd_, blackhole ? 0 : 4096) != 0) {
      std::perror("listener");
      std::exit(1);
    }
    socklen_t len = sizeof sin;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
    if (blackhole) {
      filler_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      (void)::connect(filler_, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
      return;
    }
    thread_ = std::thread([this] {
      // If the bench runs under chrt, only the loop under test keeps the real-time policy.
      sched_param normal{};
      (void)pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal);
      while (!stop_) {
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) ::close(c);
      }
    });
  }
  ~Listener() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (filler_ >= 0) ::close(filler_);
    ::close(fd_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  int filler_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double histogram_percentile(const health::SchedulerStats& s, double p) {
  std::uint64_t total = 0;
  for (const auto n : s.lateness_histogram) total += n;
  if (total == 0) return 0;
  const auto want = static_cast<std::uint64_t>(p * static_cast<double>(total));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < s.lateness_histogram.size(); ++i) {
    seen += s.lateness_histogram[i];
    if (seen > want) {
      if (i < health::k_lateness_bounds.size()) return static_cast<double>(health::k_lateness_bounds[i].count()) / 1000.0;
      return std::numeric_limits<double>::infinity();  // beyond the last bound (10 s)
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }

  Listener listener(args.blackhole);
  asio::io_context io;
  auto log = vigil::log::make_console_logger();
  log->set_level(vigil::log::Level::warning);

  health::HealthCheckerOptions options;
  options.max_starts_per_turn = args.max_starts_per_turn;
  options.max_loop_share = args.max_loop_share;
  options.seed = 1;
  if (args.start_gather_us >= 0) options.start_gather = std::chrono::microseconds(args.start_gather_us);
  health::HealthChecker checker(io, *log, {}, options);

  std::vector<health::RealServerDefinition> defs;
  defs.reserve(args.checks);
  for (std::size_t i = 0; i < args.checks; ++i) {
    health::CheckDefinition check;
    check.probe.target.ip = *vigil::IpAddress::parse("127.0.0.1");
    check.probe.target.port = listener.port();
    check.probe.target.bind_ip = vigil::IpAddress::from_v4_u32(0x7f000000u + 0x10000u + static_cast<std::uint32_t>(i));
    check.probe.timeout = std::chrono::milliseconds(args.timeout_ms);
    check.probe.spec = health::TcpSpec{};
    check.timing.delay_loop = std::chrono::milliseconds(args.delay_loop_ms);
    check.timing.retry = 1;
    defs.push_back(health::RealServerDefinition{
        health::RealServerId{"bench", vigil::IpAddress::from_v4_u32(0x0a000000u + static_cast<std::uint32_t>(i)), 80},
        1,
        {check}});
  }
  (void)checker.update(defs);

  // The VRRP stand-in: a 10 ms periodic timer; record how late each expiry runs.
  std::vector<double> advert_late_ms;
  advert_late_ms.reserve(static_cast<std::size_t>(args.seconds) * 100 + 100);
  asio::steady_timer advert(io);
  auto due = std::chrono::steady_clock::now() + 10ms;
  std::function<void()> tick = [&] {
    advert.expires_at(due);
    advert.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      const auto late = std::chrono::steady_clock::now() - due;
      advert_late_ms.push_back(std::chrono::duration<double, std::milli>(late).count());
      due += 10ms;
      tick();
    });
  };
  tick();

  // Skip the first delay_loop (the jittered ramp-up), then measure.
  const auto warm = std::chrono::milliseconds(args.delay_loop_ms);
  io.run_for(warm);
  advert_late_ms.clear();
  const auto before = checker.counters();
  const double cpu_before = thread_cpu_seconds();
  const auto [user_before, sys_before] = thread_user_sys_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  io.run_for(std::chrono::seconds(args.seconds));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = thread_cpu_seconds() - cpu_before;
  const auto [user_after, sys_after] = thread_user_sys_seconds();
  const double user = user_after - user_before;
  const double sys = sys_after - sys_before;
  const auto after = checker.counters();

  health::SchedulerStats window = after.scheduler;
  for (std::size_t i = 0; i < window.lateness_histogram.size(); ++i) {
    window.lateness_histogram[i] -= before.scheduler.lateness_histogram[i];
  }
  const auto results = after.results - before.results;
  std::sort(advert_late_ms.begin(), advert_late_ms.end());
  const auto pct = [&](double p) {
    if (advert_late_ms.empty()) return 0.0;
    return advert_late_ms[std::min(advert_late_ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(advert_late_ms.size())))];
  };

  std::printf("checks configured     %zu (delay_loop %ld ms, max %zu starts/turn, max %zu in flight%s)\n",
              args.checks, args.delay_loop_ms, args.max_starts_per_turn, checker.max_in_flight(),
              args.blackhole ? ", blackholed target" : "");
  std::printf("checks/s              %.0f (wanted %.0f)\n", static_cast<double>(results) / wall,
              static_cast<double>(args.checks) * 1000.0 / static_cast<double>(args.delay_loop_ms));
  std::printf("failures              %llu\n", static_cast<unsigned long long>(after.failures - before.failures));
  const double per_check_us = cpu * 1e6 / static_cast<double>(std::max<std::uint64_t>(results, 1));
  const double user_share = user + sys > 0 ? user / (user + sys) : 0.0;
  std::printf("loop CPU per check    %.1f µs = %.1f user + %.1f sys (loop thread %.0f%% busy)\n", per_check_us,
              per_check_us * user_share, per_check_us * (1.0 - user_share), 100.0 * cpu / wall);
  std::printf("loop budget           %.0f%% of the loop thread at most; starts held in %llu turns\n",
              100.0 * options.max_loop_share,
              static_cast<unsigned long long>(after.budget_holds - before.budget_holds));
  std::printf("probe start lateness  p50 <= %.2f ms, p99 <= %.2f ms, late rounds %llu, saturated %s\n",
              histogram_percentile(window, 0.50), histogram_percentile(window, 0.99),
              static_cast<unsigned long long>(after.scheduler.late - before.scheduler.late), after.saturated ? "yes" : "no");
  std::printf("advert timer lateness p50 %.3f ms, p99 %.3f ms, max %.3f ms (%zu ticks)\n", pct(0.50), pct(0.99),
              advert_late_ms.empty() ? 0.0 : advert_late_ms.back(), advert_late_ms.size());
  return 0;
}
