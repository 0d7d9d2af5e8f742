// DOC: Lexer — one physical line of keepalived.conf into tokens.
//
// keepalived's rules (lib/parser.c, decomment + alloc_strvec): `#` and `!` start a comment
// anywhere outside quotes, `\#` and `\!` are literal, a trailing `\` continues the line (used by
// multi-line `$NAME=` definitions), `"…"` and `'…'` quote (quotes are removed; `\"` `\\` escape
// inside them), and `{` `}` are tokens of their own wherever they appear outside quotes, so
// `virtual_ipaddress { 10.0.0.1 }` on one line works.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

struct Token {
  std::string text;
  std::uint32_t file = 0;  // index into the reader's file table
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  bool quoted = false;

  [[nodiscard]] bool is_open() const noexcept { return !quoted && text == "{"; }
  [[nodiscard]] bool is_close() const noexcept { return !quoted && text == "}"; }
  [[nodiscard]] bool is_brace() const noexcept { return is_open() || is_close(); }
};

struct LexedLine {
  std::vector<Token> tokens;
  bool continued = false;          // ended with an unquoted, unescaped backslash
  std::uint32_t unterminated_quote_column = 0;  // non-zero: a quote opened here never closed
};

/// Tokenises `text` (one line, without its newline). `column_base` is the 1-based column of
/// text[0] in the source line; substituted text keeps the column of what it replaced.
[[nodiscard]] LexedLine lex_line(std::string_view text, std::uint32_t file, std::uint32_t line,
                                 std::uint32_t column_base = 1);

/// The line without its comment (same rules as lex_line), for line-level processing such as
/// `$NAME=value` definitions and `include` lines.
[[nodiscard]] std::string strip_comment(std::string_view text);

}  // namespace conf
