#include "daemon/runtime/daemon.hpp"

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "common/realtime.hpp"
#include "conf/parser.hpp"
#include "daemon/runtime/state_dump.hpp"

namespace vigild {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

/// Hands free heap pages back to the kernel. glibc keeps freed memory for reuse, so a large
/// configuration's parse (statement tree, old model) would otherwise stay in RSS for good;
/// malloc_trim releases it (madvise on free pages of every arena, glibc >= 2.8). It walks the
/// heap, a few ms at 10,000 virtual servers, so it runs on the parser thread after a reload.
void release_free_memory() noexcept { (void)::malloc_trim(0); }

/// How long a planned stop may take before vigild exits anyway (handover + IPVS teardown).
constexpr auto k_stop_deadline = 60s;

void log_diagnostics(vigil::log::Logger& log, const conf::ParseResult& result) {
  for (const auto& d : result.sorted_diagnostics()) {
    const auto level = d.severity == conf::Severity::error     ? vigil::log::Level::error
                       : d.severity == conf::Severity::warning ? vigil::log::Level::warning
                                                               : vigil::log::Level::info;
    log.log(level, d.to_string(), {{"CONFIG_FILE", d.loc.file ? *d.loc.file : std::string()},
                                   {"CONFIG_LINE", std::to_string(d.loc.line)}});
  }
}

nlohmann::json error_reply(const std::string& message) { return {{"ok", false}, {"error", message}}; }

// vigil_log_level, unless the command line chose a level (-D, --log-level): at start and on every
// reload, so that debug logging can be turned on and off without a restart. Returns whether the
// level changed.
bool apply_config_log_level(const Options& options, vigil::log::Logger& log, const conf::GlobalDefs& global) {
  if (options.log_level || options.log_detail) return false;
  vigil::log::Level level = vigil::log::Level::info;
  if (global.log_level) (void)vigil::log::parse_level(*global.log_level, level);
  if (log.level() == level) return false;
  log.set_level(level);
  return true;
}

}  // namespace

Daemon::Daemon(Options options, vigil::log::Logger& log)
    : options_(std::move(options)), log_(log), signals_(io_), watchdog_timer_(io_), stop_deadline_(io_) {}

Daemon::~Daemon() = default;

bool Daemon::load_initial_config() {
  conf::ParseOptions parse_options{options_.config_id};
  parse_options.cache = &parse_cache_;
  auto result = conf::parse_file(options_.config_file, config_files_, parse_options);
  log_diagnostics(log_, result);
  if (result.diagnostics.has_errors()) {
    log_.error("configuration has " + std::to_string(result.diagnostics.error_count()) +
               " error(s); not starting (check it with: vigild -t -f " + options_.config_file + ")");
    return false;
  }
  config_ = std::make_shared<const conf::Config>(std::move(result.config));
  release_free_memory();  // the statement tree of the file is gone; its pages need not stay
  return true;
}

int Daemon::run() {
  if (!load_initial_config()) return 2;
  apply_config_log_level(options_, log_, config_->global);
  apply_scheduling();
  scripts_ = make_script_runner(io_, log_);
  scripts_->set_policy(script_policy(config_->global));
  subsystems_ = make_subsystems(io_, log_, *scripts_, options_);
  for (auto& s : subsystems_) s->set_change_listener([this] { schedule_subsystem_change(); });
  for (auto& s : subsystems_) {
    if (auto r = s->start(config_); !r) {
      log_.error(std::string(s->name()) + ": cannot start: " + r.error().message);
      return 1;
    }
  }
  const std::string socket_path =
      options_.control_socket.value_or(config_->global.control_socket.value_or(k_default_control_socket));
  control_ = std::make_unique<ControlServer>(
      io_, log_, [this](const nlohmann::json& r, ControlServer::Reply reply) { handle_request(r, std::move(reply)); });
  if (auto r = control_->listen(socket_path); !r)
    log_.warning("control socket disabled: " + r.error().message);

  start_metrics();
  wait_for_signals();
  arm_watchdog();
  on_subsystem_change();
  systemd_.ready();
  update_status_line();
  log_.info("vigild started", {{"CONFIG_FILE", options_.config_file}});
  io_.run();
  log_.info("vigild stopped");
  return exit_code_;
}

void Daemon::apply_scheduling() {
  asio::post(parser_, [] { vigil::drop_realtime_for_this_thread(); });  // parsing is background work
  const auto& g = config_->global;
  vigil::RealtimeSettings rt;
  rt.priority = g.vrrp_rt_priority;
  if (g.vrrp_rlimit_rttime) rt.rttime_limit_us = *g.vrrp_rlimit_rttime;
  rt.lock_memory = g.vrrp_no_swap || g.checker_no_swap;
  if (!rt.priority && !rt.lock_memory) {
    log_.info("scheduling: " + vigil::current_scheduling() + " (set vrrp_rt_priority for real-time adverts)");
    return;
  }
  bool ok = true;
  const auto what = vigil::apply_realtime(rt, ok);
  log_.log(ok ? vigil::log::Level::info : vigil::log::Level::warning, "scheduling: " + what);
}

void Daemon::start_metrics() {
  if (!config_->global.metrics_listen) {
    metrics_.reset();
    return;
  }
  metrics_ = std::make_unique<MetricsServer>(io_, log_, [this] { return collect_metrics(); });
  if (auto r = metrics_->listen(*config_->global.metrics_listen); !r) {
    log_.error("metrics endpoint disabled: " + r.error().message);
    metrics_.reset();
    return;
  }
  log_.info("metrics on http://" + *config_->global.metrics_listen + "/metrics");
}

std::vector<MetricSample> Daemon::collect_metrics() const {
  using T = MetricSample::Type;
  std::vector<MetricSample> out{
      {"vigil_up", "1 while vigild runs", T::gauge, {}, 1},
      {"vigil_reloads_total", "configuration reloads applied", T::counter, {}, static_cast<double>(reloads_)},
      {"vigil_reload_failures_total", "reloads refused because the new file had errors", T::counter, {},
       static_cast<double>(reload_failures_)},
  };
  for (const auto& s : subsystems_) s->collect_metrics(out);
  return out;
}

void Daemon::wait_for_signals() {
  signals_.add(SIGHUP);
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGUSR1);
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    on_signal(signal);
    wait_for_signals();
  });
}

void Daemon::on_signal(int signal) {
  switch (signal) {
    case SIGHUP: {
      reload(false, options_.config_file, [this](const nlohmann::json& reply) {
        if (!reply.value("ok", false)) log_.error("reload refused: " + reply.value("error", std::string("?")));
      });
      break;
    }
    case SIGTERM:
    case SIGINT:
      // A second stop signal while handing over: stop now, keepalived's way.
      begin_stop(stopping_ ? StopMode::immediate : default_stop_mode());
      break;
    case SIGUSR1:
      write_state_dump();
      break;
    default:
      break;
  }
}

StopMode Daemon::default_stop_mode() const {
  return config_->global.handover == conf::HandoverMode::lossless ? StopMode::lossless : StopMode::immediate;
}

void Daemon::reload(bool dry_run, const std::string& file, ControlServer::Reply done) {
  if (stopping_) return done(error_reply("stopping"));
  if (!dry_run) {
    if (reload_running_) return done(error_reply("a reload is already running"));
    reload_running_ = true;
    systemd_.reloading();
  }
  // The loop keeps running (adverts, probes) while the file is parsed on the parser thread.
  conf::ParseOptions parse_options{options_.config_id, config_ ? config_->virtual_servers.size() : 0};
  // A dry run may read another file; only the daemon's own file feeds the cache.
  if (!dry_run) parse_options.cache = &parse_cache_;
  asio::post(parser_, [this, dry_run, file, done = std::move(done), parse_options = std::move(parse_options)]() mutable {
    const auto parse_start = std::chrono::steady_clock::now();
    auto result = std::make_shared<conf::ParseResult>(
        parse_options.cache != nullptr ? conf::parse_file(file, config_files_, parse_options)
                                       : conf::parse_file(file, parse_options));
    const auto parse_time = std::chrono::steady_clock::now() - parse_start;
    asio::post(io_, [this, dry_run, file, done = std::move(done), result = std::move(result), parse_time]() mutable {
      if (!dry_run) reload_running_ = false;
      nlohmann::json reply;
      try {
        reply = stopping_ ? error_reply("stopping") : apply_reload(dry_run, file, *result, parse_time);
      } catch (const std::exception& e) {
        reply = error_reply(std::string("reload failed: ") + e.what());
      }
      done(reply);
      // A rejected file's model is freed off the loop too. Freed pages go back to the system
      // only when the parse built much anew: after an edit of a few virtual servers what is
      // freed is mostly the parse's own working memory, which the next reload takes again, and
      // every page taken afresh is a fault (under emulation, ~10 ms of a one-line reload at
      // 10,000 virtual servers).
      const std::size_t total = result->config.virtual_servers.size();
      const std::size_t rebuilt = total - std::min(total, result->reused_virtual_servers);
      retire(std::move(result), !conf::small_reload(rebuilt, total));
    });
  });
}

void Daemon::retire(std::shared_ptr<const void> old, bool release_memory) {
  asio::post(parser_, [old = std::move(old), release_memory]() mutable {
    old.reset();
    if (release_memory) release_free_memory();
  });
}

nlohmann::json Daemon::apply_reload(bool dry_run, const std::string& file, conf::ParseResult& result,
                                    std::chrono::steady_clock::duration parse_time) {
  const auto apply_start = std::chrono::steady_clock::now();
  nlohmann::json diagnostics = nlohmann::json::array();
  for (const auto& d : result.sorted_diagnostics()) diagnostics.push_back(d.to_string());
  if (result.diagnostics.has_errors()) {
    if (!dry_run) {
      log_diagnostics(log_, result);
      log_.error("reload: " + file + " has " + std::to_string(result.diagnostics.error_count()) +
                 " error(s); keeping the running configuration");
      systemd_.ready();
    }
    if (!dry_run) ++reload_failures_;
    return {{"ok", false}, {"error", "configuration has errors; nothing changed"}, {"diagnostics", diagnostics}};
  }
  nlohmann::json plan = nlohmann::json::array();
  if (dry_run) {
    for (const auto& s : subsystems_)
      for (auto& line : s->plan_reload(result.config)) plan.push_back(std::string(s->name()) + ": " + line);
    return {{"ok", true}, {"dry_run", true}, {"plan", plan}, {"diagnostics", diagnostics}};
  }

  log_diagnostics(log_, result);
  nlohmann::json failures = nlohmann::json::array();
  auto next = std::make_shared<const conf::Config>(std::move(result.config));
  // Each subsystem starts its work, then says what it changes (IPVS: its worker thread applies
  // while the loop writes the lines).
  for (auto& s : subsystems_) {
    auto changes = s->reload(next);
    if (!changes) {
      failures.push_back(std::string(s->name()) + ": " + changes.error().message);
      log_.error("reload: " + std::string(s->name()) + ": " + changes.error().message);
      continue;
    }
    for (const auto& line : *changes) {
      plan.push_back(std::string(s->name()) + ": " + line);
      log_.info("reload: " + plan.back().get<std::string>());
    }
  }
  const bool metrics_changed = config_->global.metrics_listen != next->global.metrics_listen;
  scripts_->set_policy(script_policy(next->global));
  // Moved, not copied; the configuration it replaces is freed on the parser thread, not the loop.
  // (the reload's own retire of its parse result, posted after this one, decides about memory)
  retire(std::exchange(config_, std::move(next)), false);
  ++reloads_;
  if (apply_config_log_level(options_, log_, config_->global))
    log_.log(vigil::log::Level::warning,
             "reload: log level now " + std::string(vigil::log::to_string(log_.level())) + " (vigil_log_level)");
  if (metrics_changed) start_metrics();
  systemd_.ready();
  update_status_line();
  // Where a reload's time goes: an operator with a large file sees whether parsing dominates.
  const auto ms = [](std::chrono::steady_clock::duration d) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", std::chrono::duration<double, std::milli>(d).count());
    return std::string(text);
  };
  log_.info("reload: done, " + std::to_string(plan.size()) + " change(s); read in " + ms(parse_time) + " ms (" +
            std::to_string(result.reused_virtual_servers) + " of " + std::to_string(config_->virtual_servers.size()) +
            " virtual servers unchanged), applied in " + ms(std::chrono::steady_clock::now() - apply_start) + " ms");
  return {{"ok", failures.empty()}, {"plan", plan}, {"failures", failures}, {"diagnostics", diagnostics}};
}

void Daemon::begin_stop(StopMode mode) {
  if (stopping_ && mode == StopMode::lossless) return;
  const bool first = !stopping_;
  stopping_ = true;
  if (first) {
    systemd_.stopping();
    log_.info(std::string("stopping (") + (mode == StopMode::lossless ? "lossless handover" : "immediate") + ")");
    stop_deadline_.expires_after(k_stop_deadline);
    stop_deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      log_.error("stop did not finish within " + std::to_string(k_stop_deadline.count()) + " s; exiting anyway");
      exit_code_ = 1;
      finish_stop();
    });
  }
  pending_stops_ = subsystems_.size();
  if (pending_stops_ == 0) {
    finish_stop();
    return;
  }
  for (auto& s : subsystems_)
    s->stop(mode, [this] {
      if (pending_stops_ > 0 && --pending_stops_ == 0) finish_stop();
    });
}

void Daemon::finish_stop() {
  parser_.stop();
  if (control_) control_->close();
  if (metrics_) metrics_->close();
  signals_.cancel();
  watchdog_timer_.cancel();
  stop_deadline_.cancel();
  io_.stop();
}

void Daemon::arm_watchdog() {
  const auto interval = systemd_.watchdog_interval();
  if (!interval) return;
  systemd_.watchdog();
  watchdog_timer_.expires_after(*interval);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) arm_watchdog();
  });
}

ClusterView Daemon::cluster_view() const {
  ClusterView view;
  for (const auto& s : subsystems_) {
    if (s->name() != "vrrp") continue;
    const auto st = s->status();
    for (const auto& i : st.value("instances", nlohmann::json::array()))
      view.vrrp_states[i.value("name", std::string())] = i.value("state", std::string());
  }
  return view;
}

// A status line and a cluster view cost O(instances) each, and a start or a mass failover of N
// instances reports N transitions in the same turn of the loop: recomputing them per transition
// was O(N²) (about 40 s of a blocked loop for 1000 instances). They are recomputed once, after
// the transitions already queued.
void Daemon::schedule_subsystem_change() {
  if (change_pending_) return;
  change_pending_ = true;
  asio::post(io_, [this] {
    change_pending_ = false;
    on_subsystem_change();
  });
}

void Daemon::on_subsystem_change() {
  update_status_line();
  const auto view = cluster_view();
  for (auto& s : subsystems_) s->observe(view);
}

void Daemon::update_status_line() {
  std::string line;
  for (const auto& s : subsystems_) {
    const auto part = s->status_line();
    if (part.empty()) continue;
    if (!line.empty()) line += "; ";
    line += part;
  }
  systemd_.status(line.empty() ? "running" : line);
}

nlohmann::json Daemon::status() const {
  nlohmann::json out{{"config_file", options_.config_file}, {"stopping", stopping_}};
  for (const auto& s : subsystems_) out[std::string(s->name())] = s->status();
  return out;
}

void Daemon::write_state_dump() const {
  const std::string path = config_->global.state_dump_file.value_or("/tmp/keepalived.data");
  std::ofstream out(path, std::ios::trunc);
  if (!out) {
    log_.warning("SIGUSR1: cannot write state dump to " + path);
    return;
  }
  out << render_state_dump(status());
  log_.info("state dump written to " + path);
}

void Daemon::handle_request(const nlohmann::json& request, ControlServer::Reply reply) {
  // The request's shape first, so that a wrong type is named instead of surfacing as a JSON
  // library exception ("type_error.302") from one of the value() calls below.
  const auto type_error = [&](const char* key, const char* type, auto is_type) -> bool {
    const auto it = request.find(key);
    if (it == request.end() || is_type(*it)) return false;
    reply(error_reply(std::string("\"") + key + "\" must be " + type));
    return true;
  };
  if (type_error("command", "a string", [](const nlohmann::json& j) { return j.is_string(); }) ||
      type_error("arguments", "an object", [](const nlohmann::json& j) { return j.is_object(); }) ||
      type_error("dry_run", "true or false", [](const nlohmann::json& j) { return j.is_boolean(); }) ||
      type_error("file", "a string", [](const nlohmann::json& j) { return j.is_string(); }))
    return;
  const std::string command = request.value("command", std::string());
  if (command == "status") return reply({{"ok", true}, {"status", status()}});
  if (command == "reload") {
    const bool dry_run = request.value("dry_run", false);
    // Only a dry run may read another file: a real reload always reads the daemon's own -f.
    const std::string file = dry_run ? request.value("file", options_.config_file) : options_.config_file;
    return reload(dry_run, file, std::move(reply));
  }
  if (command == "stop") {
    asio::post(io_, [this] { begin_stop(default_stop_mode()); });
    return reply({{"ok", true}});
  }
  if (command.empty()) return reply(error_reply("request has no \"command\""));
  Command cmd{command, request.value("arguments", nlohmann::json::object())};
  for (auto& s : subsystems_) {
    if (auto result = s->command(cmd)) {
      on_subsystem_change();
      if (!*result) return reply(error_reply(result->error().message));
      return reply({{"ok", true}, {"result", result->value()}});
    }
  }
  reply(error_reply("unknown command '" + command + "'"));
}

}  // namespace vigild
