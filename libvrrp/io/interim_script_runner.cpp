// DOC: posix_spawn + pidfd_open + steady_timer: a child per run, awaited without blocking.
#include "libvrrp/io/interim_script_runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;  // NOLINT: posix_spawn's environment

namespace vrrp::io {

struct InterimScriptRunner::Child {
  Child(boost::asio::io_context& io, int pidfd) : exit(io, pidfd), timer(io) {}
  pid_t pid = 0;
  boost::asio::posix::stream_descriptor exit;
  boost::asio::steady_timer timer;
  std::chrono::steady_clock::time_point started;
  bool timed_out = false;
  std::function<void(const vigil::ScriptOutcome&)> done;
};

InterimScriptRunner::InterimScriptRunner(boost::asio::io_context& io) : io_(io) {}

// Children still running are left to finish: a notify_stop started during the stop must not be
// killed by the daemon exiting (keepalived lets it run too). init reaps them.
InterimScriptRunner::~InterimScriptRunner() = default;

void InterimScriptRunner::run(const vigil::ScriptSpec& spec, std::function<void(const vigil::ScriptOutcome&)> done) {
  std::vector<std::string> args{"/bin/sh", "-c", spec.command + " \"$@\"", "sh"};
  args.insert(args.end(), spec.extra_args.begin(), spec.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);
  pid_t pid = 0;
  const int err = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    vigil::ScriptOutcome o;
    o.kind = vigil::ScriptOutcome::Kind::failed_to_start;
    o.error = std::string("posix_spawn: ") + std::strerror(err);
    boost::asio::post(io_, [done = std::move(done), o] { done(o); });
    return;
  }
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    vigil::ScriptOutcome o;
    o.kind = vigil::ScriptOutcome::Kind::failed_to_start;
    o.error = std::string("pidfd_open: ") + std::strerror(errno);
    boost::asio::post(io_, [done = std::move(done), o] { done(o); });
    return;
  }
  const std::uint64_t id = next_id_++;
  auto child = std::make_unique<Child>(io_, pidfd);
  child->pid = pid;
  child->started = std::chrono::steady_clock::now();
  child->done = std::move(done);
  Child& c = *child;
  children_[id] = std::move(child);
  c.timer.expires_after(spec.timeout);
  c.timer.async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = children_.find(id);
    if (it == children_.end()) return;
    it->second->timed_out = true;
    ::kill(-it->second->pid, SIGKILL);  // the whole group: a shell's children too
  });
  c.exit.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = children_.find(id);
    if (it == children_.end()) return;
    int status = 0;
    ::waitpid(it->second->pid, &status, 0);
    vigil::ScriptOutcome o;
    o.duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                        it->second->started);
    if (it->second->timed_out) {
      o.kind = vigil::ScriptOutcome::Kind::timed_out;
    } else if (WIFSIGNALED(status)) {
      o.kind = vigil::ScriptOutcome::Kind::signaled;
      o.code = WTERMSIG(status);
    } else {
      o.kind = vigil::ScriptOutcome::Kind::exited;
      o.code = WEXITSTATUS(status);
    }
    finish(id, o);
  });
}

void InterimScriptRunner::finish(std::uint64_t id, vigil::ScriptOutcome outcome) {
  auto it = children_.find(id);
  if (it == children_.end()) return;
  auto done = std::move(it->second->done);
  children_.erase(it);
  try {
    if (done) done(outcome);
  } catch (const std::exception&) {
    // never into Asio
  }
}

}  // namespace vrrp::io
