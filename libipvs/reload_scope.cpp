#include "libipvs/reload_scope.hpp"

#include <string>
#include <unordered_set>

namespace ipvs {

std::optional<ReloadScope> reload_scope(const conf::Config& before, const conf::Config& after) {
  if (!before.virtual_server_groups.empty() || !after.virtual_server_groups.empty()) return std::nullopt;
  std::unordered_set<const conf::VirtualServer*> old;
  old.reserve(before.virtual_servers.size());
  for (const auto& vs : before.virtual_servers) old.insert(vs.get());
  ReloadScope scope;
  for (const auto& vs : after.virtual_servers)
    if (old.erase(vs.get()) == 0) scope.added.push_back(vs.get());
  // what is left of `before` is gone; in file order, so that plans read in a stable order
  for (const auto& vs : before.virtual_servers)
    if (old.contains(vs.get())) scope.removed.push_back(vs.get());
  return scope;
}

ScopedTables scoped_tables(const ReloadScope& scope, const conf::Config& before, const conf::Config& after,
                           const Table& actual, const HealthView& health, QuorumTracker& quorum) {
  ScopedTables out;
  out.desired = build_desired_part(after, scope.added, health, quorum);
  const auto copy_actual = [&](const ServiceKey& key) {
    if (const ServiceEntry* entry = actual.find(key)) out.actual.services.emplace(key, *entry);
  };
  for (const auto& [key, entry] : out.desired.table.services) copy_actual(key);
  std::unordered_set<std::string> added_ids;
  for (const auto* vs : scope.added) added_ids.insert(vs->key());
  for (const auto* vs : scope.removed) {
    for (const auto& key : service_keys(*vs, before)) copy_actual(key);
    // a virtual server that is gone, not edited, takes its quorum state with it
    if (!added_ids.contains(vs->key())) quorum.forget(vs->key());
  }
  return out;
}

}  // namespace ipvs
