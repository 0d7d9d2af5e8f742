#include "conf/lexer.hpp"

namespace conf {

namespace {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Characters that end a word or need a look: blanks, braces, quotes, escapes, comments.
bool is_plain(char c) noexcept {
  return !is_blank(c) && c != '{' && c != '}' && c != '"' && c != '\'' && c != '\\' && c != '#' && c != '!';
}

}  // namespace

LexedLine lex_line(std::string_view text, std::uint32_t file, std::uint32_t line, std::uint32_t column_base) {
  LexedLine out;
  out.tokens.reserve(4);  // most lines: a keyword and a value or two
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto column_of = [&](std::size_t pos) { return static_cast<std::uint32_t>(column_base + pos); };

  while (i < n) {
    if (is_blank(text[i])) {
      ++i;
      continue;
    }
    const char c = text[i];
    if (c == '#' || c == '!') break;  // comment to end of line
    if (c == '{' || c == '}') {
      out.tokens.push_back(Token{std::string(1, c), file, line, column_of(i), false});
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 == n) {  // line continuation
      out.continued = true;
      break;
    }
    // A word: a run of non-blank, non-brace characters; quoted parts may contain anything.
    Token tok{{}, file, line, column_of(i), false};
    while (i < n && !is_blank(text[i]) && text[i] != '{' && text[i] != '}') {
      const char ch = text[i];
      if (ch == '"' || ch == '\'') {
        tok.quoted = true;
        const char quote = ch;
        const std::size_t open = i++;
        bool closed = false;
        while (i < n) {
          if (text[i] == '\\' && i + 1 < n && (text[i + 1] == quote || text[i + 1] == '\\')) {
            tok.text.push_back(text[i + 1]);
            i += 2;
            continue;
          }
          if (text[i] == quote) {
            closed = true;
            ++i;
            break;
          }
          tok.text.push_back(text[i++]);
        }
        if (!closed && out.unterminated_quote_column == 0) out.unterminated_quote_column = column_of(open);
        continue;
      }
      if (ch == '\\' && i + 1 < n && (text[i + 1] == '#' || text[i + 1] == '!')) {
        tok.text.push_back(text[i + 1]);
        i += 2;
        continue;
      }
      if (ch == '\\' && i + 1 == n) break;  // continuation right after a word
      if (ch == '#' || ch == '!') break;    // comment glued to a word: `weight 1#x`
      // the common case, a run of plain characters, is appended in one go
      const std::size_t run = i;
      while (i < n && is_plain(text[i])) ++i;
      if (i == run) ++i;  // a lone backslash not escaping anything is kept as it is
      tok.text.append(text.data() + run, i - run);
    }
    out.tokens.push_back(std::move(tok));
    if (i < n && (text[i] == '#' || text[i] == '!')) break;
    if (i + 1 == n && text[i] == '\\') {
      out.continued = true;
      break;
    }
  }
  return out;
}

std::string strip_comment(std::string_view text) {
  std::string out;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
      out.push_back(c);
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '#' || text[i + 1] == '!')) {
      out.push_back(text[++i]);
      continue;
    }
    if (c == '#' || c == '!') break;
    out.push_back(c);
  }
  while (!out.empty() && is_blank(out.back())) out.pop_back();
  std::size_t start = 0;
  while (start < out.size() && is_blank(out[start])) ++start;
  return out.substr(start);
}

}  // namespace conf
