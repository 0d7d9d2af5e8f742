// Broken configurations, each paired with the exact diagnostics vigil must print for it
// (tests/conf/corpus/NAME.conf + NAME.expected). Paths are relative to the repository root,
// where ctest runs this test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conf/parser.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("every broken config in the corpus gets exactly its expected diagnostics", "[corpus]") {
  const fs::path dir = "tests/conf/corpus";
  REQUIRE(fs::is_directory(dir));
  std::vector<fs::path> configs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".conf") configs.push_back(e.path());
  std::sort(configs.begin(), configs.end());
  REQUIRE(configs.size() >= 20);
  for (const auto& conf_path : configs) {
    auto expected_path = conf_path;
    expected_path.replace_extension(".expected");
    DYNAMIC_SECTION(conf_path.filename().string()) {
      REQUIRE(fs::exists(expected_path));
      const auto result = conf::parse_file(conf_path.string(), conf::ParseOptions{"test-host"});
      std::vector<std::string> got;
      for (const auto& d : result.sorted_diagnostics()) got.push_back(d.to_string());
      CHECK(got == read_lines(expected_path));
      CHECK((result.diagnostics.has_errors() || result.diagnostics.warning_count() > 0));
    }
  }
}
