// DOC: InterimScriptRunner — a minimal vigil::ScriptRunner so vigild can run vrrp_script checks and
// notify scripts until common/process (vigil_process, another developer's) replaces it: the command
// runs under /bin/sh with keepalived's extra arguments as "$@", in its own process group, stdin and
// output on /dev/null; exit is awaited on a pidfd (the loop never blocks) and a timeout kills the
// group. It does not switch users (script_user) — the real implementation will.
#pragma once

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>

#include "common/script_runner.hpp"

namespace vrrp::io {

class InterimScriptRunner final : public vigil::ScriptRunner {
 public:
  explicit InterimScriptRunner(boost::asio::io_context& io);
  ~InterimScriptRunner() override;
  InterimScriptRunner(const InterimScriptRunner&) = delete;
  InterimScriptRunner& operator=(const InterimScriptRunner&) = delete;

  void run(const vigil::ScriptSpec& spec, std::function<void(const vigil::ScriptOutcome&)> done) override;
  [[nodiscard]] std::size_t running() const override { return children_.size(); }

 private:
  struct Child;
  void finish(std::uint64_t id, vigil::ScriptOutcome outcome);

  boost::asio::io_context& io_;
  std::map<std::uint64_t, std::unique_ptr<Child>> children_;
  std::uint64_t next_id_ = 0;
};

}  // namespace vrrp::io
