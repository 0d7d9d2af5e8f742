#include "conf/parse_cache.hpp"

#include <algorithm>
#include <functional>
#include <string_view>

namespace conf {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// The line at `offset` starts with the word `virtual_server` (after blanks).
bool starts_virtual_server(std::string_view text, std::size_t offset) {
  constexpr std::string_view k_keyword = "virtual_server";
  while (offset < text.size() && is_blank(text[offset])) ++offset;
  if (text.substr(offset, k_keyword.size()) != k_keyword) return false;
  const std::size_t after = offset + k_keyword.size();
  return after == text.size() || is_blank(text[after]) || text[after] == '{' || text[after] == '\n' ||
         text[after] == '\r';
}

/// Bytes whose meaning depends on more than the block itself: `$` substitution, `@` per-host
/// lines, `\` continuations and includes. A block with any of them is read normally every time.
bool context_free(std::string_view block) {
  return block.find_first_of("$@\\") == std::string_view::npos && block.find("include") == std::string_view::npos;
}

}  // namespace

void ParseCache::replace(Files next, std::size_t reused) {
  files_ = std::move(next);
  stats_ = Stats{};
  stats_.reused = reused;
  for (auto& [path, file] : files_) {
    stats_.cached += file.blocks.size();
    file.text.reset();  // the parse that read it is over
  }
}

void CachedBlockReader::enter(const FileText& file, std::uint32_t line) {
  if (current_.text == file.text.get()) return;
  current_.text = file.text.get();
  const auto before = cache_.files().find(file.path);
  current_.before = before == cache_.files().end() ? nullptr : &before->second;
  current_.cursor = 0;
  if (current_.before != nullptr) {
    const auto& blocks = current_.before->blocks;
    current_.cursor = static_cast<std::size_t>(
        std::lower_bound(blocks.begin(), blocks.end(), line,
                         [](const ParseCache::Block& b, std::uint32_t l) { return b.first_line < l; }) -
        blocks.begin());
  }
  auto& next = next_[file.path];
  if (!next.text) {
    next.text = file.text;
    // about as many blocks as last time: no doubling of a 10,000-block array
    if (current_.before != nullptr) next.blocks.reserve(current_.before->blocks.size() + 16);
  } else if (next.text != file.text) {
    // The same path read again (included twice): line keys would be ambiguous.
    next.read_twice = true;
    next.blocks.clear();
  }
  current_.next = &next;
}

ParseCache::Block* CachedBlockReader::cached_block(std::uint32_t line) {
  if (current_.before == nullptr) return nullptr;
  // Lines only grow within a file, so a cursor replaces a search per block.
  auto& blocks = current_.before->blocks;
  while (current_.cursor < blocks.size() && blocks[current_.cursor].first_line < line) ++current_.cursor;
  return current_.cursor < blocks.size() && blocks[current_.cursor].first_line == line ? &blocks[current_.cursor]
                                                                                       : nullptr;
}

void CachedBlockReader::settle_candidate(const FileText& file, std::uint32_t line, std::size_t offset) {
  // Still inside the block (or in a file it includes): wait for its end.
  if (!candidate_ || !tree_.at_top_level()) return;
  const Candidate c = std::move(*candidate_);
  candidate_.reset();
  // The block must have ended on the line before this one, alone: one virtual server built,
  // no other top-level statement after its `}`, and nothing reported while it was read.
  if (c.text != file.text.get() || out_.size() != c.built + 1 || tree_.top_level_count() != c.top_level ||
      diag_.all().size() != c.diagnostics)
    return;
  const std::string_view bytes = std::string_view(*file.text).substr(c.offset, offset - c.offset);
  if (!context_free(bytes)) return;
  enter(file, line);
  auto& entry = *current_.next;
  if (entry.read_twice) return;
  const VirtualServer& built = *out_.back();
  entry.blocks.push_back(ParseCache::Block{c.first_line, line - c.first_line, bytes.size(),
                                           std::hash<std::string_view>{}(bytes), out_.back(),
                                           ObjectFacts{virtual_server_identity(built), built.group.has_value(), false}});
}

TakenLines CachedBlockReader::at_line_start(const FileText& file, std::uint32_t line, std::size_t offset) {
  settle_candidate(file, line, offset);
  if (!tree_.at_top_level()) return {};
  enter(file, line);
  const std::string& text = *file.text;
  if (ParseCache::Block* block = cached_block(line)) {
    if (block->built && block->bytes <= text.size() - offset &&
        std::hash<std::string_view>{}(std::string_view(text).substr(offset, block->bytes)) == block->hash) {
      const TakenLines taken{block->bytes, block->lines};
      facts_.resize(out_.size());  // the objects read since the last reused one: unknown
      facts_.push_back(block->facts);
      out_.push_back(block->built);
      // Moved, not copied, into the next generation: the one it leaves is dropped after this
      // parse, and a moved-from block frees nothing (no reference count of 10,000 objects
      // touched once more).
      if (!current_.next->read_twice) current_.next->blocks.push_back(std::move(*block));
      tree_.passed_block();
      ++reused_;
      return taken;
    }
  }
  if (starts_virtual_server(text, offset))
    candidate_ = Candidate{file.text.get(), line, offset, diag_.all().size(), out_.size(),
                           tree_.top_level_count()};
  return {};
}

void ParseCache::mark_checked(const std::vector<const VirtualServer*>& reported) {
  for (auto& [path, file] : files_)
    for (auto& block : file.blocks)
      block.facts.clean = !std::binary_search(reported.begin(), reported.end(), block.built.get());
}

std::vector<std::optional<ObjectFacts>> CachedBlockReader::facts() {
  facts_.resize(out_.size());
  return std::move(facts_);
}

void CachedBlockReader::finish() {
  for (auto it = next_.begin(); it != next_.end();) {
    if (it->second.blocks.empty()) it = next_.erase(it);  // nothing to reuse: do not keep its text
    else ++it;
  }
  cache_.replace(std::move(next_), reused_);
  next_ = {};
}

}  // namespace conf
