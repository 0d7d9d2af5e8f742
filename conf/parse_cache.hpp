// DOC: ParseCache — a reload reads again only the virtual_server blocks that changed.
//
// At 10,000 virtual servers a reload that changes one weight would lex, build and validate
// 130,000 lines again to find one number (~90 ms natively, over a second under TCG). A
// virtual_server block depends on nothing outside itself, so the cache keeps, from the previous
// parse, for every block it could vouch for, where the block was (file, line, length) and the
// VirtualServer built from it. The next parse compares each top-level `virtual_server` line
// with the cached block at the same line: when the bytes are the same the
// reader skips the block and the configuration shares the cached object. Everything else (other
// blocks, includes, definitions, validation across blocks) goes through the full parser as
// before, so the result is the one a parse without the cache gives.
//
// The cache keeps a 64-bit hash of each block's bytes, not the text (at 10,000 virtual servers
// the text is 3 MB more for the daemon's life); two different blocks at the same line with the
// same length and hash, a 2^-64 chance for an edit, would keep the old block.
//
// The objects a parse through the cache builds take their reference counts from the cache's
// ObjectPool (conf/object_pool.hpp): reusing 10,000 of them then touches 400 KB of counts side
// by side instead of 10,000 scattered cache lines (natively 4.3 -> 2.6 ms a cached reparse).
//
// A block is cached only when nothing could make the same bytes mean something else: it starts
// at the top level on its own line, its closing `}` ends its line, reading and building it
// reported nothing, and it has no `$` (substitution), `@` (per-host lines), `\` (continuations)
// or `include`. Keys are the file path and the first line, so an edit that shifts lines only
// costs the blocks below it a normal read.
//
//   conf::ParseCache cache;                  // one per daemon, used by one thread at a time
//   options.cache = &cache;
//   auto first = conf::parse_file(path, options);   // fills it
//   auto again = conf::parse_file(path, options);   // reuses unchanged blocks
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/diagnostics.hpp"
#include "conf/model.hpp"
#include "conf/object_pool.hpp"
#include "conf/parser.hpp"
#include "conf/source_reader.hpp"
#include "conf/tree.hpp"

namespace conf {

class ParseCache {
 public:
  /// What the last parse through this cache did.
  struct Stats {
    std::size_t reused = 0;    // virtual_server blocks taken from the cache
    std::size_t cached = 0;    // blocks the cache holds now
  };
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }
  /// Where the objects a parse through this cache builds take their reference counts.
  [[nodiscard]] const ObjectPool& pool() const noexcept { return pool_; }

  struct Block {
    std::uint32_t first_line = 0;
    std::uint32_t lines = 0;
    std::size_t bytes = 0;
    std::size_t hash = 0;  // of the block's bytes
    VirtualServerPtr built;  // null once a parse has taken it over (it then lives in the next generation)
    ObjectFacts facts;       // for validate(), which then need not read the object
  };
  struct File {
    // While a parse runs: the text these blocks are in, held so that its address cannot be
    // reused by another read of the same path (which would then pass for this one).
    std::shared_ptr<const std::string> text;
    std::vector<Block> blocks;  // by first_line
    bool read_twice = false;    // included more than once: its blocks are not cached
  };
  using Files = std::map<std::string, File, std::less<>>;

  /// For the parser: the generation a parse reads from (and takes reused blocks out of), and
  /// its replacement.
  [[nodiscard]] Files& files() noexcept { return files_; }
  void replace(Files next, std::size_t reused);
  /// After validation: every cached object not in `reported` (sorted) passed its one-object checks.
  void mark_checked(const std::vector<const VirtualServer*>& reported);

 private:
  Files files_;
  Stats stats_;
  ObjectPool pool_;
};

/// One parse's use of a ParseCache: the reader's line-start hook (reuse a block, or start
/// watching one to cache), and the new generation it builds. Virtual servers, reused and built,
/// land in `out` in file order.
class CachedBlockReader {
 public:
  CachedBlockReader(ParseCache& cache, TreeBuilder& tree, const Diagnostics& diag, std::vector<VirtualServerPtr>& out)
      : cache_(cache), tree_(tree), diag_(diag), out_(out) {
    facts_.reserve(out.capacity());  // the parser reserves room for the virtual servers it expects
  }

  TakenLines at_line_start(const FileText& file, std::uint32_t line, std::size_t offset);
  /// Hands the new generation to the cache (the previous one, and its texts, are freed).
  void finish();
  /// What is known of each object in `out` (LocalChecks::facts): reused ones carry the facts
  /// of their block, objects read this time are unknown.
  [[nodiscard]] std::vector<std::optional<ObjectFacts>> facts();

 private:
  struct Candidate {
    const std::string* text = nullptr;  // the file it started in
    std::uint32_t first_line = 0;
    std::size_t offset = 0;
    std::size_t diagnostics = 0;
    std::size_t built = 0;      // out_.size() when it started
    std::size_t top_level = 0;  // the tree's top-level statements when it started
  };
  /// The file being read, looked up once per file switch rather than per block.
  struct Current {
    const std::string* text = nullptr;
    ParseCache::File* before = nullptr;        // in the cache, or none
    std::size_t cursor = 0;                    // first block of `before` not behind the reader
    ParseCache::File* next = nullptr;          // in next_
  };
  void settle_candidate(const FileText& file, std::uint32_t line, std::size_t offset);
  void enter(const FileText& file, std::uint32_t line);
  [[nodiscard]] ParseCache::Block* cached_block(std::uint32_t line);

  ParseCache& cache_;
  TreeBuilder& tree_;
  const Diagnostics& diag_;
  std::vector<VirtualServerPtr>& out_;
  ParseCache::Files next_;
  std::optional<Candidate> candidate_;
  Current current_;
  std::size_t reused_ = 0;
  std::vector<std::optional<ObjectFacts>> facts_;  // by index in out_, up to the last reused one
};

}  // namespace conf
