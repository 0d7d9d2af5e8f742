#include "daemon/runtime/ipvs_subsystem.hpp"

#include <algorithm>

#include "libhealth/core/from_conf.hpp"
#include "libipvs/desired.hpp"
#include "libipvs/reload_scope.hpp"

namespace vigild {

namespace {

constexpr std::size_t k_logged_operations = 20;  // per round; the rest is summarised
// Upper bound on keeping the table for a VRRP handover at stop (the handover has its own
// deadline, about a master-down interval; this only guards against a view that never changes).
constexpr std::chrono::seconds k_stop_hold_limit{30};

std::string endpoint(const vigil::IpAddress& address, std::uint16_t port) {
  return ipvs::format_endpoint(address, port);
}

ipvs::RealServerId to_ipvs(const health::RealServerId& id) { return {id.virtual_server, id.address, id.port}; }

}  // namespace

IpvsSubsystem::IpvsSubsystem(boost::asio::io_context& io, vigil::log::Logger& log, vigil::ScriptRunner& scripts,
                             ipvs::Reconciler::KernelFactory open_kernel)
    : io_(io), log_(log), scripts_(scripts), open_kernel_(std::move(open_kernel)), stop_hold_(io) {
  reconciler_.emplace(io_, log_, open_kernel_);
}

IpvsSubsystem::~IpvsSubsystem() = default;

vigil::Result<void> IpvsSubsystem::start(const ConfigPtr& config) {
  config_ = config;
  // vigil_reconcile_interval (the drift-repair period) and vigil_drain_timeout; a reload keeps
  // the values the daemon started with.
  ipvs::ReconcilerOptions options;
  options.interval = std::chrono::duration_cast<std::chrono::milliseconds>(config_->global.reconcile_interval);
  options.drain_timeout = std::chrono::duration_cast<std::chrono::seconds>(config_->global.drain_timeout);
  reconciler_.emplace(io_, log_, open_kernel_, options);
  index_config();
  try {
    checker_ = std::make_unique<health::HealthChecker>(
        io_, log_, [this](const health::RealServerChange& c) { on_health_change(c); });
  } catch (const std::exception& e) {
    return vigil::make_error(std::string("health checks: ") + e.what());
  }
  const auto defs = health::from_conf(*config_);
  for (const auto& w : defs.warnings) log_.warning(w);
  (void)checker_->update(defs.servers);
  const auto tracked = checker_->snapshot();
  recount_down(tracked);
  for (const auto& [id, status] : tracked) push_health(id, status);
  return reconciler_->start(config_, [this](const ipvs::RoundReport& r) { on_round(r); });
}

std::vector<std::string> IpvsSubsystem::plan_reload(const conf::Config& next) const {
  return reconciler_->plan_reload(next);
}

vigil::Result<std::vector<std::string>> IpvsSubsystem::reload(const ConfigPtr& next) {
  const auto scope = config_ ? ipvs::reload_scope(*config_, *next) : std::nullopt;
  // Checks are defined by each real server with its virtual server and the global script
  // user: when those are the same objects and values, and no changed one has checkers, the
  // checker's definitions are what they were (no walk over 40,000 real servers for nothing).
  const auto has_checkers = [](const std::vector<const conf::VirtualServer*>& list) {
    return std::any_of(list.begin(), list.end(), [](const conf::VirtualServer* vs) {
      return std::any_of(vs->real_servers.begin(), vs->real_servers.end(),
                         [](const conf::RealServer& rs) { return !rs.checkers.empty(); });
    });
  };
  const bool checks_unchanged = scope && config_->global.script_user == next->global.script_user &&
                                config_->global.script_group == next->global.script_group &&
                                !has_checkers(scope->added) && !has_checkers(scope->removed);
  config_ = next;
  index_config(scope ? &*scope : nullptr);
  if (checker_ && !checks_unchanged) {
    const auto defs = health::from_conf(*config_);
    for (const auto& w : defs.warnings) log_.warning(w);
    const auto tracked_before = checker_->snapshot();
    (void)checker_->update(defs.servers);
    // New real servers report their initial state here; kept ones keep theirs.
    const auto tracked = checker_->snapshot();  // sorted by id (the registry's map order)
    recount_down(tracked);
    for (const auto& [id, status] : tracked) push_health(id, status);
    // A real server that lost its last checker is not tracked any more: it is up at its
    // configured weight (keepalived), not stuck in the state its checker last reported.
    const auto by_id = [](const auto& a, const auto& b) { return a.first < b.first; };
    for (const auto& entry : tracked_before) {
      if (std::binary_search(tracked.begin(), tracked.end(), entry, by_id)) continue;
      if (const conf::RealServer* rs = find_real_server(entry.first))
        push_health(entry.first, health::RealServerStatus{true, rs->weight, "no checker"});
    }
  }
  return reconciler_->reload(config_);
}

void IpvsSubsystem::stop(StopMode mode, std::function<void()> done) {
  stop_done_ = std::move(done);
  if (stop_started_) {  // a second stop (immediate) while the teardown runs: it reports to the new callback
    reconciler_->stop(config_ ? ipvs::stop_policy_from(config_->global) : ipvs::StopPolicy::remove_own,
                     std::move(stop_done_));
    return;
  }
  if (!stop_held_) {
    checker_.reset();
    if (config_)
      for (const auto& vs : config_->each_virtual_server())
        if (vs.omega) run_script(vs.quorum_down.get(), "quorum_down (omega) for " + vs.key());
  }
  // Lossless: a VRRP master keeps its VIPs until its successor speaks, and clients keep arriving
  // until then. The table stays as long as the addresses do (observe() sees the release).
  if (mode == StopMode::lossless && vrrp_holds_addresses()) {
    if (!stop_held_) {
      stop_held_ = true;
      log_.info("ipvs: keeping the table until VRRP has handed its addresses over");
      stop_hold_.expires_after(k_stop_hold_limit);
      stop_hold_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || !stop_held_) return;
        log_.warning("ipvs: VRRP still holds addresses after " + std::to_string(k_stop_hold_limit.count()) +
                     " s; removing the table anyway");
        tear_down();
      });
    }
    return;
  }
  tear_down();
}

void IpvsSubsystem::tear_down() {
  stop_held_ = false;
  stop_started_ = true;
  stop_hold_.cancel();
  // the table follows keepalived's stop options (remove own services, flush, or keep)
  const auto policy = config_ ? ipvs::stop_policy_from(config_->global) : ipvs::StopPolicy::remove_own;
  if (config_ && !config_->virtual_servers.empty()) {
    // Say what happens to the table: after a stop with `keep` the operator must know that
    // traffic still flows, and that the next vigild adopts the table.
    log_.info(policy == ipvs::StopPolicy::keep    ? "ipvs: leaving the table in the kernel (vigil_ipvs_on_stop keep)"
              : policy == ipvs::StopPolicy::flush ? "ipvs: flushing the whole IPVS table (lvs_flush_on_stop)"
                                                  : "ipvs: removing vigil's services from the kernel");
  }
  reconciler_->stop(policy, std::move(stop_done_));
}

bool IpvsSubsystem::vrrp_holds_addresses() const {
  // HANDOVER: a stopping master waiting for its successor, addresses still up
  for (const auto& [name, state] : vrrp_states_)
    if (state == "MASTER" || state == "HANDOVER") return true;
  return false;
}

void IpvsSubsystem::push_health(const health::RealServerId& id, const health::RealServerStatus& status) {
  const conf::RealServer* rs = find_real_server(id);
  ipvs::RealServerHealth h;
  h.up = status.up;
  // The checker reports the weight to use while up: the configured one unless a MISC_CHECK set
  // a dynamic one. Only the latter overrides the config, so that a reload's new weight shows
  // in its plan and applies.
  if (rs == nullptr || status.weight != rs->weight) h.dynamic_weight = status.weight;
  h.drain = !drained_.empty() && drained_.count({id.virtual_server, endpoint(id.address, id.port)}) > 0;
  // Nothing new for the reconciler (a reload re-reports every kept real server, 40,000 at
  // 10,000 x 4): an entry equal to the one it has, or, for one it never heard of, the state it
  // assumes anyway (a real server without checkers is up with its configured weight).
  const auto key = to_ipvs(id);
  if (const auto* known = reconciler_->health().find(key)) {
    if (*known == h) return;
  } else if (rs != nullptr && rs->checkers.empty() && h.up && !h.dynamic_weight && !h.drain) {
    return;
  }
  reconciler_->set_health(key, h);
}

void IpvsSubsystem::index_config(const ipvs::ReloadScope* changed) {
  const auto add = [this](const conf::VirtualServer& vs) {
    vs_index_[vs.key()] = &vs;
    real_servers_ += vs.real_servers.size();
  };
  if (changed != nullptr) {  // only what changed is re-indexed (10,000 keys are not rebuilt for one edit)
    for (const auto* vs : changed->removed) {
      vs_index_.erase(vs->key());
      real_servers_ -= vs->real_servers.size();
    }
    for (const auto* vs : changed->added) add(*vs);
    return;
  }
  vs_index_.clear();
  vs_index_.reserve(config_->virtual_servers.size());
  real_servers_ = 0;
  for (const auto& vs : config_->each_virtual_server()) add(vs);
}

void IpvsSubsystem::on_health_change(const health::RealServerChange& change) {
  if (change.status.up)
    down_.erase(change.id);
  else
    down_.insert(change.id);
  push_health(change.id, change.status);
  if (change.up_changed) {
    if (const auto* rs = find_real_server(change.id))
      run_script(change.status.up ? rs->notify_up.get() : rs->notify_down.get(),
                 std::string(change.status.up ? "notify_up" : "notify_down") + " for " + change.id.to_string());
  }
  if (on_change_) on_change_();
}

void IpvsSubsystem::on_round(const ipvs::RoundReport& report) {
  if (report.kernel_error) log_.error("ipvs: " + *report.kernel_error);
  if (report.applied_total > 0) {
    const std::string what = report.drift_check ? "repaired drift" : "applied";
    const auto level = report.drift_check ? vigil::log::Level::warning : vigil::log::Level::info;
    log_.log(level, "ipvs: " + what + ": " + std::to_string(report.applied_total) + " operation(s) in " +
                        std::to_string(report.duration.count() / 1000) + " ms",
             {{"IPVS_OPERATIONS", std::to_string(report.applied_total)}});
    for (std::size_t i = 0; i < report.applied.size() && i < k_logged_operations; ++i)
      log_.log(report.drift_check ? vigil::log::Level::warning : vigil::log::Level::debug, "ipvs: " + report.applied[i]);
  }
  for (const auto& f : report.failures) log_.error("ipvs: " + f);
  if (report.failures_total > report.failures.size())
    log_.error("ipvs: ... and " + std::to_string(report.failures_total - report.failures.size()) + " more failure(s)");
  for (const auto& w : report.warnings) log_.warning("ipvs: " + w);
  for (const auto& d : report.drains_finished)
    log_.info("ipvs: drained " + d.key.dest.to_string() + " from " + d.key.service.to_string() + ": " +
                  std::string(ipvs::to_string(d.outcome)) + " (" + std::to_string(d.active_conns) + " active)",
              {{"RS", d.key.dest.to_string()}});
  for (const auto& q : report.quorum_events) {
    quorum_up_[q.virtual_server] = q.up;
    if (q.initial && q.up) continue;  // keepalived's initial state is "up": nothing to announce
    log_.log(q.up ? vigil::log::Level::info : vigil::log::Level::warning,
             "ipvs: " + q.virtual_server + " quorum " + (q.up ? "gained" : "lost") + " (weight " +
                 std::to_string(q.weight_sum) + ", quorum " + std::to_string(q.quorum) + " ± " +
                 std::to_string(q.hysteresis) + ")",
             {{"VS", q.virtual_server}});
    if (const auto* vs = find_virtual_server(q.virtual_server))
      run_script(q.up ? vs->quorum_up.get() : vs->quorum_down.get(), (q.up ? "quorum_up for " : "quorum_down for ") + q.virtual_server);
  }
  if (on_change_ && (report.applied_total > 0 || !report.quorum_events.empty())) on_change_();
}

void IpvsSubsystem::run_script(const conf::Script* script, const std::string& what) {
  if (script == nullptr) return;
  vigil::ScriptSpec spec;
  spec.command = script->command;
  spec.user = script->user.has_value() ? script->user : config_->global.script_user;
  spec.group = script->group.has_value() ? script->group : config_->global.script_group;
  scripts_.run(spec, [this, what](const vigil::ScriptOutcome& o) {
    if (!o.success())
      log_.warning(what + ": script " +
                   (o.kind == vigil::ScriptOutcome::Kind::failed_to_start ? "failed to start: " + o.error
                    : o.kind == vigil::ScriptOutcome::Kind::timed_out    ? std::string("timed out")
                                                                          : "exited " + std::to_string(o.code)));
  });
}

const conf::VirtualServer* IpvsSubsystem::find_virtual_server(const std::string& key) const {
  const auto it = vs_index_.find(key);
  return it == vs_index_.end() ? nullptr : it->second;
}

const conf::RealServer* IpvsSubsystem::find_real_server(const health::RealServerId& id) const {
  const auto* vs = find_virtual_server(id.virtual_server);
  if (!vs) return nullptr;
  for (const auto& rs : vs->real_servers)
    if (rs.address == id.address && (rs.port == id.port || rs.port == 0)) return &rs;
  return nullptr;
}

nlohmann::json IpvsSubsystem::status() const {
  nlohmann::json servers = nlohmann::json::array();
  if (!config_) return {{"virtual_servers", servers}};
  const auto table = reconciler_->table();
  for (const auto& vs : config_->each_virtual_server()) {
    const auto keys = ipvs::service_keys(vs, *config_);
    const ipvs::ServiceEntry* entry = (table && !keys.empty()) ? table->find(keys.front()) : nullptr;
    nlohmann::json rss = nlohmann::json::array();
    for (const auto& rs : vs.real_servers) {
      const std::uint16_t port = rs.port != 0 ? rs.port : vs.port;
      const health::RealServerId hid{vs.key(), rs.address, port};
      const auto health = checker_ ? checker_->status(hid) : std::nullopt;
      nlohmann::json r{{"address", endpoint(rs.address, port)},
                       {"up", health ? health->up : true},
                       {"configured_weight", rs.weight},
                       {"drained", drained_.count({vs.key(), endpoint(rs.address, port)}) > 0}};
      if (health && !health->reason.empty()) r["reason"] = health->reason;
      const ipvs::Dest* dest = nullptr;
      if (entry)
        for (const auto& [dkey, d] : entry->dests)
          if (dkey.address == rs.address && dkey.port == port) dest = &d;
      if (dest) {
        r["weight"] = dest->weight;
        r["active_conns"] = dest->active_conns;
        r["inactive_conns"] = dest->inactive_conns;
        r["in_kernel"] = true;
      } else {
        r["weight"] = 0;
        r["in_kernel"] = false;
      }
      rss.push_back(std::move(r));
    }
    const auto q = quorum_up_.find(vs.key());
    servers.push_back({{"key", vs.key()},
                       {"scheduler", vs.scheduler},
                       {"method", std::string(conf::to_string(vs.method.method))},
                       {"in_kernel", entry != nullptr},
                       {"quorum_state", q == quorum_up_.end() || q->second ? "up" : "down"},
                       {"real_servers", std::move(rss)}});
  }
  const auto& st = reconciler_->stats();
  nlohmann::json out{{"virtual_servers", std::move(servers)},
                     {"reconciler",
                      {{"rounds", st.rounds},
                       {"full_rounds", st.full_rounds},
                       {"operations", st.operations},
                       {"failures", st.failures},
                       {"drift_repairs", st.drift_repairs},
                       {"last_round_ms", static_cast<double>(st.last_round.count()) / 1000.0},
                       {"last_error", st.last_error ? nlohmann::json(*st.last_error) : nlohmann::json(nullptr)}}}};
  if (checker_) {
    const auto c = checker_->counters();
    out["health"] = {{"probes", c.probes},         {"servers", c.servers},     {"results", c.results},
                     {"failures", c.failures},     {"late", c.scheduler.late}, {"saturated", c.saturated}};
  }
  return out;
}

std::optional<vigil::Result<nlohmann::json>> IpvsSubsystem::command(const Command& command) {
  if (command.name != "drain" && command.name != "undrain") return std::nullopt;
  const std::string vs_key = command.arguments.value("virtual_server", std::string());
  const std::string rs_text = command.arguments.value("real_server", std::string());
  const auto* vs = find_virtual_server(vs_key);
  if (!vs) return vigil::Result<nlohmann::json>(vigil::make_error("no virtual_server '" + vs_key + "' (see vigilctl status)"));
  const conf::RealServer* found = nullptr;
  std::uint16_t port = 0;
  for (const auto& rs : vs->real_servers) {
    const std::uint16_t p = rs.port != 0 ? rs.port : vs->port;
    if (endpoint(rs.address, p) == rs_text) {
      found = &rs;
      port = p;
    }
  }
  if (!found)
    return vigil::Result<nlohmann::json>(
        vigil::make_error("no real_server '" + rs_text + "' in " + vs_key + " (write it as address:port)"));
  const auto key = std::make_pair(vs_key, rs_text);
  if (command.name == "drain") drained_.insert(key);
  else drained_.erase(key);
  const health::RealServerId hid{vs_key, found->address, port};
  const auto current = checker_ ? checker_->status(hid) : std::nullopt;
  push_health(hid, current.value_or(health::RealServerStatus{true, found->weight, {}}));
  log_.info("ipvs: " + std::string(command.name == "drain" ? "draining " : "undraining ") + rs_text + " in " + vs_key +
                " (operator)",
            {{"VS", vs_key}, {"RS", rs_text}});
  return vigil::Result<nlohmann::json>(nlohmann::json{{"virtual_server", vs_key}, {"real_server", rs_text},
                                                      {"drained", command.name == "drain"}});
}

void IpvsSubsystem::collect_metrics(std::vector<MetricSample>& out) const {
  using T = MetricSample::Type;
  const auto& st = reconciler_->stats();
  out.push_back({"vigil_ipvs_reconcile_rounds_total", "IPVS reconcile rounds", T::counter, {}, double(st.rounds)});
  out.push_back({"vigil_ipvs_operations_total", "IPVS table operations applied", T::counter, {}, double(st.operations)});
  out.push_back({"vigil_ipvs_operation_failures_total", "IPVS table operations the kernel refused", T::counter, {},
                 double(st.failures)});
  out.push_back({"vigil_ipvs_drift_repairs_total", "operations that repaired changes made behind vigil's back",
                 T::counter, {}, double(st.drift_repairs)});
  out.push_back({"vigil_ipvs_last_round_seconds", "duration of the last reconcile round", T::gauge, {},
                 double(st.last_round.count()) / 1e6});
  if (checker_) {
    const auto c = checker_->counters();
    out.push_back({"vigil_health_check_results_total", "health probe results", T::counter, {}, double(c.results)});
    out.push_back({"vigil_health_check_failures_total", "health probe results that failed", T::counter, {},
                   double(c.failures)});
    out.push_back({"vigil_health_checks_late_total", "probe starts later than their schedule allows", T::counter, {},
                   double(c.scheduler.late)});
    out.push_back({"vigil_health_check_max_lateness_seconds", "worst probe start lateness since start", T::gauge, {},
                   double(c.scheduler.max_lateness.count()) / 1e6});
    out.push_back({"vigil_health_probes", "distinct (shared) probes", T::gauge, {}, double(c.probes)});
  }
  const auto table = reconciler_->table();
  if (!config_) return;
  for (const auto& vs : config_->each_virtual_server()) {
    const auto keys = ipvs::service_keys(vs, *config_);
    const ipvs::ServiceEntry* entry = (table && !keys.empty()) ? table->find(keys.front()) : nullptr;
    const auto vs_key = vs.key();
    if (entry) {
      const auto s = entry->service.stats ? *entry->service.stats : ipvs::Stats{};
      out.push_back({"vigil_ipvs_service_connections_total", "connections scheduled (kernel STATS64)", T::counter,
                     {{"vs", vs_key}}, double(s.conns)});
      out.push_back({"vigil_ipvs_service_in_bytes_total", "bytes in", T::counter, {{"vs", vs_key}}, double(s.in_bytes)});
      out.push_back({"vigil_ipvs_service_out_bytes_total", "bytes out", T::counter, {{"vs", vs_key}}, double(s.out_bytes)});
    }
    for (const auto& rs : vs.real_servers) {
      const std::uint16_t port = rs.port != 0 ? rs.port : vs.port;
      const auto rs_key = endpoint(rs.address, port);
      const auto health = checker_ ? checker_->status(health::RealServerId{vs_key, rs.address, port}) : std::nullopt;
      out.push_back({"vigil_real_server_up", "1 when the health checks pass", T::gauge, {{"vs", vs_key}, {"rs", rs_key}},
                     health && !health->up ? 0.0 : 1.0});
      if (!entry) continue;
      for (const auto& [dkey, d] : entry->dests) {
        if (!(dkey.address == rs.address && dkey.port == port)) continue;
        const std::vector<std::pair<std::string, std::string>> labels{{"vs", vs_key}, {"rs", rs_key}};
        out.push_back({"vigil_ipvs_dest_weight", "weight in the kernel", T::gauge, labels, double(d.weight)});
        out.push_back({"vigil_ipvs_dest_active_connections", "active connections", T::gauge, labels, double(d.active_conns)});
        out.push_back({"vigil_ipvs_dest_inactive_connections", "inactive connections", T::gauge, labels,
                       double(d.inactive_conns)});
        out.push_back({"vigil_ipvs_dest_connections_total", "connections scheduled to this real server", T::counter,
                       labels, d.stats ? double(d.stats->conns) : 0.0});
      }
    }
  }
}

// The status line is recomputed after every burst of health changes: it must not walk the
// configuration (at 10,000 x 4 that walk cost more than the checks themselves).
std::string IpvsSubsystem::status_line() const {
  if (!config_ || real_servers_ == 0) return {};
  const std::size_t down = std::min(down_.size(), real_servers_);
  return std::to_string(real_servers_ - down) + "/" + std::to_string(real_servers_) + " real servers up";
}

void IpvsSubsystem::recount_down(const std::vector<std::pair<health::RealServerId, health::RealServerStatus>>& tracked) {
  down_.clear();
  for (const auto& [id, status] : tracked)
    if (!status.up) down_.insert(id);
}

void IpvsSubsystem::observe(const ClusterView& view) {
  vrrp_states_ = view.vrrp_states;
  if (stop_held_) {
    if (!vrrp_holds_addresses()) tear_down();
    return;
  }
  if (!config_ || !config_->global.lvs_sync_daemon || !config_->global.lvs_sync_daemon->vrrp_instance) return;
  const auto it = view.vrrp_states.find(*config_->global.lvs_sync_daemon->vrrp_instance);
  const std::optional<std::string> state = it == view.vrrp_states.end() ? std::nullopt : std::optional(it->second);
  if (state == sync_instance_state_) return;
  sync_instance_state_ = state;
  reconciler_->set_sync_role(state == std::optional<std::string>("MASTER") ? ipvs::SyncState::master
                                                                          : ipvs::SyncState::backup);
}

}  // namespace vigild
