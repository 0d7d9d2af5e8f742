// libFuzzer target: the configuration parser, includes and all. The input is split at lines
// "=====" into up to four files /f/a.conf (the main file) .. /f/d.conf, so includes, globs and
// include loops between them are exercised as well as the lexer, preprocessor, tree builder,
// keyword tables, builders and validation.
//
// It is also a differential test of the parse cache (conf/parse_cache.hpp): the files are first
// parsed through a cache with every '1' turned into '2' (some blocks change, others not), then
// as given through the same cache; that parse must say exactly what a parse without the cache
// says (model with locations, and diagnostics), or the target aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/json_text.hpp"
#include "conf/json_dump.hpp"
#include "conf/parse_cache.hpp"
#include "conf/parser.hpp"
#include "conf/source_provider.hpp"

namespace {

constexpr const char* k_names[] = {"/f/a.conf", "/f/b.conf", "/f/c.conf", "/f/d.conf"};

void add_files(conf::MemoryFileSystem& fs, std::string_view input, bool edited) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    auto sep = input.find("\n=====\n", start);
    if (i == 3) sep = std::string_view::npos;
    std::string text(input.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start));
    if (edited)
      for (auto& c : text)
        if (c == '1') c = '2';
    fs.add(k_names[i], std::move(text));
    if (sep == std::string_view::npos) break;
    start = sep + 7;
  }
}

std::string said(const conf::ParseResult& result) {
  std::string out = vigil::json_text(conf::to_json(result.config));
  for (const auto& d : result.sorted_diagnostics()) out += "\n" + d.to_string();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);  // NOLINT: libFuzzer's byte API
  conf::MemoryFileSystem fs;
  add_files(fs, input, false);
  const auto fresh = conf::parse_file("/f/a.conf", fs, conf::ParseOptions{"fuzz"});

  conf::ParseCache cache;
  conf::ParseOptions cached_options{"fuzz"};
  cached_options.cache = &cache;
  conf::MemoryFileSystem edited;
  add_files(edited, input, true);
  (void)conf::parse_file("/f/a.conf", edited, cached_options);
  const auto cached = conf::parse_file("/f/a.conf", fs, cached_options);
  // router_id defaults to the host name in both; everything else must match.
  if (said(cached) != said(fresh)) std::abort();
  return 0;
}
