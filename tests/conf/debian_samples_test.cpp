// The 25 sample configurations Debian's keepalived package ships. None may crash or hang the
// parser; the two with genuine mistakes are reported at the right lines; all others parse
// without errors (warnings allowed). CI installs the package (scripts/install-deps).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "conf/parser.hpp"

namespace fs = std::filesystem;

TEST_CASE("Debian's keepalived samples: errors exactly where the samples are wrong", "[samples]") {
  const fs::path dir = "/usr/share/doc/keepalived/samples";
  INFO("needs Debian's keepalived package: apt-get install keepalived (scripts/install-deps does)");
  REQUIRE(fs::is_directory(dir));
  std::vector<fs::path> samples;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("keepalived.conf.", 0) == 0) samples.push_back(e.path());
  std::sort(samples.begin(), samples.end());
  CHECK(samples.size() == 25);

  // file -> the lines that must carry an error (and no other line may)
  const std::map<std::string, std::set<std::uint32_t>> expected_errors{
      {"keepalived.conf.vrrp.rules", {11, 26}},   // `192.168.100./24`: an address with a missing octet
      {"keepalived.conf.vrrp.lvs_syncd", {4, 5}},  // sync group members written without `group { }`
  };
  for (const auto& path : samples) {
    const auto name = path.filename().string();
    DYNAMIC_SECTION(name) {
      // The conditional sample says to run with `-i high` or `-i low`.
      const conf::ParseOptions options{name == "keepalived.conf.conditional_conf" ? "high" : "test-host"};
      const auto r = conf::parse_file(path.string(), options);
      std::set<std::uint32_t> error_lines;
      for (const auto& d : r.sorted_diagnostics()) {
        INFO(d.to_string());
        if (d.severity == conf::Severity::error) error_lines.insert(d.loc.line);
      }
      const auto it = expected_errors.find(name);
      CHECK(error_lines == (it == expected_errors.end() ? std::set<std::uint32_t>{} : it->second));
    }
  }
}
