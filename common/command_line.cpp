// DOC: Operator command strings into an argv, without a shell unless the string needs one.
#include "common/command_line.hpp"

#include <cstring>

namespace vigil {

namespace {
bool needs_shell(char c) { return std::strchr("$`\\|&;<>()*?[]{}\n\r", c) != nullptr; }
}  // namespace

CommandLine split_command(std::string_view command) {
  const auto shell = [&] { return CommandLine{{"/bin/sh", "-c", std::string(command)}, true}; };
  CommandLine out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (const char c : command) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (quote == '"' && needs_shell(c)) {
        return shell();  // "$x" and `cmd` expand inside double quotes
      } else {
        word.push_back(c);
      }
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (in_word) out.argv.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    // Redirections, expansions, globs, comments, a leading VAR=value: all the shell's job.
    if (needs_shell(c) || (!in_word && (c == '~' || c == '#')) || (c == '=' && out.argv.empty())) return shell();
    in_word = true;
    if (c == '\'' || c == '"') {
      quote = c;
    } else {
      word.push_back(c);
    }
  }
  if (quote) return shell();  // unbalanced quote: let sh report it in its own words
  if (in_word) out.argv.push_back(std::move(word));
  return out;
}

}  // namespace vigil
