// DOC: fork/exec with pidfd and an exec-error pipe (see child_process.hpp).
#include "common/process/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace vigil::process {

namespace {

enum class Stage : int { setpgid = 1, stdin_null, redirect, setgroups, setgid, setuid, exec };

const char* stage_name(int stage) {
  switch (static_cast<Stage>(stage)) {
    case Stage::setpgid: return "setpgid";
    case Stage::stdin_null: return "open /dev/null";
    case Stage::redirect: return "dup2";
    case Stage::setgroups: return "setgroups";
    case Stage::setgid: return "setgid";
    case Stage::setuid: return "setuid";
    case Stage::exec: return "exec";
  }
  return "spawn";
}

struct ChildFailure {
  int stage;
  int error;
};

[[noreturn]] void child_fail(int error_fd, Stage stage) {
  const ChildFailure failure{static_cast<int>(stage), errno};
  (void)!::write(error_fd, &failure, sizeof failure);
  ::_exit(127);
}

/// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void run_child(const char* path, char* const* argv, const Credentials* credentials, int output_fd,
                            int error_fd) {
  if (::setpgid(0, 0) != 0) child_fail(error_fd, Stage::setpgid);
  // A script never inherits the daemon's real-time priority (it could starve the VRRP loop).
  const sched_param normal{};
  (void)::sched_setscheduler(0, SCHED_OTHER, &normal);

  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) (void)::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);

  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) child_fail(error_fd, Stage::stdin_null);
  if (::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(output_fd, STDOUT_FILENO) < 0 ||
      ::dup2(output_fd, STDERR_FILENO) < 0) {
    child_fail(error_fd, Stage::redirect);
  }

  if (credentials) {
    if (::setgroups(credentials->groups.size(), credentials->groups.data()) != 0) {
      child_fail(error_fd, Stage::setgroups);
    }
    if (::setgid(credentials->gid) != 0) child_fail(error_fd, Stage::setgid);
    if (::setuid(credentials->uid) != 0) child_fail(error_fd, Stage::setuid);
  }

  // Sockets of the daemon (Asio does not open them close-on-exec) must not leak into scripts.
  (void)::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(path, argv, environ);
  child_fail(error_fd, Stage::exec);
}

std::optional<std::string> find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* env = std::getenv("PATH");
  const std::string path = env && *env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = path.find(':', start);
    const std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

vigil::Error errno_error(const std::string& what) {
  const int err = errno;
  return vigil::make_error(what + ": " + std::strerror(err), err);
}

}  // namespace

vigil::Result<SpawnedChild> spawn_child(const std::vector<std::string>& argv,
                                        const std::optional<Credentials>& credentials) {
  if (argv.empty()) return vigil::make_error("empty command");
  const auto path = find_in_path(argv[0]);
  if (!path) return vigil::make_error("'" + argv[0] + "' not found in PATH");

  // Running as the script user already (an unprivileged daemon, or script_user = root): nothing to
  // switch, and setgroups() would need CAP_SETGID for nothing.
  const Credentials* switch_to = credentials ? &*credentials : nullptr;
  if (switch_to && switch_to->uid == ::geteuid() && switch_to->gid == ::getegid()) switch_to = nullptr;

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  int output[2];
  int error[2];
  if (::pipe2(output, O_CLOEXEC) != 0) return errno_error("pipe");
  if (::pipe2(error, O_CLOEXEC) != 0) {
    const auto e = errno_error("pipe");
    ::close(output[0]);
    ::close(output[1]);
    return e;
  }

  const pid_t pid = ::fork();
  if (pid == 0) run_child(path->c_str(), args.data(), switch_to, output[1], error[1]);
  ::close(output[1]);
  ::close(error[1]);
  if (pid < 0) {
    const auto e = errno_error("fork");
    ::close(output[0]);
    ::close(error[0]);
    return e;
  }
  (void)::setpgid(pid, pid);  // also in the parent, so a kill(-pid) right away finds the group

  // glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++, so the system call is made directly.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
  if (pidfd < 0) {
    const auto e = errno_error("pidfd_open");
    ::kill(-pid, SIGKILL);
    (void)::waitpid(pid, nullptr, 0);
    ::close(output[0]);
    ::close(error[0]);
    return e;
  }
  (void)::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  (void)::fcntl(output[0], F_SETFL, O_NONBLOCK);
  return SpawnedChild{pid, pidfd, output[0], error[0]};
}

std::optional<std::string> read_spawn_error(int error_fd) {
  ChildFailure failure{};
  const auto n = ::read(error_fd, &failure, sizeof failure);
  if (n != static_cast<ssize_t>(sizeof failure)) return std::nullopt;
  return std::string(stage_name(failure.stage)) + ": " + std::strerror(failure.error);
}

}  // namespace vigil::process
