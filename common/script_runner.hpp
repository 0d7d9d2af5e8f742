// DOC: ScriptRunner — runs operator scripts (VRRP notify_*, vrrp_script, MISC_CHECK,
// notify_up/down, quorum_up/down) as child processes without blocking the event loop: no shell
// unless the command needs one, as script_user, killed (with its process group) on timeout,
// output read and discarded up to a cap. One implementation serves every subsystem.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vigil {

struct ScriptSpec {
  std::string command;               // as the operator wrote it ("/bin/notify.sh arg1 arg2")
  std::optional<std::string> user;   // run as this user (default: the runner's policy)
  std::optional<std::string> group;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  std::vector<std::string> extra_args;  // appended, e.g. keepalived's `INSTANCE VI_1 MASTER 100`
};

struct ScriptOutcome {
  enum class Kind { exited, signaled, timed_out, failed_to_start } kind = Kind::exited;
  int code = 0;            // exit status, or signal number
  std::string error;       // why it failed to start ("exec: No such file or directory")
  std::chrono::microseconds duration{0};
  [[nodiscard]] bool success() const noexcept { return kind == Kind::exited && code == 0; }
};

class ScriptRunner {
 public:
  virtual ~ScriptRunner() = default;
  /// Starts the script; `done` runs on the loop when it exits or is killed. Never blocks.
  virtual void run(const ScriptSpec& spec, std::function<void(const ScriptOutcome&)> done) = 0;
  /// Scripts still running (for a bounded shutdown).
  [[nodiscard]] virtual std::size_t running() const = 0;
};

}  // namespace vigil
