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
  } else if (next.text != file.text) {
    // The same path read again (included twice): line keys would be ambiguous.
    next.read_twice = true;
    next.blocks.clear();
  }
  current_.next = &next;
}

const ParseCache::Block* CachedBlockReader::cached_block(std::uint32_t line) {
  if (current_.before == nullptr) return nullptr;
  // Lines only grow within a file, so a cursor replaces a search per block.
  const auto& blocks = current_.before->blocks;
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
  entry.blocks.push_back(
      ParseCache::Block{c.first_line, line - c.first_line, bytes.size(), std::hash<std::string_view>{}(bytes), out_.back()});
}

TakenLines CachedBlockReader::at_line_start(const FileText& file, std::uint32_t line, std::size_t offset) {
  settle_candidate(file, line, offset);
  if (!tree_.at_top_level()) return {};
  enter(file, line);
  const std::string& text = *file.text;
  if (const ParseCache::Block* block = cached_block(line)) {
    if (block->bytes <= text.size() - offset &&
        std::hash<std::string_view>{}(std::string_view(text).substr(offset, block->bytes)) == block->hash) {
      out_.push_back(block->built);
      if (block->checked_clean) known_clean_.push_back(block->built.get());
      if (!current_.next->read_twice) current_.next->blocks.push_back(*block);
      tree_.passed_block();
      ++reused_;
      return TakenLines{block->bytes, block->lines};
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
      block.checked_clean = !std::binary_search(reported.begin(), reported.end(), block.built.get());
}

std::vector<const VirtualServer*> CachedBlockReader::known_clean() {
  std::sort(known_clean_.begin(), known_clean_.end());
  return std::move(known_clean_);
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
