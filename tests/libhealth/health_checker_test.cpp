// DOC: The HealthChecker service on a real loop against loopback servers: transitions reach
// on_change once, with their reason; shared probes; reload keeps state; saturation is reported;
// destruction kills running scripts.
#include <catch2/catch.hpp>

#include <fstream>

#include "common/log.hpp"
#include "libhealth/probes/health_checker.hpp"
#include "loopback_servers.hpp"

using namespace std::chrono_literals;
using namespace vigil_test;
using health::CheckDefinition;
using health::HealthChecker;
using health::HealthCheckerOptions;
using health::RealServerChange;
using health::RealServerDefinition;
using health::RealServerId;

namespace {

CheckDefinition fast_tcp(std::uint16_t port, bool alpha = false, std::chrono::milliseconds delay_loop = 50ms) {
  CheckDefinition c;
  c.probe = tcp_spec("127.0.0.1", port, 200ms);
  c.timing.delay_loop = delay_loop;
  c.timing.delay_before_retry = 20ms;
  c.timing.retry = 1;
  c.timing.warmup = 0ms;
  c.timing.alpha = alpha;
  return c;
}

RealServerDefinition server(const std::string& vs, std::uint16_t port, std::vector<CheckDefinition> checks) {
  return RealServerDefinition{RealServerId{vs, *vigil::IpAddress::parse("127.0.0.1"), port}, 10, std::move(checks)};
}

std::size_t count_lines(const vigil::log::MemoryLogger& log, const std::string& text) {
  std::size_t n = 0;
  for (const auto& line : log.lines()) {
    if (line.message.find(text) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("a real server goes down after its retries and comes back with one success", "[service]") {
  asio::io_context io;
  vigil::log::MemoryLogger log;
  std::vector<RealServerChange> changes;
  auto listener = std::make_unique<TcpServer>(io);
  const std::uint16_t port = listener->port();
  HealthChecker checker(io, log, [&](const RealServerChange& c) { changes.push_back(c); });
  const auto defs = std::vector{server("vs:80/tcp", port, {fast_tcp(port)})};
  (void)checker.update(defs);
  const RealServerId id = defs[0].id;
  REQUIRE(checker.status(id)->up);
  REQUIRE(run_until(io, [&] { return checker.counters().results >= 2; }));
  CHECK(changes.empty());

  listener.reset();
  REQUIRE(run_until(io, [&] { return !changes.empty(); }));
  CHECK_FALSE(changes[0].status.up);
  CHECK(changes[0].up_changed);
  CHECK(changes[0].status.reason == "TCP_CHECK 127.0.0.1:" + std::to_string(port) + ": connection refused, 1 of 1 retries");
  const std::string transition = "[TCP_CHECK 127.0.0.1:" + std::to_string(port) + "] up -> down (connection refused, 1 of 1 retries)";
  CHECK(count_lines(log, transition) == 1);

  listener = std::make_unique<TcpServer>(io, "127.0.0.1", port);
  REQUIRE(run_until(io, [&] { return changes.size() >= 2; }));
  CHECK(changes[1].status.up);
  CHECK(changes[1].status.weight == 10);
  CHECK(changes.size() == 2);  // each transition once
  CHECK(count_lines(log, transition) == 1);
}

TEST_CASE("one probe serves every virtual server that shares the real server", "[service]") {
  asio::io_context io;
  vigil::log::MemoryLogger log;
  std::vector<RealServerChange> changes;
  TcpServer listener(io);
  HealthChecker checker(io, log, [&](const RealServerChange& c) { changes.push_back(c); });
  const auto check = fast_tcp(listener.port(), true, 30s);  // one round within the test
  (void)checker.update({server("vs1:80/tcp", listener.port(), {check}), server("vs2:80/tcp", listener.port(), {check}),
                        server("vs3:80/tcp", listener.port(), {check})});
  CHECK(checker.counters().probes == 1);
  REQUIRE(run_until(io, [&] { return changes.size() == 3 && listener.accepted() >= 1; }));
  for (const auto& c : changes) CHECK(c.status.up);
  CHECK(listener.accepted() == 1);  // one connection brought all three up
  CHECK(count_lines(log, "shared by 3 real servers") == 1);
}

TEST_CASE("reload keeps the state of unchanged checks and re-judges servers that lost a check", "[service]") {
  asio::io_context io;
  vigil::log::MemoryLogger log;
  std::vector<RealServerChange> changes;
  TcpServer listener(io);
  const std::uint16_t closed = closed_tcp_port(io);
  HealthChecker checker(io, log, [&](const RealServerChange& c) { changes.push_back(c); });
  const auto both = std::vector{server("vs:80/tcp", listener.port(), {fast_tcp(listener.port()), fast_tcp(closed)})};
  (void)checker.update(both);
  REQUIRE(run_until(io, [&] { return !changes.empty(); }));
  CHECK_FALSE(changes.back().status.up);

  auto summary = checker.update(both);  // same configuration: nothing moves
  CHECK(summary.probes_kept == 2);
  CHECK(summary.changes.empty());
  CHECK_FALSE(checker.status(both[0].id)->up);

  summary = checker.update({server("vs:80/tcp", listener.port(), {fast_tcp(listener.port())})});
  CHECK(summary.probes_removed == 1);
  REQUIRE(changes.size() == 2);
  CHECK(changes[1].status.up);
  CHECK(changes[1].status.reason == "configuration reloaded");
}

TEST_CASE("past saturation every check still runs - the service says so", "[service]") {
  asio::io_context io;
  vigil::log::MemoryLogger log;
  TcpServer listener(io);
  HealthCheckerOptions options;
  options.scheduler.max_in_flight = 4;
  options.scheduler.late_after = 5ms;
  options.max_starts_per_turn = 2;
  options.saturation_window = 100ms;
  HealthChecker checker(io, log, {}, options);
  std::vector<RealServerDefinition> defs;
  for (std::uint16_t i = 0; i < 200; ++i) {
    auto check = fast_tcp(listener.port());
    check.timing.delay_loop = 10ms;
    check.probe.target.bind_ip = vigil::IpAddress::from_v4_u32(0x7f000000u + 2u + i);  // 200 distinct probes
    defs.push_back(server("vs" + std::to_string(i), listener.port(), {check}));
  }
  (void)checker.update(defs);
  REQUIRE(checker.counters().probes == 200);
  REQUIRE(run_until(io, [&] { return checker.counters().saturated; }));
  CHECK(checker.counters().scheduler.late > 0);
  CHECK(count_lines(log, "health checks saturated") >= 1);
  // Fairness: each of the 200 probes (one per source address) runs about as often as any other.
  REQUIRE(run_until(io, [&] { return listener.accepted() >= 2000; }));
  REQUIRE(listener.by_source().size() == 200);
  std::size_t fewest = SIZE_MAX, most = 0;
  for (const auto& [source, n] : listener.by_source()) {
    fewest = std::min(fewest, n);
    most = std::max(most, n);
  }
  INFO("rounds per probe: " << fewest << ".." << most);
  CHECK(most - fewest <= 3);
  for (const auto& [id, status] : checker.snapshot()) CHECK(status.up);
}

TEST_CASE("destroying the checker kills a running script", "[service]") {
  asio::io_context io;
  vigil::log::MemoryLogger log;
  const std::string pid_file = "/tmp/vigil-health-test-" + std::to_string(::getpid()) + ".pid";
  std::remove(pid_file.c_str());
  {
    HealthChecker checker(io, log, {});
    CheckDefinition misc;
    misc.probe.timeout = 30s;
    misc.probe.spec = health::MiscSpec{"echo $$ > " + pid_file + "; exec sleep 30", std::nullopt, std::nullopt, false};
    misc.timing.warmup = 0ms;
    (void)checker.update({server("vs:80/tcp", 80, {misc})});
    REQUIRE(run_until(io, [&] {
      std::ifstream in(pid_file);
      std::string pid;
      return static_cast<bool>(in >> pid) && checker.counters().scheduler.in_flight == 1;
    }));
  }
  std::ifstream in(pid_file);
  std::string pid;
  REQUIRE(in >> pid);
  std::remove(pid_file.c_str());
  // The probe is cancelled: SIGKILL to its group, then reaped once the loop sees the pidfd.
  REQUIRE(run_until(io, [&] { return !std::ifstream("/proc/" + pid + "/stat").good(); }, 3000ms));
}
