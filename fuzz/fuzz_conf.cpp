// libFuzzer target: the configuration parser, includes and all. The input is split at lines
// "=====" into up to four files /f/a.conf (the main file) .. /f/d.conf, so includes, globs and
// include loops between them are exercised as well as the lexer, preprocessor, tree builder,
// keyword tables, builders and validation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "conf/parser.hpp"
#include "conf/source_provider.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);  // NOLINT: libFuzzer's byte API
  conf::MemoryFileSystem fs;
  const char* names[] = {"/f/a.conf", "/f/b.conf", "/f/c.conf", "/f/d.conf"};
  std::size_t start = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    auto sep = input.find("\n=====\n", start);
    if (i == 3) sep = std::string_view::npos;
    fs.add(names[i], std::string(input.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start)));
    if (sep == std::string_view::npos) break;
    start = sep + 7;
  }
  const auto result = conf::parse_file("/f/a.conf", fs, conf::ParseOptions{"fuzz"});
  // Every diagnostic must render; a crash or sanitizer report here is the failure.
  std::size_t total = 0;
  for (const auto& d : result.sorted_diagnostics()) total += d.to_string().size();
  return total == static_cast<std::size_t>(-1) ? 1 : 0;
}
