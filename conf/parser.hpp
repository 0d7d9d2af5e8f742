// DOC: The public entry point of conf/: a keepalived.conf file in, a validated conf::Config and
// every diagnostic out. Nothing here throws on bad input; callers refuse to start or reload
// when `diagnostics.has_errors()`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/diagnostics.hpp"
#include "conf/model.hpp"
#include "conf/source_provider.hpp"

namespace conf {

class ParseCache;

struct ParseOptions {
  std::string config_id;  // keepalived -i; default: the short host name
  /// Room reserved for virtual servers before the first is read (a reload passes the running
  /// configuration's count). Blocks are built while the file is read, so their number is not
  /// known in advance, and growing by doubling at 10,000 briefly holds 1.5 times the vector
  /// beside the running model.
  std::size_t expected_virtual_servers = 0;
  /// Reuse the virtual_server blocks that are unchanged since the parse that last used this
  /// cache (conf/parse_cache.hpp), and update it. Not thread-safe: one parse at a time.
  ParseCache* cache = nullptr;
};

struct ParseResult {
  Config config;
  Diagnostics diagnostics;
  std::vector<std::string> files;  // every file read, main first
  std::size_t reused_virtual_servers = 0;  // taken unchanged from ParseOptions::cache

  /// Diagnostics ordered by position, notes after the diagnostic they belong to.
  [[nodiscard]] std::vector<Diagnostic> sorted_diagnostics() const { return diagnostics.sorted(files); }
};

ParseResult parse_file(const std::string& path, SourceProvider& provider, const ParseOptions& options = {});
ParseResult parse_file(const std::string& path, const ParseOptions& options = {});  // real file system
/// For tests: parse text as if it were the file `name`.
ParseResult parse_text(std::string_view text, const std::string& name = "test.conf", const ParseOptions& options = {});

/// What validate() knows about a virtual server object without reading it. An object is
/// immutable, so the parse cache keeps these beside each cached block; validation then leaves
/// unchanged objects untouched (at 10,000 every pass over the objects, scattered in memory,
/// costs milliseconds under emulation, the IPVS test VM).
struct ObjectFacts {
  std::size_t identity = 0;  // virtual_server_identity(object)
  bool grouped = false;      // names a virtual_server_group (checked against the groups every time)
  bool clean = false;        // its one-object checks (families, repeated real servers, quorum) said nothing
};

/// What validate() may skip and tells back about the checks that concern one virtual server
/// alone: their outcome is a property of the object, so the parse cache remembers which
/// objects passed them without a word.
struct LocalChecks {
  /// By index in Config::virtual_servers (shorter, or nullopt: not known, read the object).
  std::vector<std::optional<ObjectFacts>> facts;
  std::vector<const VirtualServer*> reported;  // out: objects whose one-object checks said something
};

/// A hash of what VirtualServer::key() tells apart ("fwmark N/family", "group G/proto",
/// "address:port/proto"), without building the string: validate() finds repeated virtual
/// servers by sorting these.
[[nodiscard]] std::size_t virtual_server_identity(const VirtualServer& vs);

/// Semantic checks across blocks (duplicate VRIDs, families, references). Run by parse_file.
void validate(Config& config, Diagnostics& diag, LocalChecks* local = nullptr);

[[nodiscard]] std::string default_config_id();

}  // namespace conf
