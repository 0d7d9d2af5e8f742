// DOC: vrrp_script trackers. A ScriptTracker runs one script every `interval` through
// vigil::ScriptRunner (a child process with a timeout; the loop never waits for it) and turns
// results into a good/bad state with keepalived's rise/fall hysteresis (RiseFall, pure). One
// tracker serves every instance that tracks the script, as keepalived runs each script once.
// A run still going when the next is due is not doubled up: that interval is skipped.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/script_runner.hpp"

namespace vrrp::io {

// keepalived: `fall` consecutive failures make a good script bad, `rise` consecutive successes
// make a bad script good; results that agree with the current state reset the streak.
class RiseFall {
 public:
  RiseFall(unsigned rise, unsigned fall, bool initially_good)
      : rise_(rise == 0 ? 1 : rise), fall_(fall == 0 ? 1 : fall), good_(initially_good) {}
  // Records one result; true when the state changed.
  bool record(bool success) noexcept;
  [[nodiscard]] bool good() const noexcept { return good_; }

 private:
  unsigned rise_;
  unsigned fall_;
  bool good_;
  unsigned streak_ = 0;
};

struct ScriptCheck {
  std::string name;
  vigil::ScriptSpec spec;
  std::chrono::microseconds interval{std::chrono::seconds(1)};
  unsigned rise = 1;
  unsigned fall = 1;
  bool init_fail = false;
};

class ScriptTracker {
 public:
  using Handler = std::function<void(const std::string& name, bool good)>;
  ScriptTracker(boost::asio::io_context& io, vigil::ScriptRunner& runner, ScriptCheck check, Handler on_change);
  ~ScriptTracker();
  ScriptTracker(const ScriptTracker&) = delete;
  ScriptTracker& operator=(const ScriptTracker&) = delete;

  void start();
  void stop();
  [[nodiscard]] bool good() const noexcept { return state_.good(); }
  [[nodiscard]] const ScriptCheck& check() const noexcept { return check_; }
  [[nodiscard]] std::uint64_t runs() const noexcept { return runs_; }

 private:
  void schedule();
  void run_once();

  boost::asio::steady_timer timer_;
  vigil::ScriptRunner& runner_;
  ScriptCheck check_;
  Handler on_change_;
  RiseFall state_;
  bool running_ = false;
  bool stopped_ = true;
  std::uint64_t runs_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vrrp::io
