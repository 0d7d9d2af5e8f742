// DOC: CommandLine — how an operator's script string (notify_master, vrrp_script, misc_path,
// notify_up, quorum_up, ...) is run: split into an argv and exec'd directly when it is plain
// words, handed whole to /bin/sh -c only when it uses something a shell would interpret. Config
// strings never pass through a shell they do not ask for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil {

struct CommandLine {
  std::vector<std::string> argv;  // empty when the string is empty
  bool uses_shell = false;        // argv is {"/bin/sh", "-c", string}
};

/// Splits on blanks with '…' and "…" quoting (no escapes inside). Anything a shell would
/// interpret — $ ` \ | & ; < > ( ) * ? [ ] { } ~ # = at a word start, newlines — means the string
/// needs the shell, and then it is passed whole to /bin/sh -c, as keepalived would run it.
[[nodiscard]] CommandLine split_command(std::string_view command);

}  // namespace vigil
