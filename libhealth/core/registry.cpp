// DOC: Registry: shared probes, reload diffing and fan-out of results to real servers.
#include "libhealth/core/registry.hpp"

#include <algorithm>

namespace health {

Registry::Registry(SchedulerOptions options) : scheduler_(options) {}

std::optional<RealServerChange> Registry::evaluate(Server& server, std::string_view reason) {
  std::vector<Health> states;
  states.reserve(server.checks.size());
  for (const ProbeId id : server.checks) {
    if (const auto it = checks_.find(id); it != checks_.end()) states.push_back(it->second.tracker.state());
  }
  return server.health.evaluate(states, reason);
}

std::string Registry::starting_up_reason(const Server& server) const {
  std::string names;
  for (const ProbeId probe : server.checks) names += (names.empty() ? "" : ", ") + checks_.at(probe).description;
  if (names.empty()) return "no checker";
  return names + ": up since the start (no alpha)";
}

UpdateSummary Registry::update(const std::vector<RealServerDefinition>& servers, TimePoint now,
                               const std::function<double()>& unit_random) {
  UpdateSummary summary;

  struct Wanted {
    std::vector<RealServerId> users;
    bool log_all_failures = false;
    std::string where;
  };
  std::map<ProbeKey, Wanted> wanted;
  for (const auto& rs : servers) {
    for (const auto& check : rs.checks) {
      ++summary.checks;
      auto& w = wanted[check.key()];
      if (std::find(w.users.begin(), w.users.end(), rs.id) == w.users.end()) w.users.push_back(rs.id);
      w.log_all_failures = w.log_all_failures || check.log_all_failures;
      if (w.where.empty()) w.where = check.where;
    }
  }

  // Keys no longer wanted go; their state may seed a new key that differs only in timing.
  std::map<ProbeSpec, Health> orphans;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    const ProbeId id = it->second;
    orphans.emplace(it->first.probe, checks_.at(id).tracker.state());
    scheduler_.remove(id);
    checks_.erase(id);
    summary.removed.push_back(id);
    ++summary.probes_removed;
    it = by_key_.erase(it);
  }

  for (auto& [key, w] : wanted) {
    if (const auto found = by_key_.find(key); found != by_key_.end()) {
      auto& check = checks_.at(found->second);
      check.users = std::move(w.users);
      check.log_all_failures = w.log_all_failures;
      check.where = std::move(w.where);
      ++summary.probes_kept;
      continue;
    }
    std::optional<Health> initial;
    if (const auto orphan = orphans.find(key.probe); orphan != orphans.end()) {
      initial = orphan->second;
      ++summary.states_carried;
    }
    const ProbeId id = next_id_++;
    SharedCheck check{key, Tracker(key.timing, initial), describe(key.probe), std::move(w.users),
                      w.log_all_failures, std::move(w.where)};
    scheduler_.schedule(id, check.tracker.first_probe(now, unit_random()));
    checks_.emplace(id, std::move(check));
    by_key_.emplace(key, id);
    ++summary.probes_added;
  }

  std::map<RealServerId, Server> next;
  for (const auto& rs : servers) {
    std::vector<ProbeId> ids;
    for (const auto& check : rs.checks) ids.push_back(by_key_.at(check.key()));
    if (auto existing = next.find(rs.id); existing != next.end()) {
      // The same real server listed twice in one virtual server: one entry, all checks.
      existing->second.checks.insert(existing->second.checks.end(), ids.begin(), ids.end());
      continue;
    }
    if (auto old = servers_.find(rs.id); old != servers_.end()) {
      Server server = std::move(old->second);
      server.health.set_configured_weight(rs.weight);
      server.checks = std::move(ids);
      next.emplace(rs.id, std::move(server));
    } else {
      next.emplace(rs.id, Server{RealServerHealth(rs.id, rs.weight), std::move(ids)});
    }
  }
  const auto old_servers = std::move(servers_);
  servers_ = std::move(next);
  for (auto& [id, server] : servers_) {
    const bool existed = old_servers.contains(id);
    std::string reason = existed ? "configuration reloaded" : "initial state";
    for (const ProbeId probe : server.checks) {
      const auto& check = checks_.at(probe);
      if (check.tracker.state() == Health::down) {
        reason += ": " + check.description + " is down";
        break;
      }
    }
    auto change = evaluate(server, reason);
    if (change && existed) summary.changes.push_back(std::move(*change));
    // Without alpha every checker starts up, so a new server's verdict is the one its health
    // object started with and evaluate() kept its "no checker": say which checks it has.
    if (!existed && !change) server.health.set_reason(starting_up_reason(server));
  }
  summary.servers = servers_.size();
  return summary;
}

ResultOutcome Registry::on_result(ProbeId id, const ProbeResult& result, TimePoint now) {
  ResultOutcome outcome;
  scheduler_.finished(id);
  const auto it = checks_.find(id);
  if (it == checks_.end()) return outcome;
  auto& check = it->second;

  const TrackerStep step = check.tracker.on_result(result, now);
  scheduler_.schedule(id, step.next_probe);
  outcome.known = true;
  outcome.failures = step.failures;
  outcome.log_all_failures = check.log_all_failures;
  outcome.next_probe = step.next_probe;
  if (step.transition) {
    outcome.checker = CheckerTransition{id, check.description, *step.transition, check.users.size()};
  }
  if (!step.transition && !result.dynamic_weight) return outcome;

  const std::string reason =
      step.transition ? check.description + ": " + step.transition->reason
                      : check.description + ": misc_dynamic weight " + std::to_string(*result.dynamic_weight);
  for (const auto& user : check.users) {
    const auto server = servers_.find(user);
    if (server == servers_.end()) continue;
    if (result.dynamic_weight) server->second.health.set_dynamic_weight(*result.dynamic_weight);
    if (auto change = evaluate(server->second, reason)) outcome.servers.push_back(std::move(*change));
  }
  return outcome;
}

const ProbeSpec* Registry::probe(ProbeId id) const {
  const auto it = checks_.find(id);
  return it == checks_.end() ? nullptr : &it->second.key.probe;
}

std::string_view Registry::description(ProbeId id) const {
  const auto it = checks_.find(id);
  return it == checks_.end() ? std::string_view() : std::string_view(it->second.description);
}

std::string_view Registry::where(ProbeId id) const {
  const auto it = checks_.find(id);
  return it == checks_.end() ? std::string_view() : std::string_view(it->second.where);
}

std::optional<Health> Registry::check_state(ProbeId id) const {
  const auto it = checks_.find(id);
  if (it == checks_.end()) return std::nullopt;
  return it->second.tracker.state();
}

std::optional<ProbeId> Registry::find(const ProbeKey& key) const {
  const auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

std::size_t Registry::users(ProbeId id) const {
  const auto it = checks_.find(id);
  return it == checks_.end() ? 0 : it->second.users.size();
}

std::optional<RealServerStatus> Registry::status(const RealServerId& id) const {
  const auto it = servers_.find(id);
  if (it == servers_.end()) return std::nullopt;
  return it->second.health.status();
}

std::vector<std::pair<RealServerId, RealServerStatus>> Registry::snapshot() const {
  std::vector<std::pair<RealServerId, RealServerStatus>> out;
  out.reserve(servers_.size());
  for (const auto& [id, server] : servers_) out.emplace_back(id, server.health.status());
  return out;
}

}  // namespace health
