// DOC: MISC_CHECK exit mapping and command splitting.
#include "libhealth/core/misc_rules.hpp"

#include <cstring>

namespace health {

ProbeResult evaluate_misc_exit(const ChildExit& exit, bool dynamic, Duration timeout) {
  if (exit.timed_out) return ProbeResult::failure("script timed out after " + format_duration(timeout) + " (killed)");
  if (exit.signal) {
    const char* name = sigabbrev_np(*exit.signal);
    return ProbeResult::failure("script killed by signal " +
                                (name ? "SIG" + std::string(name) : std::to_string(*exit.signal)));
  }
  const int code = exit.exit_code.value_or(-1);
  if (code == 0) return ProbeResult::success("script exited 0");
  if (dynamic && code >= 2 && code <= 255) {
    ProbeResult r = ProbeResult::success("script exited " + std::to_string(code) + ": misc_dynamic weight " +
                                         std::to_string(code - 2));
    r.dynamic_weight = static_cast<std::uint32_t>(code - 2);
    return r;
  }
  return ProbeResult::failure("script exited " + std::to_string(code));
}

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

}  // namespace health
