// DOC: Statement tree — lexed lines into `keyword args… [{ children }]` nodes.
//
// A block opens with `{` on the keyword's line or as the first token of the next line (both
// occur in field configs). Braces are matched here, once, so later stages never see brace
// errors. Resynchronisation: a top-level block keyword (vrrp_instance, virtual_server, …) found
// inside another block with its own `{` means a `}` is missing — the open blocks are closed
// there with one error instead of reporting every following keyword as misplaced.
#pragma once

#include <vector>

#include "conf/diagnostics.hpp"
#include "conf/file_table.hpp"
#include "conf/lexer.hpp"

namespace conf {

struct Statement {
  Token keyword;
  std::vector<Token> args;
  std::vector<Statement> children;
  bool has_block = false;
  Token open_brace;  // valid when has_block
};

class TreeBuilder {
 public:
  TreeBuilder(Diagnostics& diag, const FileTable& files, std::size_t max_depth = 64)
      : diag_(diag), files_(files), max_depth_(max_depth) {}

  /// Offered each top-level block as soon as its '}' is read; returning true takes it (it is
  /// then not in finish()'s result). Lets a parse build and free blocks as it reads.
  using BlockSink = std::function<bool(Statement& block)>;
  void set_block_sink(BlockSink sink) { sink_ = std::move(sink); }

  void add_line(LexedLine&& line);
  /// Between lines at the top level: no block open, nothing being skipped.
  [[nodiscard]] bool at_top_level() const noexcept { return stack_.empty() && discard_depth_ == 0; }
  /// Top-level statements kept so far (blocks a sink took are not counted).
  [[nodiscard]] std::size_t top_level_count() const noexcept { return top_.size(); }
  /// A complete top-level block was passed over without its lines (the parse cache had it):
  /// the state is that after its closing `}` line.
  void passed_block() noexcept { last_completed_can_take_block_ = false; }
  /// Closes what is still open (reporting it) and returns the top-level statements.
  std::vector<Statement> finish();

 private:
  struct Open {
    Statement stmt;
    bool discard = false;  // contents skipped (nesting too deep or a stray '{')
  };
  std::vector<Statement>& container();
  void complete_pending();
  void close_block(const Token& brace);
  void open_block(const Token& brace);

  Diagnostics& diag_;
  const FileTable& files_;
  std::size_t max_depth_;
  BlockSink sink_;
  std::vector<Statement> top_;
  std::vector<Open> stack_;
  std::optional<Statement> pending_;         // the statement being read on the current line
  bool last_completed_can_take_block_ = false;  // previous line ended a block-less statement
  std::size_t discard_depth_ = 0;            // >0 while skipping an over-deep or stray block
};

/// True for keywords that only appear at the top level and open a block.
[[nodiscard]] bool is_top_level_block_keyword(std::string_view keyword) noexcept;

}  // namespace conf
