#include <catch2/catch.hpp>

#include "common/log.hpp"

using namespace std::chrono_literals;
using vigil::log::Level;

TEST_CASE("MemoryLogger keeps messages and fields, filtered by level", "[log]") {
  vigil::log::MemoryLogger log;
  log.set_level(Level::info);
  log.debug("hidden");
  log.info("[VI_1/v4] backup -> master (master_down expired)", {{"VRRP_INSTANCE", "VI_1"}, {"STATE", "MASTER"}});
  const auto lines = log.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].field("VRRP_INSTANCE") == "VI_1");
  CHECK(lines[0].field("STATE") == "MASTER");
  CHECK(log.contains("backup -> master"));
}

TEST_CASE("RateLimiter lets a burst through per window and counts the rest", "[log]") {
  vigil::log::RateLimiter limiter(2, 1s);
  const vigil::log::RateLimiter::Clock::time_point t0{std::chrono::seconds(100)};
  std::uint64_t suppressed = 99;
  CHECK(limiter.allow(t0, suppressed));
  CHECK(suppressed == 0);
  CHECK(limiter.allow(t0 + 1ms, suppressed));
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(limiter.allow(t0 + 2ms, suppressed));
  CHECK(limiter.allow(t0 + 1s, suppressed));
  CHECK(suppressed == 1000);
}

TEST_CASE("log levels parse from their names", "[log]") {
  Level l{};
  CHECK(vigil::log::parse_level("warning", l));
  CHECK(l == Level::warning);
  CHECK(vigil::log::parse_level("warn", l));
  CHECK_FALSE(vigil::log::parse_level("loud", l));
}
