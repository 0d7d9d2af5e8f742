// DOC: MISC_CHECK rules that need no process: how an exit status maps to a verdict and a weight
// (keepalived check_misc.c misc_check_child_thread). Command splitting is common/command_line.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/command_line.hpp"
#include "libhealth/core/types.hpp"

namespace health {

/// How the child ended, as waitpid() told it, plus whether we killed it for misc_timeout.
struct ChildExit {
  std::optional<int> exit_code;  // WEXITSTATUS when it exited
  std::optional<int> signal;     // WTERMSIG when a signal ended it
  bool timed_out = false;        // we sent SIGKILL because misc_timeout passed
};

/// exit 0 → up; exit 1 → down; exit 2..255 → up with weight code − 2 under misc_dynamic, down
/// without it; a signal or a timeout → down.
[[nodiscard]] ProbeResult evaluate_misc_exit(const ChildExit& exit, bool dynamic, Duration timeout);

using vigil::CommandLine;
using vigil::split_command;

}  // namespace health
