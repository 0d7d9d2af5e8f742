// The shipped examples (the seed's scenarios) parse clean apart from the warnings keepalived's
// stock file earns (deprecated spellings, e-mail settings vigil does not act on), and their
// normalised model matches the reviewed golden JSON in tests/conf/golden/.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "conf/json_dump.hpp"
#include "conf/parser.hpp"

namespace fs = std::filesystem;

namespace {

nlohmann::ordered_json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::ordered_json::parse(in);
}

}  // namespace

TEST_CASE("the seed's director configs parse with only deprecation and no-effect warnings", "[examples]") {
  for (const char* name : {"conf/examples/lvs-dr-master.conf", "conf/examples/lvs-dr-backup.conf"}) {
    DYNAMIC_SECTION(name) {
      const auto r = conf::parse_file(name);
      CHECK(r.diagnostics.error_count() == 0);
      std::size_t deprecations = 0;
      for (const auto& d : r.sorted_diagnostics()) {
        INFO(d.to_string());
        const bool deprecated = d.message.find("is deprecated; use") != std::string::npos;
        const bool email = d.message.find("has no effect") != std::string::npos &&
                           (d.message.find("smtp_") != std::string::npos || d.message.find("notification_email") != std::string::npos);
        CHECK((deprecated || email));
        deprecations += deprecated ? 1 : 0;
      }
      CHECK(deprecations == 4);  // lb_algo, lb_kind, nb_get_retry twice
      REQUIRE(r.config.vrrp_instances.size() == 1);
      CHECK(r.config.vrrp_instances[0].vrid == 51);
      REQUIRE(r.config.virtual_servers.size() == 1);
      CHECK(r.config.virtual_servers[0]->method.method == conf::ForwardMethod::dr);
      CHECK(r.config.virtual_servers[0]->real_servers.size() == 2);
      CHECK(r.config.virtual_servers[0]->real_servers[0].checkers.at(0).retry == 3);
    }
  }
  const auto nat = conf::parse_file("conf/examples/lvs-nat.conf");
  CHECK(nat.diagnostics.all().empty());
  CHECK(nat.config.virtual_servers.at(0)->method.method == conf::ForwardMethod::nat);
}

TEST_CASE("the normalised model of each example matches its golden JSON", "[examples][golden]") {
  for (const char* base : {"lvs-dr-master", "lvs-dr-backup", "lvs-nat"}) {
    DYNAMIC_SECTION(base) {
      const std::string conf_path = std::string("conf/examples/") + base + ".conf";
      const fs::path golden = fs::path("tests/conf/golden") / (std::string(base) + ".json");
      const auto r = conf::parse_file(conf_path);
      REQUIRE_FALSE(r.diagnostics.has_errors());
      const auto got = conf::to_json(r.config);
      REQUIRE(fs::exists(golden));
      const auto want = read_json(golden);
      INFO("regenerate with: vigild --dump-config -f " << conf_path << " > " << golden.string() << " (then review the diff)");
      CHECK(got.dump(2) == want.dump(2));
    }
  }
}
