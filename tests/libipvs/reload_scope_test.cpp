#include <catch2/catch.hpp>

#include "conf/parse_cache.hpp"
#include "conf/parser.hpp"
#include "conf/source_provider.hpp"
#include "libipvs/plan.hpp"
#include "libipvs/reload_scope.hpp"

namespace {

std::string vs(int i, int weight = 1, const std::string& quorum = "") {
  const std::string n = std::to_string(i);
  return "virtual_server 10.0.0." + n + " 80 {\n  lvs_sched rr\n" + quorum + "  real_server 192.168.0." + n +
         " 80 {\n    weight " + std::to_string(weight) + "\n  }\n  real_server 192.168.1." + n + " 80 {\n    weight 1\n  }\n}\n";
}

/// Parses files in turn through one cache, as the daemon's reloads do.
struct Reloads {
  conf::MemoryFileSystem fs;
  conf::ParseCache cache;
  std::shared_ptr<const conf::Config> parse(const std::string& text) {
    fs.add("/k.conf", text);
    conf::ParseOptions options{"h"};
    options.cache = &cache;
    auto r = conf::parse_file("/k.conf", fs, options);
    REQUIRE_FALSE(r.diagnostics.has_errors());
    return std::make_shared<const conf::Config>(std::move(r.config));
  }
};

std::vector<std::string> keys(const std::vector<const conf::VirtualServer*>& list) {
  std::vector<std::string> out;
  for (const auto* v : list) out.push_back(v->key());
  return out;
}

/// The plan a scoped reload makes, next to the plan of the whole table, both against `actual`.
std::pair<ipvs::Plan, ipvs::Plan> plans(const conf::Config& before, const conf::Config& after, const ipvs::Table& actual) {
  const auto scope = ipvs::reload_scope(before, after);
  REQUIRE(scope);
  ipvs::QuorumTracker q1, q2;
  auto part = ipvs::scoped_tables(*scope, before, after, actual, ipvs::HealthView{}, q1);
  ipvs::Ownership o1;
  o1.claim(actual);
  o1.claim(part.desired.table);
  auto whole = ipvs::build_desired(after, ipvs::HealthView{}, q2);
  ipvs::Ownership o2;
  o2.claim(actual);
  o2.claim(whole.table);
  return {ipvs::diff(part.desired.table, part.actual, o1), ipvs::diff(whole.table, actual, o2)};
}

}  // namespace

TEST_CASE("a reload's scope is the virtual servers whose objects changed", "[reload_scope]") {
  Reloads r;
  const auto a = r.parse(vs(1) + vs(2) + vs(3));
  SECTION("one weight edited") {
    const auto b = r.parse(vs(1) + vs(2, 5) + vs(3));
    const auto scope = ipvs::reload_scope(*a, *b);
    REQUIRE(scope);
    CHECK(keys(scope->added) == std::vector<std::string>{"10.0.0.2:80/tcp"});
    CHECK(keys(scope->removed) == std::vector<std::string>{"10.0.0.2:80/tcp"});
  }
  SECTION("nothing changed") {
    const auto b = r.parse(vs(1) + vs(2) + vs(3));
    const auto scope = ipvs::reload_scope(*a, *b);
    REQUIRE(scope);
    CHECK(scope->added.empty());
    CHECK(scope->removed.empty());
  }
  SECTION("one added, one removed") {
    const auto b = r.parse(vs(1) + vs(2) + vs(4));
    const auto scope = ipvs::reload_scope(*a, *b);
    REQUIRE(scope);
    CHECK(keys(scope->added) == std::vector<std::string>{"10.0.0.4:80/tcp"});
    CHECK(keys(scope->removed) == std::vector<std::string>{"10.0.0.3:80/tcp"});
  }
  SECTION("edits at both ends") {
    const auto b = r.parse(vs(1, 5) + vs(2) + vs(3, 5));
    const auto scope = ipvs::reload_scope(*a, *b);
    REQUIRE(scope);
    CHECK(keys(scope->added) == std::vector<std::string>{"10.0.0.1:80/tcp", "10.0.0.3:80/tcp"});
    CHECK(keys(scope->removed) == std::vector<std::string>{"10.0.0.1:80/tcp", "10.0.0.3:80/tcp"});
  }
  SECTION("the same objects in another order: nothing changed") {
    conf::Config b;
    b.virtual_servers = {a->virtual_servers[2], a->virtual_servers[0], a->virtual_servers[1]};
    const auto scope = ipvs::reload_scope(*a, b);
    REQUIRE(scope);
    CHECK(scope->added.empty());
    CHECK(scope->removed.empty());
  }
  SECTION("one object moved in front of an edited one") {
    const auto edited = r.parse(vs(1) + vs(2, 7) + vs(3));
    conf::Config b;
    b.virtual_servers = {a->virtual_servers[0], a->virtual_servers[2], edited->virtual_servers[1]};
    const auto scope = ipvs::reload_scope(*a, b);
    REQUIRE(scope);
    CHECK(keys(scope->added) == std::vector<std::string>{"10.0.0.2:80/tcp"});
    CHECK(keys(scope->removed) == std::vector<std::string>{"10.0.0.2:80/tcp"});
  }
  SECTION("groups: planned whole") {
    const auto b = r.parse("virtual_server_group G {\n  10.0.0.9 80\n}\n" + vs(1) + vs(2) + vs(3));
    CHECK_FALSE(ipvs::reload_scope(*a, *b));
  }
}

TEST_CASE("a scoped plan is the whole plan when the kernel matched the running config", "[reload_scope]") {
  Reloads r;
  const auto a = r.parse(vs(1) + vs(2) + vs(3, 1, "  quorum 2\n"));
  ipvs::QuorumTracker q;
  const auto actual = ipvs::build_desired(*a, ipvs::HealthView{}, q).table;  // what the rounds programmed
  SECTION("weight edit: one operation") {
    const auto [scoped, whole] = plans(*a, *r.parse(vs(1) + vs(2, 5) + vs(3, 1, "  quorum 2\n")), actual);
    CHECK(scoped.size() == 1);
    CHECK(scoped.to_string() == whole.to_string());
  }
  SECTION("added and removed virtual servers") {
    const auto [scoped, whole] = plans(*a, *r.parse(vs(1) + vs(4) + vs(3, 1, "  quorum 2\n")), actual);
    CHECK(scoped.size() == 6);  // 10.0.0.2: two dests and the service out; 10.0.0.4 and two dests in
    CHECK(scoped.to_string() == whole.to_string());
  }
  SECTION("a changed scheduler and quorum") {
    const auto [scoped, whole] = plans(*a, *r.parse(vs(1) + vs(2) + vs(3, 1, "  quorum 9\n  lvs_sched wrr\n")), actual);
    CHECK(scoped.size() == 1);
    CHECK(scoped.to_string() == whole.to_string());
  }
}

TEST_CASE("a scoped reload keeps the quorum state of kept virtual servers and drops removed ones", "[reload_scope]") {
  Reloads r;
  const auto a = r.parse(vs(1, 1, "  quorum 2\n") + vs(2, 1, "  quorum 2\n"));
  ipvs::QuorumTracker quorum;
  ipvs::HealthView down;
  down.set({"10.0.0.1:80/tcp", *vigil::IpAddress::parse("192.168.0.1"), 80}, {false, std::nullopt, false});
  down.set({"10.0.0.2:80/tcp", *vigil::IpAddress::parse("192.168.0.2"), 80}, {false, std::nullopt, false});
  (void)ipvs::build_desired(*a, down, quorum);
  CHECK_FALSE(quorum.is_up("10.0.0.1:80/tcp"));
  CHECK_FALSE(quorum.is_up("10.0.0.2:80/tcp"));
  const auto b = r.parse(vs(1, 1, "  quorum 2\n"));  // 10.0.0.2 removed, 10.0.0.1 unchanged
  const auto scope = ipvs::reload_scope(*a, *b);
  REQUIRE(scope);
  (void)ipvs::scoped_tables(*scope, *a, *b, ipvs::Table{}, down, quorum);
  CHECK_FALSE(quorum.is_up("10.0.0.1:80/tcp"));  // kept: still lost
  CHECK(quorum.is_up("10.0.0.2:80/tcp"));        // forgotten: unknown counts as up
}

TEST_CASE("a reload that changes most virtual servers is planned whole", "[reload_scope]") {
  Reloads r;
  std::string all, shifted = "# a first line that moves every block\n";
  for (int i = 1; i <= 40; ++i) all += vs(i);
  shifted += all;
  const auto a = r.parse(all);
  CHECK_FALSE(ipvs::reload_scope(*a, *r.parse(shifted)));  // 80 changed objects of 80
  const auto b = r.parse(shifted);  // the same again: nothing changed
  REQUIRE(ipvs::reload_scope(*r.parse(shifted), *b));
}
