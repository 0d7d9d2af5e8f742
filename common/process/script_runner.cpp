#include "common/process/script_runner.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/command_line.hpp"
#include "common/process/spawn.hpp"

namespace vigil::process {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct AsioScriptRunner::Child {
  Child(asio::io_context& io, const SpawnedChild& c) : pid(c.pid), error_fd(c.error_fd), exit(io, c.pidfd), output(io, c.output_fd), timer(io) {}
  ~Child() {
    if (error_fd >= 0) ::close(error_fd);
  }
  pid_t pid;
  int error_fd;
  asio::posix::stream_descriptor exit;
  asio::posix::stream_descriptor output;
  asio::steady_timer timer;
  std::array<char, 4096> buffer{};
  std::size_t output_total = 0;
  Clock::time_point started = Clock::now();
  bool timed_out = false;
  std::function<void(const ScriptOutcome&)> done;
};

namespace {
// The first word of a shell command line, up to a blank or an operator.
std::string leading_word(std::string_view command) {
  const auto start = command.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  const auto end = command.find_first_of(" \t\n;&|<>()`$", start);
  return std::string(command.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}
}  // namespace

std::optional<std::string> default_script_user() {
  for (const char* name : {"vigil_script", "keepalived_script"}) {
    passwd pw{};
    passwd* found = nullptr;
    std::array<char, 4096> buf{};
    if (::getpwnam_r(name, &pw, buf.data(), buf.size(), &found) == 0 && found) return std::string(name);
  }
  return std::nullopt;
}

std::optional<std::string> insecure_script(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::canonical(path, ec);
  if (ec) return "cannot resolve " + path + ": " + ec.message();
  // The file and every directory above it: any of them writable by someone other than root lets
  // that someone replace what we run (keepalived's check_script_secure does the same walk).
  for (;;) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return "cannot stat " + p.string() + ": " + std::strerror(errno);
    if (st.st_uid != 0) return p.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not root";
    const bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
    if ((st.st_mode & S_IWOTH) && !sticky_dir) return p.string() + " is writable by everyone";
    if ((st.st_mode & S_IWGRP) && st.st_gid != 0) return p.string() + " is writable by group " + std::to_string(st.st_gid);
    if (p == p.root_path()) break;
    p = p.parent_path();
  }
  return std::nullopt;
}

AsioScriptRunner::AsioScriptRunner(asio::io_context& io, log::Logger& log, ScriptPolicy policy)
    : io_(io), log_(log), policy_(std::move(policy)) {}

AsioScriptRunner::~AsioScriptRunner() {
  // Leave running scripts alone (see the header); release our ends without killing them.
  for (auto& [id, child] : children_) {
    boost::system::error_code ignored;
    child->timer.cancel();
    child->exit.release();
    child->output.close(ignored);
  }
}

void AsioScriptRunner::run(const ScriptSpec& spec, std::function<void(const ScriptOutcome&)> done) {
  auto fail = [&](std::string why) {
    ScriptOutcome o;
    o.kind = ScriptOutcome::Kind::failed_to_start;
    o.error = std::move(why);
    asio::post(io_, [done = std::move(done), o] { done(o); });  // always asynchronous, like a real exit
  };
  CommandLine command = split_command(spec.command);
  if (command.argv.empty()) return fail("empty command");
  if (command.uses_shell) {
    // keepalived appends its arguments to the string; the shell then sees them as words.
    for (const auto& a : spec.extra_args) command.argv[2] += " '" + a + "'";
  } else {
    command.argv.insert(command.argv.end(), spec.extra_args.begin(), spec.extra_args.end());
  }

  std::optional<std::string> user = spec.user ? spec.user : policy_.user;
  std::optional<std::string> group = spec.user ? spec.group : policy_.group;
  if (!user) user = default_script_user();
  std::optional<Credentials> credentials;
  if (user) {
    auto found = users_.lookup(*user, group);
    if (!found) return fail("script user: " + found.error().message);
    if (found->uid != ::geteuid()) credentials = *found;
  } else if (!warned_root_) {
    warned_root_ = true;
    log_.warning("scripts run as root: set script_user in global_defs (or create a 'vigil_script' user)");
  }
  if (policy_.enable_script_security) {
    // A command run through the shell still starts with the program it runs ("/x/check.sh >
    // /dev/null"): check that one too, or shell syntax would be a way around the check. A first
    // word that names no file (an assignment, a subshell) cannot be checked and is refused.
    std::string program = command.uses_shell ? leading_word(spec.command) : command.argv[0];
    if (program.find('/') == std::string::npos) {
      // Resolve through PATH as exec would, so the check looks at the file that would run.
      if (const char* path = std::getenv("PATH")) {
        std::string dirs = path;
        std::size_t start = 0;
        while (start <= dirs.size()) {
          const auto end = dirs.find(':', start);
          const std::string candidate = dirs.substr(start, end - start) + "/" + program;
          if (::access(candidate.c_str(), X_OK) == 0) {
            program = candidate;
            break;
          }
          if (end == std::string::npos) break;
          start = end + 1;
        }
      }
    }
    if (const auto why = insecure_script(program)) {
      // Logged once per command: a vrrp_script refused at every interval is otherwise just a
      // failing check, and must not fill the log either.
      if (refused_.insert(spec.command).second)
        log_.warning("script '" + spec.command + "' refused by enable_script_security: " + *why);
      return fail("refused by enable_script_security: " + *why);
    }
  }

  auto spawned = spawn_child(command.argv, credentials);
  if (!spawned) return fail(spawned.error().message);
  auto child = std::make_shared<Child>(io_, *spawned);
  child->done = std::move(done);
  const std::uint64_t id = next_id_++;
  children_.emplace(id, child);

  drain(child);
  std::weak_ptr<Child> weak = child;
  child->timer.expires_after(spec.timeout);
  child->timer.async_wait([weak](const boost::system::error_code& ec) {
    auto c = weak.lock();
    if (ec || !c) return;
    c->timed_out = true;
    ::kill(-c->pid, SIGKILL);  // the whole process group: the script and what it started
  });
  child->exit.async_wait(asio::posix::stream_descriptor::wait_read,
                         [this, id](const boost::system::error_code& ec) {
                           if (ec == asio::error::operation_aborted) return;  // the runner is gone
                           finish(id);
                         });
}

void AsioScriptRunner::drain(const std::shared_ptr<Child>& child) {
  // Read and discard up to the cap, then close our end: a flooding script gets SIGPIPE, not memory.
  std::weak_ptr<Child> weak = child;
  child->output.async_read_some(asio::buffer(child->buffer), [this, weak](const boost::system::error_code& ec, std::size_t n) {
    const auto c = weak.lock();
    if (!c || ec) return;
    c->output_total += n;
    if (c->output_total > policy_.output_cap) {
      boost::system::error_code ignored;
      c->output.close(ignored);
      return;
    }
    drain(c);
  });
}

void AsioScriptRunner::finish(std::uint64_t id) {
  const auto it = children_.find(id);
  if (it == children_.end()) return;
  const auto child = it->second;
  children_.erase(it);
  int status = 0;
  const pid_t reaped = ::waitpid(child->pid, &status, 0);  // the pidfd said it exited: no wait
  child->timer.cancel();
  boost::system::error_code ignored;
  child->output.close(ignored);
  ScriptOutcome o;
  o.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - child->started);
  if (const auto why = read_spawn_error(child->error_fd)) {
    o.kind = ScriptOutcome::Kind::failed_to_start;
    o.error = *why;
  } else if (child->timed_out) {
    o.kind = ScriptOutcome::Kind::timed_out;
  } else if (reaped != child->pid) {
    o.kind = ScriptOutcome::Kind::failed_to_start;
    o.error = std::string("waitpid: ") + std::strerror(errno);
  } else if (WIFSIGNALED(status)) {
    o.kind = ScriptOutcome::Kind::signaled;
    o.code = WTERMSIG(status);
  } else {
    o.kind = ScriptOutcome::Kind::exited;
    o.code = WEXITSTATUS(status);
  }
  if (child->done) {
    try {
      child->done(o);
    } catch (const std::exception& e) {
      log_.error(std::string("script completion handler failed: ") + e.what());
    }
  }
}

}  // namespace vigil::process
