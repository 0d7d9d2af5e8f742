// The reconcile loop against the in-memory FakeKernel: rounds run on the worker thread and
// report back to an io_context driven here, with bounded waits.
#include <catch2/catch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/log.hpp"
#include "conf/parse_cache.hpp"
#include "conf/parser.hpp"
#include "conf/source_provider.hpp"
#include "libipvs/fake_kernel.hpp"
#include "libipvs/service/reconciler.hpp"

using namespace std::chrono_literals;

namespace {

std::shared_ptr<const conf::Config> config_of(const std::string& text) {
  auto r = conf::parse_text(text);
  REQUIRE_FALSE(r.diagnostics.has_errors());
  return std::make_shared<const conf::Config>(r.config);
}

const std::string k_two =
    "virtual_server 10.0.0.10 80 {\n lvs_sched rr\n real_server 10.0.0.2 80 { weight 2 }\n"
    " real_server 10.0.0.3 80 { weight 1 }\n}\n";

// A FakeKernel shared with the test (the reconciler owns the pointer it is given).
struct SharedKernel final : ipvs::Kernel {
  explicit SharedKernel(std::shared_ptr<ipvs::FakeKernel> k) : kernel(std::move(k)) {}
  vigil::Result<ipvs::Table> dump() override {
    std::lock_guard lock(mutex);
    return kernel->dump();
  }
  void set_counters(ipvs::Counters counters) override {
    std::lock_guard lock(mutex);
    kernel->set_counters(counters);
  }
  ipvs::ApplyReport apply(const ipvs::Plan& plan) override {
    std::lock_guard lock(mutex);
    return kernel->apply(plan);
  }
  vigil::Result<void> control(const ipvs::Request& r) override {
    std::lock_guard lock(mutex);
    return kernel->control(r);
  }
  std::shared_ptr<ipvs::FakeKernel> kernel;
  static inline std::mutex mutex;
};

struct Fixture {
  boost::asio::io_context io;
  // The daemon's loop always has work (signals); without a guard run_one_for would see a
  // stopped context once the timers are cancelled and never pick up the worker's reports.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard = boost::asio::make_work_guard(io);
  vigil::log::MemoryLogger log;
  std::shared_ptr<ipvs::FakeKernel> kernel = std::make_shared<ipvs::FakeKernel>();
  std::vector<ipvs::RoundReport> reports;
  ipvs::Reconciler reconciler{io, log,
                              [k = kernel]() -> vigil::Result<std::unique_ptr<ipvs::Kernel>> {
                                return std::unique_ptr<ipvs::Kernel>(std::make_unique<SharedKernel>(k));
                              },
                              ipvs::ReconcilerOptions{100ms, 50ms, 300s}};

  void start(const std::string& text) {
    REQUIRE(reconciler.start(config_of(text), [this](const ipvs::RoundReport& r) { reports.push_back(r); }));
  }
  /// Runs the loop until `pred` holds (checked after each handler), at most `limit`.
  template <typename Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.run_one_for(10ms);
    }
    return true;
  }
  /// The kernel has `n` dests for the VIP and the loop has seen the round that did it.
  bool programmed(const char* vip, std::size_t n) {
    return run_until([&] {
      const auto t = reconciler.table();
      if (!t || dests_of(vip) != n) return false;
      const auto* e = t->find(ipvs::ServiceKey(ipvs::Protocol::tcp, *vigil::IpAddress::parse(vip), 80));
      return e && e->dests.size() == n;
    });
  }
  ipvs::Table table() {
    std::lock_guard lock(SharedKernel::mutex);
    return kernel->table();
  }
  std::size_t dests_of(const char* vip) {
    const auto t = table();
    const auto* e = t.find(ipvs::ServiceKey(ipvs::Protocol::tcp, *vigil::IpAddress::parse(vip), 80));
    return e ? e->dests.size() : 0;
  }
};

}  // namespace

TEST_CASE("start programs the table and adopts what is already there", "[reconciler]") {
  Fixture f;
  f.start(k_two);
  // The kernel changes on the worker before the report reaches the loop: wait for both.
  REQUIRE(f.run_until([&] { return f.dests_of("10.0.0.10") == 2 && !f.reports.empty(); }));
  CHECK(f.reports.front().applied_total == 3);

  // A second reconciler over the same kernel (a restart) changes nothing.
  Fixture again;
  again.kernel = f.kernel;
  ipvs::Reconciler second{again.io, again.log,
                          [k = f.kernel]() -> vigil::Result<std::unique_ptr<ipvs::Kernel>> {
                            return std::unique_ptr<ipvs::Kernel>(std::make_unique<SharedKernel>(k));
                          }};
  std::vector<ipvs::RoundReport> reports;
  REQUIRE(second.start(config_of(k_two), [&](const ipvs::RoundReport& r) { reports.push_back(r); }));
  REQUIRE(again.run_until([&] { return !reports.empty(); }));
  CHECK(reports.front().full);
  CHECK(reports.front().applied_total == 0);
}

TEST_CASE("health changes remove and restore a real server without a dump", "[reconciler]") {
  Fixture f;
  f.start(k_two);
  REQUIRE(f.programmed("10.0.0.10", 2));
  const ipvs::RealServerId web2{"10.0.0.10:80/tcp", *vigil::IpAddress::parse("10.0.0.3"), 80};
  f.reconciler.set_health(web2, {false, std::nullopt, false});
  REQUIRE(f.run_until([&] { return f.dests_of("10.0.0.10") == 1; }));
  f.reconciler.set_health(web2, {true, std::nullopt, false});
  REQUIRE(f.run_until([&] { return f.dests_of("10.0.0.10") == 2; }));
}

TEST_CASE("the periodic round repairs drift and says so; foreign services stay", "[reconciler]") {
  Fixture f;
  f.start(k_two);
  REQUIRE(f.programmed("10.0.0.10", 2));
  {
    std::lock_guard lock(SharedKernel::mutex);
    f.kernel->table().services.clear();  // ipvsadm -C
    f.kernel->table().put(ipvs::Service::make(ipvs::ServiceKey(ipvs::Protocol::udp, *vigil::IpAddress::parse("10.9.9.9"), 53), "rr"));
  }
  const auto before = f.reports.size();
  REQUIRE(f.run_until([&] { return f.dests_of("10.0.0.10") == 2; }));
  REQUIRE(f.run_until([&] { return f.reports.size() > before && f.reconciler.stats().drift_repairs >= 3; }));
  CHECK(f.table().services.size() == 2);  // ours restored, the foreign one untouched
}

TEST_CASE("dumps read the kernel's counters only when the metrics endpoint is on", "[reconciler]") {
  const auto counters_after_a_full_round = [](const std::string& text) {
    Fixture f;
    f.start(text);
    REQUIRE(f.programmed("10.0.0.10", 2));
    const auto before = f.reports.size();
    REQUIRE(f.run_until([&] {
      return f.reports.size() > before && std::any_of(f.reports.begin() + static_cast<std::ptrdiff_t>(before),
                                                      f.reports.end(), [](const auto& r) { return r.full; });
    }));
    const auto t = f.reconciler.table();
    REQUIRE(t);
    const auto* e = t->find(ipvs::ServiceKey(ipvs::Protocol::tcp, *vigil::IpAddress::parse("10.0.0.10"), 80));
    REQUIRE(e);
    REQUIRE(e->dests.size() == 2);
    std::lock_guard lock(SharedKernel::mutex);
    return std::pair{f.kernel->counters(), e->service.stats.has_value() && e->dests.begin()->second.stats.has_value()};
  };
  SECTION("no metrics_listen: skipped") {
    CHECK(counters_after_a_full_round(k_two) == std::pair{ipvs::Counters::skip, false});
  }
  SECTION("metrics_listen: read") {
    CHECK(counters_after_a_full_round("global_defs {\n vigil_metrics_listen 127.0.0.1:9650\n}\n" + k_two) ==
          std::pair{ipvs::Counters::read, true});
  }
}

TEST_CASE("reload drains a removed real server before deleting it", "[reconciler]") {
  Fixture f;
  f.start(k_two);
  REQUIRE(f.programmed("10.0.0.10", 2));
  {
    std::lock_guard lock(SharedKernel::mutex);  // an established connection on 10.0.0.3
    auto& e = f.kernel->table().services.begin()->second;
    for (auto& [k, d] : e.dests)
      if (k.address.to_string() == "10.0.0.3") d.active_conns = 1;
  }
  const std::string one = "virtual_server 10.0.0.10 80 {\n lvs_sched rr\n real_server 10.0.0.2 80 { weight 2 }\n}\n";
  const auto plan = f.reconciler.plan_reload(*config_of(one));
  CAPTURE(plan);
  REQUIRE(plan.size() == 1);
  CHECK(plan[0] == "~ dest 10.0.0.3:80 in TCP 10.0.0.10:80 weight 1 -> 0");
  // reload() says the same, worked out after handing the worker its round
  CHECK(f.reconciler.reload(config_of(one)) == plan);
  auto weight_of_web2 = [&]() -> long {
    const auto t = f.table();
    for (const auto& [k, e] : t.services)
      for (const auto& [dk, d] : e.dests)
        if (dk.address.to_string() == "10.0.0.3") return d.weight;
    return -1;
  };
  REQUIRE(f.run_until([&] { return weight_of_web2() == 0; }));  // drained, still present
  {
    std::lock_guard lock(SharedKernel::mutex);
    for (auto& [k, d] : f.kernel->table().services.begin()->second.dests) d.active_conns = 0;
  }
  REQUIRE(f.run_until([&] { return weight_of_web2() == -1; }));  // connection gone: deleted
  CHECK(f.dests_of("10.0.0.10") == 1);
}

TEST_CASE("stop removes vigil's services only, or keeps them when asked", "[reconciler]") {
  Fixture f;
  f.start(k_two);
  REQUIRE(f.programmed("10.0.0.10", 2));
  {
    std::lock_guard lock(SharedKernel::mutex);
    f.kernel->table().put(ipvs::Service::make(ipvs::ServiceKey(ipvs::Protocol::udp, *vigil::IpAddress::parse("10.9.9.9"), 53), "rr"));
  }
  bool done = false;
  f.reconciler.stop(ipvs::StopPolicy::remove_own, [&] { done = true; });
  REQUIRE(f.run_until([&] { return done; }));
  CHECK(f.table().services.size() == 1);  // the foreign one

  Fixture k;
  k.start(k_two);
  REQUIRE(k.programmed("10.0.0.10", 2));
  bool kept = false;
  k.reconciler.stop(ipvs::StopPolicy::keep, [&] { kept = true; });
  REQUIRE(k.run_until([&] { return kept; }));
  CHECK(k.dests_of("10.0.0.10") == 2);
}

TEST_CASE("a kernel that cannot be opened fails start with its reason", "[reconciler]") {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  vigil::log::MemoryLogger log;
  ipvs::Reconciler r{io, log, []() -> vigil::Result<std::unique_ptr<ipvs::Kernel>> {
                       return vigil::make_error("IPVS not available in this kernel: no family");
                     }};
  const auto started = r.start(config_of(k_two), [](const ipvs::RoundReport&) {});
  REQUIRE_FALSE(started);
  CHECK(started.error().message == "IPVS not available in this kernel: no family");
  // A config without virtual servers needs no IPVS at all.
  CHECK(r.start(config_of("global_defs { router_id x }\n"), [](const ipvs::RoundReport&) {}));
}

TEST_CASE("a reload that edits one virtual server compares and applies only its services", "[reconciler]") {
  // The daemon's reloads go through the parse cache, so unchanged virtual servers are the same
  // objects in both configurations (libipvs/reload_scope.hpp).
  conf::MemoryFileSystem fs;
  conf::ParseCache cache;
  const auto parse = [&](int weight) {
    std::string text;
    for (int i = 1; i <= 50; ++i)
      text += "virtual_server 10.0.1." + std::to_string(i) + " 80 {\n lvs_sched rr\n real_server 10.0.0.2 80 {\n  weight " +
              std::to_string(i == 50 ? weight : 1) + "\n }\n}\n";
    fs.add("/k.conf", text);
    conf::ParseOptions options{"h"};
    options.cache = &cache;
    return std::make_shared<const conf::Config>(conf::parse_file("/k.conf", fs, options).config);
  };
  Fixture f;
  REQUIRE(f.reconciler.start(parse(1), [&](const ipvs::RoundReport& r) { f.reports.push_back(r); }));
  REQUIRE(f.programmed("10.0.1.50", 1));
  REQUIRE(f.run_until([&] { return f.reconciler.stats().operations == 100; }));

  const auto next = parse(7);
  CHECK(f.reconciler.plan_reload(*next) == std::vector<std::string>{"~ dest 10.0.0.2:80 in TCP 10.0.1.50:80 weight 1 -> 7"});
  const auto before = f.reports.size();
  CHECK(f.reconciler.reload(next) == std::vector<std::string>{"~ dest 10.0.0.2:80 in TCP 10.0.1.50:80 weight 1 -> 7"});
  REQUIRE(f.run_until([&] { return f.reports.size() > before; }));
  const auto& round = f.reports.at(before);
  CHECK_FALSE(round.full);
  CHECK(round.applied_total == 1);
  const auto t = f.table();
  CHECK(t.find_dest(ipvs::ServiceKey(ipvs::Protocol::tcp, *vigil::IpAddress::parse("10.0.1.50"), 80),
                    ipvs::DestKey{*vigil::IpAddress::parse("10.0.0.2"), 80})->weight == 7);
  CHECK(t.services.size() == 50);
}
