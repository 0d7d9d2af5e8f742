// DOC: MISC_CHECK: run the operator's command as the script user, judge its exit status.
//
// Never blocks the loop: the fork happens in the parent (the only synchronous step, a few hundred
// µs), the exit is awaited on a pidfd, the output on a non-blocking pipe. Output is read and
// discarded; the first line is kept for the log, and past ProbeOptions::misc_output_cap bytes the
// pipe is closed, so a script that floods its stdout costs neither memory nor loop time (it then
// gets SIGPIPE, which fails the check with a reason that says so). On misc_timeout the whole
// process group gets SIGKILL (keepalived sends SIGTERM first, then SIGKILL; a health check that
// overran has no use for a grace period).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "libhealth/core/misc_rules.hpp"
#include "common/process/spawn.hpp"
#include "libhealth/probes/operation.hpp"
#include "libhealth/probes/probes.hpp"

namespace health::detail {

namespace {

constexpr std::size_t k_output_head = 200;

class MiscProbe final : public Operation {
 public:
  MiscProbe(ProbeContext& context, const ProbeSpec& spec)
      : Operation(context, spec.timeout), misc_(std::get<MiscSpec>(spec.spec)), pidfd_(context.io()),
        output_(context.io()) {
    output_head_.reserve(k_output_head);  // so take_output() never allocates inside a handler
  }

  ~MiscProbe() override {
    if (pid_ > 0 && !reaped_) {
      // The loop went away with the script still running (shutdown): do not leave a zombie.
      ::kill(-pid_, SIGKILL);
      (void)::waitpid(pid_, nullptr, 0);
    }
    if (error_fd_ >= 0) ::close(error_fd_);
  }

  asio::awaitable<ProbeResult> run() {
    const CommandLine command = split_command(misc_.command);
    if (command.argv.empty()) co_return ProbeResult::failure("empty misc_path");
    std::optional<vigil::process::Credentials> credentials;
    if (misc_.user) {
      auto found = context().users().lookup(*misc_.user, misc_.group);
      if (!found) co_return ProbeResult::failure(found.error().message);
      credentials = *found;
    }
    auto child = vigil::process::spawn_child(command.argv, credentials);
    if (!child) co_return ProbeResult::failure("cannot run '" + misc_.command + "': " + child.error().message);
    pid_ = child->pid;
    error_fd_ = child->error_fd;
    pidfd_.assign(child->pidfd);
    output_.assign(child->output_fd);
    read_output();
    arm_deadline();

    int status = 0;
    for (;;) {
      error_code ec;
      co_await pidfd_.async_wait(asio::posix::stream_descriptor::wait_read, ec_token(ec));
      const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
      if (reaped == pid_) break;
      if (reaped < 0) {
        // ECHILD: someone else reaped it (a SIGCHLD handler with waitpid(-1) in the daemon).
        reaped_ = true;
        co_return ProbeResult::failure(std::string("waitpid: ") + std::strerror(errno));
      }
      if (ec) co_return ProbeResult::failure("waiting for the script failed: " + ec.message());
    }
    reaped_ = true;
    error_code ignored;
    output_.close(ignored);

    if (const auto why = vigil::process::read_spawn_error(error_fd_)) {
      co_return ProbeResult::failure("cannot run '" + command.argv[0] + "': " + *why);
    }
    if (cancelled()) co_return ProbeResult::failure("cancelled");
    ChildExit exit;
    exit.timed_out = timed_out();
    if (WIFEXITED(status)) exit.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
    ProbeResult result = evaluate_misc_exit(exit, misc_.dynamic, timeout_);
    if (output_capped_) result.reason += " after more than " + std::to_string(output_total_) + " bytes of output";
    if (!result.ok && !output_head_.empty()) result.reason += " (output: " + output_head_ + ")";
    co_return result;
  }

 private:
  void abort() noexcept override {
    if (pid_ > 0 && !reaped_) ::kill(-pid_, SIGKILL);
  }

  void read_output() {
    output_.async_read_some(asio::buffer(buffer_), [self = std::static_pointer_cast<MiscProbe>(shared_from_this())](
                                                       const error_code& ec, std::size_t n) {
      if (ec) return;  // EOF, or closed after the script exited
      self->take_output(n);
      error_code ignored;
      if (self->output_total_ > self->context().options().misc_output_cap) {
        self->output_capped_ = true;
        self->output_.close(ignored);
        return;
      }
      try {
        self->read_output();
      } catch (...) {
        self->output_.close(ignored);  // cannot keep reading: let the script see EPIPE instead
      }
    });
  }

  void take_output(std::size_t n) noexcept {
    output_total_ += n;
    for (std::size_t i = 0; i < n && output_head_.size() < k_output_head && !head_done_; ++i) {
      const char c = buffer_[i];
      if (c == '\n') {
        head_done_ = !output_head_.empty();
        continue;
      }
      if (c >= 0x20 && c < 0x7f) output_head_.push_back(c);
    }
  }

  MiscSpec misc_;
  asio::posix::stream_descriptor pidfd_;
  asio::posix::stream_descriptor output_;
  std::array<char, 4096> buffer_{};
  pid_t pid_ = -1;
  int error_fd_ = -1;
  bool reaped_ = false;
  bool output_capped_ = false;
  bool head_done_ = false;
  std::size_t output_total_ = 0;
  std::string output_head_;
};

}  // namespace

ProbeHandle start_misc_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done) {
  return launch(std::make_shared<MiscProbe>(context, spec), std::move(done));
}

}  // namespace health::detail
