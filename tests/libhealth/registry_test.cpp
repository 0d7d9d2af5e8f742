// DOC: Registry: shared probes across virtual servers, real-server aggregation, dynamic weights
// and reload (update) semantics — all without sockets or a clock.
#include <catch2/catch.hpp>

#include "libhealth/core/registry.hpp"

using namespace std::chrono_literals;
using health::CheckDefinition;
using health::Health;
using health::ProbeId;
using health::ProbeResult;
using health::RealServerDefinition;
using health::RealServerId;
using health::Registry;
using health::TimePoint;

namespace {
const TimePoint t0{};
double zero() { return 0.0; }

CheckDefinition tcp_check(std::uint16_t port, std::uint32_t retry = 0, bool alpha = false) {
  CheckDefinition c;
  c.probe.target.ip = *vigil::IpAddress::parse("10.0.0.1");
  c.probe.target.port = port;
  c.probe.spec = health::TcpSpec{};
  c.timing.delay_loop = 10s;
  c.timing.delay_before_retry = 1s;
  c.timing.retry = retry;
  c.timing.alpha = alpha;
  return c;
}

CheckDefinition misc_check(bool dynamic) {
  CheckDefinition c;
  c.probe.spec = health::MiscSpec{"/usr/local/bin/check", std::nullopt, std::nullopt, dynamic};
  c.timing.delay_loop = 10s;
  c.timing.retry = 0;
  return c;
}

RealServerDefinition server(const std::string& vs, std::vector<CheckDefinition> checks, std::uint32_t weight = 5) {
  return RealServerDefinition{RealServerId{vs, *vigil::IpAddress::parse("10.0.0.1"), 80}, weight, std::move(checks)};
}

ProbeId start_one(Registry& r, TimePoint now) {
  const auto id = r.pop_due(now);
  REQUIRE(id);
  return *id;
}
}  // namespace

TEST_CASE("identical checks from several virtual servers share one probe and one result", "[registry]") {
  Registry r;
  const auto summary =
      r.update({server("vs1:80/tcp", {tcp_check(80)}), server("vs2:80/tcp", {tcp_check(80)})}, t0, zero);
  CHECK(summary.checks == 2);
  CHECK(r.probe_count() == 1);
  CHECK(r.server_count() == 2);

  const ProbeId id = start_one(r, t0);
  CHECK_FALSE(r.pop_due(t0));  // probed once, not once per virtual server
  const auto out = r.on_result(id, ProbeResult::failure("connection refused"), t0);
  REQUIRE(out.checker);
  CHECK(out.checker->users == 2);
  REQUIRE(out.servers.size() == 2);
  for (const auto& change : out.servers) {
    CHECK_FALSE(change.status.up);
    CHECK(change.up_changed);
    CHECK(change.status.reason == "TCP_CHECK 10.0.0.1:80: connection refused");
  }
}

TEST_CASE("checks that differ in timing or target are probed separately", "[registry]") {
  Registry r;
  auto slow = tcp_check(80);
  slow.timing.delay_loop = 30s;
  (void)r.update({server("vs1", {tcp_check(80)}), server("vs2", {slow}), server("vs3", {tcp_check(81)})}, t0, zero);
  CHECK(r.probe_count() == 3);
}

TEST_CASE("a real server is up only while all its checkers are up - none means up", "[registry]") {
  Registry r;
  (void)r.update({server("vs", {tcp_check(80), tcp_check(81)}), server("bare", {})}, t0, zero);
  CHECK(r.status(RealServerId{"bare", *vigil::IpAddress::parse("10.0.0.1"), 80})->up);
  const RealServerId id{"vs", *vigil::IpAddress::parse("10.0.0.1"), 80};
  CHECK(r.status(id)->up);

  const ProbeId a = start_one(r, t0);
  const ProbeId b = start_one(r, t0);
  auto out = r.on_result(a, ProbeResult::failure("refused"), t0);
  REQUIRE(out.servers.size() == 1);
  CHECK_FALSE(r.status(id)->up);
  out = r.on_result(b, ProbeResult::failure("refused"), t0);
  CHECK(out.checker);
  CHECK(out.servers.empty());  // already down: reported once

  (void)r.on_result(start_one(r, t0 + 10s), ProbeResult::success("ok"), t0 + 10s);
  CHECK_FALSE(r.status(id)->up);  // one of two back
  out = r.on_result(start_one(r, t0 + 10s), ProbeResult::success("ok"), t0 + 10s);
  REQUIRE(out.servers.size() == 1);
  CHECK(out.servers[0].status.up);
  CHECK(out.servers[0].status.weight == 5);
}

TEST_CASE("alpha real servers start down and are not reported as changes when added", "[registry]") {
  Registry r;
  const auto summary = r.update({server("vs", {tcp_check(80, 0, true)})}, t0, zero);
  CHECK(summary.changes.empty());
  const auto status = r.status(RealServerId{"vs", *vigil::IpAddress::parse("10.0.0.1"), 80});
  REQUIRE(status);
  CHECK_FALSE(status->up);
  CHECK(status->reason == "initial state: TCP_CHECK 10.0.0.1:80 is down");
}

TEST_CASE("a new real server whose checkers start up says which checkers it has", "[registry]") {
  // Not "no checker": nothing changed at the start, but the reason must still name the checks.
  Registry r;
  CheckDefinition second = tcp_check(81);
  (void)r.update({server("vs", {tcp_check(80)}), server("vs2", {tcp_check(80), second})}, t0, zero);
  const auto one = r.status(RealServerId{"vs", *vigil::IpAddress::parse("10.0.0.1"), 80});
  REQUIRE(one);
  CHECK(one->up);
  CHECK(one->reason == "TCP_CHECK 10.0.0.1:80: up since the start (no alpha)");
  const auto two = r.status(RealServerId{"vs2", *vigil::IpAddress::parse("10.0.0.1"), 80});
  REQUIRE(two);
  CHECK(two->reason == "TCP_CHECK 10.0.0.1:80, TCP_CHECK 10.0.0.1:81: up since the start (no alpha)");

  // A reload that keeps the server keeps its explanation; a failure replaces it.
  (void)r.update({server("vs", {tcp_check(80)})}, t0, zero);
  const RealServerId id{"vs", *vigil::IpAddress::parse("10.0.0.1"), 80};
  CHECK(r.status(id)->reason == "TCP_CHECK 10.0.0.1:80: up since the start (no alpha)");
  const auto out = r.on_result(start_one(r, t0 + 10s), ProbeResult::failure("connection refused"), t0 + 10s);
  REQUIRE(out.servers.size() == 1);
  CHECK_FALSE(r.status(id)->up);
  CHECK(r.status(id)->reason.find("connection refused") != std::string::npos);
}

TEST_CASE("misc_dynamic weights pass through to the real server", "[registry]") {
  Registry r;
  (void)r.update({server("vs", {misc_check(true)}, 7)}, t0, zero);
  ProbeResult weighted = ProbeResult::success("script exited 12: misc_dynamic weight 10");
  weighted.dynamic_weight = 10;
  auto out = r.on_result(start_one(r, t0), weighted, t0);
  REQUIRE(out.servers.size() == 1);
  CHECK(out.servers[0].status.up);
  CHECK(out.servers[0].status.weight == 10);
  CHECK_FALSE(out.servers[0].up_changed);
  // exit 0 keeps the dynamic weight (keepalived sets it only on 2..255)
  out = r.on_result(start_one(r, t0 + 10s), ProbeResult::success("script exited 0"), t0 + 10s);
  CHECK(out.servers.empty());
  CHECK(r.status(RealServerId{"vs", *vigil::IpAddress::parse("10.0.0.1"), 80})->weight == 10);
}

TEST_CASE("update keeps the state and schedule of unchanged checks", "[registry]") {
  Registry r;
  const auto defs = std::vector{server("vs", {tcp_check(80)})};
  (void)r.update(defs, t0, zero);
  const ProbeId id = start_one(r, t0);
  (void)r.on_result(id, ProbeResult::failure("refused"), t0);
  const auto summary = r.update(defs, t0 + 1s, zero);
  CHECK(summary.probes_kept == 1);
  CHECK(summary.probes_added == 0);
  CHECK(summary.changes.empty());
  CHECK(r.check_state(id) == Health::down);  // failed checkers stay failed across a reload
  CHECK(r.next_due() == t0 + 10s);           // and keep their schedule
}

TEST_CASE("update carries the state when only the timing changed", "[registry]") {
  Registry r;
  (void)r.update({server("vs", {tcp_check(80)})}, t0, zero);
  (void)r.on_result(start_one(r, t0), ProbeResult::failure("refused"), t0);
  auto retimed = tcp_check(80);
  retimed.timing.delay_loop = 3s;
  const auto summary = r.update({server("vs", {retimed})}, t0 + 1s, zero);
  CHECK(summary.probes_removed == 1);
  CHECK(summary.probes_added == 1);
  CHECK(summary.states_carried == 1);
  const auto id = r.find(retimed.key());
  REQUIRE(id);
  CHECK(r.check_state(*id) == Health::down);
}

TEST_CASE("update removes checks, ignores their late results and reports affected servers", "[registry]") {
  Registry r;
  (void)r.update({server("vs", {tcp_check(80), tcp_check(81)})}, t0, zero);
  const ProbeId a = start_one(r, t0);
  (void)r.on_result(a, ProbeResult::failure("refused"), t0);
  const ProbeId b = start_one(r, t0);  // in flight during the reload
  const auto removed_key = *r.probe(a);
  std::vector<CheckDefinition> keep;
  for (auto port : {80, 81}) {
    if (tcp_check(static_cast<std::uint16_t>(port)).probe != removed_key) keep.push_back(tcp_check(static_cast<std::uint16_t>(port)));
  }
  const auto summary = r.update({server("vs", keep)}, t0 + 1s, zero);
  CHECK(summary.probes_removed == 1);
  CHECK(summary.removed == std::vector<ProbeId>{a});
  REQUIRE(summary.changes.size() == 1);  // the failing checker is gone: the server is up again
  CHECK(summary.changes[0].status.up);
  CHECK(summary.changes[0].status.reason == "configuration reloaded");
  CHECK(r.on_result(b, ProbeResult::success("ok"), t0 + 2s).known);
  CHECK_FALSE(r.on_result(a, ProbeResult::success("ok"), t0 + 2s).known);
}

TEST_CASE("new checks are jittered by the random input", "[registry]") {
  Registry r;
  double draws[] = {0.5, 0.1};
  int n = 0;
  (void)r.update({server("vs", {tcp_check(80), tcp_check(81)})}, t0, [&] { return draws[n++]; });
  CHECK(r.next_due() == t0 + 1s);
  CHECK(r.pop_due(t0 + 1s));
  CHECK_FALSE(r.pop_due(t0 + 1s));
  CHECK(r.pop_due(t0 + 5s));
}
