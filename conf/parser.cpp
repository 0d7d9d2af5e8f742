#include "conf/parser.hpp"

#include <unistd.h>

#include "conf/builders.hpp"
#include "conf/parse_cache.hpp"
#include "conf/source_reader.hpp"
#include "conf/tree.hpp"

namespace conf {

std::string default_config_id() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  std::string name(buf);
  return name.substr(0, name.find('.'));  // keepalived matches @ID against the short name
}

ParseResult parse_file(const std::string& path, SourceProvider& provider, const ParseOptions& options) {
  ParseResult result;
  FileTable files;
  ReaderOptions reader_options;
  reader_options.config_id = options.config_id.empty() ? default_config_id() : options.config_id;
  SourceReader reader(provider, reader_options, result.diagnostics, files);
  TreeBuilder tree(result.diagnostics, files);
  BuildContext ctx(result.diagnostics, files);
  // A virtual_server block depends on nothing else in the file, so each is built as soon as its
  // '}' is read and its statements are dropped: at 10,000 of them the statement tree would
  // otherwise be whole in memory beside the model (and, on a reload, the running model).
  std::vector<VirtualServerPtr> virtual_servers;
  virtual_servers.reserve(options.expected_virtual_servers);
  tree.set_block_sink([&](Statement& block) {
    if (block.keyword.text != "virtual_server") return false;
    if (auto vs = build_virtual_server(ctx, block))
      virtual_servers.push_back(options.cache != nullptr ? options.cache->pool().make(std::move(*vs))
                                                         : std::make_shared<const VirtualServer>(std::move(*vs)));
    return true;
  });
  std::optional<CachedBlockReader> cached;
  if (options.cache != nullptr) {
    cached.emplace(*options.cache, tree, result.diagnostics, virtual_servers);
    reader.set_line_start_hook([&cached](const FileText& file, std::uint32_t line, std::size_t offset) {
      return cached->at_line_start(file, line, offset);
    });
  }
  const bool read = reader.read(path, [&](LexedLine&& line) { tree.add_line(std::move(line)); });
  auto statements = tree.finish();
  LocalChecks local;
  if (cached) {
    cached->finish();
    result.reused_virtual_servers = options.cache->stats().reused;
    local.facts = cached->facts();
  }
  result.files = files.paths();
  if (!read) return result;
  result.config = build_config(ctx, std::move(statements), std::move(virtual_servers));
  result.config.files = result.files;
  validate(result.config, result.diagnostics, cached ? &local : nullptr);
  if (cached) {
    std::sort(local.reported.begin(), local.reported.end());
    options.cache->mark_checked(local.reported);
  }
  return result;
}

ParseResult parse_file(const std::string& path, const ParseOptions& options) {
  RealFileSystem fs;
  return parse_file(path, fs, options);
}

ParseResult parse_text(std::string_view text, const std::string& name, const ParseOptions& options) {
  MemoryFileSystem fs;
  fs.add(name, std::string(text));
  ParseOptions o = options;
  if (o.config_id.empty()) o.config_id = "test-host";
  return parse_file(name, fs, o);
}

}  // namespace conf
