#include "conf/source_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace conf {

namespace {

// The C locale's isspace, inline: it runs on the first word of every line.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string dirname_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool is_include_keyword(std::string_view w) {
  return w == "include" || w == "includer" || w == "includem" || w == "includew" || w == "includeb" ||
         w == "includea";
}

}  // namespace

bool SourceReader::read(const std::string& path, const Sink& sink) { return read_file(path, SourceLoc{}, sink); }

bool SourceReader::read_file(const std::string& path, const SourceLoc& included_from, const Sink& sink) {
  const std::string canonical = provider_.canonical(path);
  const auto loop = std::find_if(stack_.begin(), stack_.end(), [&](const Frame& f) { return f.canonical == canonical; });
  if (loop != stack_.end()) {
    std::string chain;
    for (auto it = loop; it != stack_.end(); ++it) chain += it->path + " -> ";
    diag_.error(included_from, "include loop: " + chain + path);
    return false;
  }
  if (stack_.size() >= options_.max_include_depth) {
    diag_.error(included_from, "includes nested deeper than " + std::to_string(options_.max_include_depth) +
                                   " files at '" + path + "'");
    return false;
  }
  std::string error;
  // Shared: a parse cache holds it until the parse ends, so that no later read in the same
  // parse can reuse its address (which is how the cache tells one read of a file from another).
  const auto text = provider_.read(path, error);
  const std::uint32_t file = files_.add(path);
  if (!text) {
    if (included_from.file)
      diag_.error(included_from, "cannot read included file '" + path + "': " + error);
    else
      diag_.error(files_.loc(file, 0, 0), "cannot read configuration file: " + error);
    return false;
  }
  if (const auto nul = text->find('\0'); nul != std::string::npos) {
    const auto line = static_cast<std::uint32_t>(std::count(text->begin(), text->begin() + static_cast<long>(nul), '\n') + 1);
    diag_.error(files_.loc(file, line, 1), "file contains a NUL byte: this is not a text configuration file");
    return false;
  }
  if (text->empty() && !included_from.file) diag_.warning(files_.loc(file, 0, 0), "configuration file is empty");

  stack_.push_back({path, canonical});
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  const FileText file_text{path, text};
  while (pos <= text->size()) {
    if (line_start_hook_ && !in_definition_) {
      const auto taken = line_start_hook_(file_text, line_no + 1, pos);
      if (taken.lines > 0) {
        line_no += taken.lines;
        pos += taken.bytes;
        continue;
      }
    }
    const auto end = text->find('\n', pos);
    const auto stop = end == std::string::npos ? text->size() : end;
    ++line_no;
    std::string_view raw(text->data() + pos, stop - pos);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    process_line(raw, file, line_no, sink);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (in_definition_) {  // a definition continued past the end of its file
    in_definition_ = false;
    pending_definition_.clear();
  }
  stack_.pop_back();
  return true;
}

void SourceReader::process_line(std::string_view raw, std::uint32_t file, std::uint32_t line, const Sink& sink) {
  std::string_view text = raw;
  std::uint32_t column_base = 1;
  auto skip_blanks = [&] {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
      text.remove_prefix(1);
      ++column_base;
    }
  };
  skip_blanks();

  if (in_definition_) {  // continuation of a multi-line $NAME= definition
    std::string part = strip_comment(text);
    const bool more = !part.empty() && part.back() == '\\';
    if (more) part.pop_back();
    pending_definition_ += "\n" + std::string(trim(part));
    if (!more) {
      const auto eq = pending_definition_.find('=');
      definitions_[pending_definition_.substr(0, eq)] = pending_definition_.substr(eq + 1);
      pending_definition_.clear();
      in_definition_ = false;
    }
    return;
  }

  // @ID line / @^ID line: keepalived's per-host conditional configuration.
  if (!text.empty() && text.front() == '@') {
    std::size_t i = 1;
    const bool negate = i < text.size() && text[i] == '^';
    if (negate) ++i;
    const std::size_t name_start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    const std::string_view id = text.substr(name_start, i - name_start);
    const bool match = id == options_.config_id;
    if (match == negate) return;  // line not for this host
    text.remove_prefix(i);
    column_base += static_cast<std::uint32_t>(i);
    skip_blanks();
  }

  // $NAME=value definition.
  if (!text.empty() && text.front() == '$') {
    const std::string body = strip_comment(text.substr(1));
    const auto eq = body.find('=');
    if (eq != std::string::npos) {
      const std::string name(trim(std::string_view(body).substr(0, eq)));
      if (!name.empty() && is_name_start(name[0]) && std::all_of(name.begin(), name.end(), is_name_char)) {
        std::string value(trim(std::string_view(body).substr(eq + 1)));
        if (!value.empty() && value.back() == '\\') {
          value.pop_back();
          pending_definition_ = name + "=" + std::string(trim(value));
          in_definition_ = true;
          return;
        }
        definitions_[name] = value;
        return;
      }
    }
  }

  // include PATTERN — no substitution on include lines (keepalived does the same).
  {
    std::size_t i = 0;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (is_include_keyword(text.substr(0, i))) {
      include(strip_comment(text.substr(i)), file, line, column_base + static_cast<std::uint32_t>(i) + 1, sink);
      return;
    }
  }

  if (text.find('$') != std::string_view::npos && !definitions_.empty()) {
    const std::string expanded = substitute(text);
    // A multi-line definition expands into several lines, all reported at this line.
    std::size_t pos = 0;
    while (true) {
      const auto nl = expanded.find('\n', pos);
      auto lexed = lex_line(std::string_view(expanded).substr(pos, nl == std::string::npos ? nl : nl - pos), file,
                            line, column_base);
      if (lexed.unterminated_quote_column)
        diag_.error(files_.loc(file, line, lexed.unterminated_quote_column), "unterminated quote");
      if (!lexed.tokens.empty()) sink(std::move(lexed));
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    return;
  }

  auto lexed = lex_line(text, file, line, column_base);
  if (lexed.unterminated_quote_column)
    diag_.error(files_.loc(file, line, lexed.unterminated_quote_column), "unterminated quote");
  if (!lexed.tokens.empty()) sink(std::move(lexed));
}

std::string SourceReader::substitute(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '$') {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t name_begin = i + 1;
    std::size_t name_end = name_begin;
    bool braced = false;
    if (name_begin < text.size() && text[name_begin] == '{') {
      braced = true;
      ++name_begin;
      name_end = text.find('}', name_begin);
      if (name_end == std::string_view::npos) {
        out.push_back(text[i++]);
        continue;
      }
    } else {
      while (name_end < text.size() && is_name_char(text[name_end])) ++name_end;
    }
    std::string_view name = text.substr(name_begin, name_end - name_begin);
    std::optional<std::string> value;
    if (braced && name.substr(0, 5) == "_ENV ") {  // ${_ENV NAME} (keepalived 2.4)
      if (const char* env = std::getenv(std::string(trim(name.substr(5))).c_str())) value = env;
      else value = std::string();
    } else if (const auto it = definitions_.find(name); it != definitions_.end()) {
      value = it->second;
    }
    if (!value || name.empty()) {  // unknown names are left as written, as keepalived does
      out.push_back(text[i++]);
      continue;
    }
    out += *value;
    i = name_end + (braced ? 1 : 0);
  }
  return out;
}

void SourceReader::include(std::string_view pattern_text, std::uint32_t file, std::uint32_t line,
                           std::uint32_t column, const Sink& sink) {
  const SourceLoc here = files_.loc(file, line, column);
  auto words = lex_line(pattern_text, file, line, column).tokens;
  if (words.empty()) {
    diag_.error(here, "'include' needs a file name or pattern");
    return;
  }
  for (const auto& word : words) {
    std::string pattern = word.text;
    if (pattern.empty()) continue;
    if (pattern.front() != '/') pattern = dirname_of(stack_.back().path) + "/" + pattern;
    if (has_glob_chars(pattern)) {
      const auto matches = provider_.glob(pattern);
      if (matches.empty()) diag_.warning(files_.loc(word), "no files match include pattern '" + word.text + "'");
      for (const auto& m : matches) read_file(m, files_.loc(word), sink);
    } else {
      read_file(pattern, files_.loc(word), sink);
    }
  }
}

}  // namespace conf
