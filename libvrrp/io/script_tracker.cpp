// DOC: The vrrp_script schedule: a steady timer per script, one child at a time.
#include "libvrrp/io/script_tracker.hpp"

namespace vrrp::io {

bool RiseFall::record(bool success) noexcept {
  if (success == good_) {
    streak_ = 0;
    return false;
  }
  ++streak_;
  if (streak_ < (good_ ? fall_ : rise_)) return false;
  good_ = success;
  streak_ = 0;
  return true;
}

ScriptTracker::ScriptTracker(boost::asio::io_context& io, vigil::ScriptRunner& runner, ScriptCheck check,
                             Handler on_change)
    : timer_(io),
      runner_(runner),
      check_(std::move(check)),
      on_change_(std::move(on_change)),
      state_(check_.rise, check_.fall, !check_.init_fail) {}

ScriptTracker::~ScriptTracker() {
  *alive_ = false;
  timer_.cancel();
}

void ScriptTracker::start() {
  if (!stopped_) return;
  stopped_ = false;
  run_once();
}

void ScriptTracker::stop() {
  stopped_ = true;
  timer_.cancel();
}

void ScriptTracker::schedule() {
  if (stopped_) return;
  timer_.expires_after(check_.interval);
  timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    const auto still = alive.lock();
    if (ec || !still || !*still) return;
    run_once();
  });
}

void ScriptTracker::run_once() {
  schedule();
  if (running_) return;  // the previous run is still going: skip this interval
  running_ = true;
  ++runs_;
  runner_.run(check_.spec, [this, alive = std::weak_ptr<bool>(alive_)](const vigil::ScriptOutcome& outcome) {
    const auto still = alive.lock();
    if (!still || !*still) return;
    running_ = false;
    if (stopped_) return;
    if (state_.record(outcome.success()) && on_change_) on_change_(check_.name, state_.good());
  });
}

}  // namespace vrrp::io
