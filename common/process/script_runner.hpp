// DOC: AsioScriptRunner — the one ScriptRunner every subsystem uses (notify_*, vrrp_script,
// notify_up/down, quorum_up/down). Built on spawn.hpp: fork/exec without a shell unless the
// command needs one (common/command_line.hpp), as the script user (global script_user; default a
// dedicated unprivileged account when one exists, as keepalived's keepalived_script), exit
// awaited on a pidfd, output drained and discarded up to a cap, the process group SIGKILLed on
// timeout. With enable_script_security a script that a non-root user could modify is refused,
// because it would run with the daemon's chosen credentials (keepalived does the same check).
//
// Scripts still running when the runner is destroyed are left to finish (a notify_stop started
// by a planned stop must not be killed by the daemon exiting); init reaps them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/log.hpp"
#include "common/process/credentials.hpp"
#include "common/script_runner.hpp"

namespace vigil::process {

struct ScriptPolicy {
  std::optional<std::string> user;   // global script_user; nullopt: default_script_user()
  std::optional<std::string> group;
  bool enable_script_security = false;
  std::size_t output_cap = 64 * 1024;
};

class AsioScriptRunner final : public ScriptRunner {
 public:
  AsioScriptRunner(boost::asio::io_context& io, log::Logger& log, ScriptPolicy policy = {});
  ~AsioScriptRunner() override;
  AsioScriptRunner(const AsioScriptRunner&) = delete;
  AsioScriptRunner& operator=(const AsioScriptRunner&) = delete;

  void set_policy(ScriptPolicy policy) { policy_ = std::move(policy); }
  void run(const ScriptSpec& spec, std::function<void(const ScriptOutcome&)> done) override;
  [[nodiscard]] std::size_t running() const override { return children_.size(); }

 private:
  struct Child;
  void drain(const std::shared_ptr<Child>& child);
  void finish(std::uint64_t id);

  boost::asio::io_context& io_;
  log::Logger& log_;
  ScriptPolicy policy_;
  UserCache users_;
  std::map<std::uint64_t, std::shared_ptr<Child>> children_;
  std::uint64_t next_id_ = 1;
  bool warned_root_ = false;
  std::set<std::string> refused_;  // commands refused by enable_script_security, logged once
};

/// The account scripts run as when no script_user is configured: "vigil_script", else
/// "keepalived_script" (keepalived's), when either exists; nullopt means root.
[[nodiscard]] std::optional<std::string> default_script_user();

/// enable_script_security: why `path` is unsafe to run (it, or a directory above it, is writable
/// by a non-root user), or nullopt when it is safe.
[[nodiscard]] std::optional<std::string> insecure_script(const std::string& path);

}  // namespace vigil::process
