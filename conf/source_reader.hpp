// DOC: SourceReader — keepalived's preprocessor: files and includes in, lexed lines out.
//
// Handles, in keepalived's order for each physical line: `@ID` / `@^ID` conditional lines
// (kept when the config id matches / does not match), `include` (globs with csh braces, paths
// relative to the including file, loop and depth detection), `$NAME=value` definitions (a
// trailing `\` continues a definition over several lines) and `$NAME` / `${NAME}` substitution
// (not on include lines). Lines are handed to a sink one at a time, so memory stays proportional
// to the parse tree, not to the text.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conf/diagnostics.hpp"
#include "conf/file_table.hpp"
#include "conf/lexer.hpp"
#include "conf/source_provider.hpp"

namespace conf {

struct ReaderOptions {
  std::string config_id;              // keepalived -i; matched by `@ID` lines
  std::size_t max_include_depth = 32;
};

/// One file as read: its path as the reader names it, and its whole text.
struct FileText {
  const std::string& path;
  const std::shared_ptr<const std::string>& text;
};

/// Lines a LineStartHook read itself, so the reader passes over them.
struct TakenLines {
  std::size_t bytes = 0;  // whole lines, newlines included
  std::uint32_t lines = 0;
};

class SourceReader {
 public:
  using Sink = std::function<void(LexedLine&&)>;
  /// Offered the start of each physical line (`offset` into the file's text, `line` 1-based;
  /// also the end of a file whose text ends with a newline) before the reader processes it,
  /// except inside a continued `$NAME=` definition. The parse cache uses it to take a block
  /// unchanged since the last parse whole, instead of lexing it again.
  using LineStartHook = std::function<TakenLines(const FileText& file, std::uint32_t line, std::size_t offset)>;
  void set_line_start_hook(LineStartHook hook) { line_start_hook_ = std::move(hook); }

  SourceReader(SourceProvider& provider, ReaderOptions options, Diagnostics& diag, FileTable& files)
      : provider_(provider), options_(std::move(options)), diag_(diag), files_(files) {}

  /// Reads the main file and everything it includes. Returns false when the main file itself
  /// could not be read (an error has been reported).
  bool read(const std::string& path, const Sink& sink);

 private:
  struct Frame {
    std::string path;
    std::string canonical;
  };
  bool read_file(const std::string& path, const SourceLoc& included_from, const Sink& sink);
  void process_line(std::string_view raw, std::uint32_t file, std::uint32_t line, const Sink& sink);
  void include(std::string_view pattern_text, std::uint32_t file, std::uint32_t line, std::uint32_t column,
               const Sink& sink);
  [[nodiscard]] std::string substitute(std::string_view text) const;

  SourceProvider& provider_;
  ReaderOptions options_;
  Diagnostics& diag_;
  FileTable& files_;
  std::vector<Frame> stack_;
  LineStartHook line_start_hook_;
  std::map<std::string, std::string, std::less<>> definitions_;
  // A `$NAME=value \` definition that continues on the next line.
  std::string pending_definition_;
  bool in_definition_ = false;
};

}  // namespace conf
