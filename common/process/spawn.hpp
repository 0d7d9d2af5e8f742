// DOC: Starting an operator's script (MISC_CHECK, notify, vrrp_script) without blocking the loop and without a shell unless needed.
//
// fork + exec (posix_spawn cannot change user). In the child only async-signal-safe calls run:
// new process group (so a timeout can SIGKILL the script and everything it started), default
// signal dispositions and an empty mask (the daemon ignores SIGPIPE; that must not leak), stdin
// from /dev/null, stdout+stderr into a pipe the parent reads and discards up to a cap,
// setgroups/setgid/setuid to the script user, every other fd marked close-on-exec, execve.
// A failure before exec is written to a close-on-exec error pipe, which the parent reads once the
// child has exited — never a blocking read while the child runs. A pidfd tells the loop when the
// child exits, without a process-wide SIGCHLD handler that could reap other children.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/process/credentials.hpp"

namespace vigil::process {

struct SpawnedChild {
  pid_t pid = -1;
  int pidfd = -1;      // readable when the child has exited
  int output_fd = -1;  // read end of the child's stdout/stderr
  int error_fd = -1;   // read end of the exec-error pipe
};

/// argv[0] is looked up in PATH (in the parent) when it has no slash.
[[nodiscard]] vigil::Result<SpawnedChild> spawn_child(const std::vector<std::string>& argv,
                                                      const std::optional<Credentials>& credentials);

/// After the child exited: why it never reached exec, if it did not ("setuid: Operation not permitted").
[[nodiscard]] std::optional<std::string> read_spawn_error(int error_fd);

}  // namespace vigil::process
